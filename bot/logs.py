"""Logging that never prints a secret, as text or one JSON object per line.

``requests``/``urllib3`` log full URLs at DEBUG, and Graph URLs carry ``access_token`` in the
query string; a filter masks tokens in every record, whatever library emits it.

``LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR) and ``LOG_FORMAT`` (``text`` or ``json``) are read
from the environment (after ``.env``) before anything else, so even a settings error is logged
the configured way. Everything goes to stderr; stdout is for the commands' own output.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from meta.telemetry import log_context

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# APScheduler logs two INFO lines per job run ("Running job", "executed successfully"): with the
# take-over check every 2 s, the scan every 30 s and the alert flush every 15 s, tens of
# thousands of lines a day per replica that say nothing. Failures and missed runs are warnings.
_CHATTY_INFO_LOGGERS = ("apscheduler.executors", "apscheduler.scheduler")

_PATTERNS = (
    re.compile(r"(access_token|appsecret_proof|client_secret|token)=([^&\s'\"]+)", re.I),
    re.compile(r"\b(xox[abprs]-|xapp-)[0-9A-Za-z-]+"),
    re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
)


def redact(text: str) -> str:
    text = _PATTERNS[0].sub(r"\1=<redacted>", text)
    text = _PATTERNS[1].sub(r"\1<redacted>", text)
    return _PATTERNS[2].sub("<redacted>", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included.

    A filter only sees the message; an exception's text (e.g. a ``requests`` error quoting the
    URL with ``access_token``) is added later by the formatter, so the formatter redacts too.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and what the line is about.

    ``adbee_id``, ``campaign_id`` and ``step`` come from ``meta.telemetry.log_context``; ``fbtrace_id``
    (the id Meta support asks for) from the log context or from a Meta error among the record's
    arguments or its exception. Secrets are masked in the message and the traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update(getattr(record, "adbee_context", None) or {})
        trace = _fbtrace_id(record)
        if trace and "fbtrace_id" not in entry:
            entry["fbtrace_id"] = trace
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        # Redacted field by field: masking the encoded line could eat a JSON escape.
        return json.dumps(entry, ensure_ascii=False, default=str)


class ContextFilter(logging.Filter):
    """Copies the current log context onto the record (the formatter runs on the same thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.adbee_context = dict(log_context.current())
        return True


class DemoteChattyInfo(logging.Filter):
    """APScheduler's per-run INFO lines count as DEBUG: kept only when the level is DEBUG.

    A handler filter, because a logger's own filters do not see records from its children
    (``apscheduler.executors.default``), and the handler's level is checked before its filters.
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self._level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.name.startswith(_CHATTY_INFO_LOGGERS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self._level


def _fbtrace_id(record: logging.LogRecord) -> str | None:
    args = record.args if isinstance(record.args, tuple) else ()
    candidates = [*args, record.exc_info[1] if record.exc_info else None]
    for candidate in candidates:
        trace = getattr(candidate, "fbtrace_id", None)
        if isinstance(trace, str) and trace:
            return trace
    return None


def configure_logging(
    level: int | str = logging.INFO, fmt: str = "text", *, stream: TextIO | None = None
) -> None:
    level_number = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(TEXT_FORMAT))
    handler.addFilter(DemoteChattyInfo(level_number))
    handler.addFilter(RedactingFilter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_number)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # 7 lines per load


def configure_from_environment(stream: TextIO | None = None) -> list[str]:
    """``LOG_LEVEL``/``LOG_FORMAT`` from the environment; returns problems (logged, not fatal)."""
    problems = []
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL={level!r} is not one of {', '.join(LOG_LEVELS)}; using INFO")
        level = "INFO"
    fmt = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
    if fmt not in LOG_FORMATS:
        problems.append(f"LOG_FORMAT={fmt!r} is not one of {', '.join(LOG_FORMATS)}; using text")
        fmt = "text"
    configure_logging(level, fmt, stream=stream)
    for problem in problems:
        logging.getLogger(__name__).warning("%s", problem)
    return problems
