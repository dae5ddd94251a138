"""One clear line for the failures an operator causes and can fix, instead of a traceback.

A wrong Slack token, a stopped or unreachable database, a read-only ``data/`` folder: each is
named with what to do. Anything not recognised here is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.logs import redact

_SLACK_AUTH_ERRORS = {
    "invalid_auth": "the token is not valid (mistyped, or from another app)",
    "not_authed": "no token was sent",
    "account_inactive": "the app was uninstalled or its workspace deleted",
    "token_revoked": "the token was revoked",
    "token_expired": "the token expired",
    "missing_scope": "the app lacks a scope; reinstall it from manifest.yml",
}


def settings_problem(problem: Any) -> str:
    """``NAME: message`` for one pydantic error, without pydantic's "Value error, " prefix."""
    name = ".".join(str(part) for part in problem["loc"]).upper()
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{name}: {message}" if name else message


def describe_failure(exc: BaseException) -> str | None:
    """The line to print for a known, operator-fixable failure; ``None`` for anything else."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "")) if exc.response is not None else ""
        if code in _SLACK_AUTH_ERRORS:
            return (
                f"Slack refused SLACK_BOT_TOKEN ({code}: {_SLACK_AUTH_ERRORS[code]}). Copy the "
                "Bot User OAuth Token (xoxb-...) from api.slack.com/apps > your app > OAuth & "
                "Permissions into .env"
            )
        return None
    if isinstance(exc, OperationalError):
        return _database_failure(exc)
    if isinstance(exc, SQLAlchemyError) and "Can't load plugin" in str(exc):
        return f"DATABASE_URL names a database driver AdBee does not have: {_first_line(exc)}"
    if isinstance(exc, PermissionError | OSError) and exc.errno in (errno.EACCES, errno.EROFS):
        where = exc.filename or "a file"
        return (
            f"cannot write {where}: {os.strerror(exc.errno)}. AdBee keeps its SQLite database and "
            f"uploads under data/; make that folder writable for this user (uid {os.getuid()}), "
            "or point DATABASE_URL and UPLOAD_DIR somewhere writable"
        )
    return None


def _database_failure(exc: OperationalError) -> str:
    text = _first_line(exc.orig if exc.orig is not None else exc)
    lowered = text.lower()
    if "readonly database" in lowered or "unable to open database file" in lowered:
        return (
            f"cannot write the SQLite database ({text}). Make data/ (or the folder in "
            f"DATABASE_URL) and its files writable for this user (uid {os.getuid()})"
        )
    return (
        f"the database does not answer ({text}). Check that it is running and that DATABASE_URL "
        "names the right host, port, user and password"
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return redact(lines[0] if lines else type(exc).__name__)
