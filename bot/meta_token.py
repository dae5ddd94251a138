"""A renewed Meta token is picked up without a restart, when it lives in a file.

System-user tokens are renewed by hand (Business Settings > System users > Generate new token).
When ``META_ACCESS_TOKEN`` comes from a secret file (``/run/secrets/meta_access_token``,
``SECRETS_DIR``) or from ``.env``, the bot reads that file again every minute and switches to a
new token at once. A token set in the process environment by Docker, Compose or systemd cannot
change under a running process: then only a restart picks up the new one, and the bot says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import Settings, SettingsError, secrets_dirs
from meta.graph.client import GraphClient

log = logging.getLogger(__name__)
NAME = "META_ACCESS_TOKEN"
RELOAD_SECONDS = 60


@dataclass(frozen=True)
class TokenFile:
    """Where the running bot's Meta token came from, re-read to notice a renewal."""

    path: Path
    dotenv: bool  # a .env file (one line among others) rather than a secret file (the token)

    def read(self) -> str | None:
        try:
            if self.dotenv:
                value = dotenv_values(self.path).get(NAME)
            else:
                value = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            log.warning("could not re-read %s for a renewed Meta token: %s", self.path, exc)
            return None
        return (value or "").strip() or None


def token_file(
    settings: Settings, *, env_file: Path = Path(".env"), environ: Mapping[str, str] = os.environ
) -> TokenFile | None:
    """The file the current token was read from; ``None`` when it came from the environment."""
    if settings.meta_access_token is None:
        return None
    current = settings.meta_access_token.get_secret_value().strip()
    from_env = environ.get(NAME, "").strip()
    dotenv_value = (dotenv_values(env_file).get(NAME) or "").strip() if env_file.is_file() else ""
    if from_env:
        # bot.__main__ loads .env into the environment; the same value there means it came
        # from .env. Anything else was set by whoever started the process.
        return TokenFile(env_file, dotenv=True) if from_env == dotenv_value else None
    if dotenv_value == current:
        return TokenFile(env_file, dotenv=True)
    for folder in secrets_dirs():
        for name in (NAME.lower(), NAME):
            path = folder / name
            if path.is_file():
                return TokenFile(path, dotenv=False)
    return None


def pick_up_renewed_token(graph: GraphClient, source: TokenFile, settings: Settings) -> bool:
    """Switch ``graph`` (and the uploads that follow it) to a new token found in ``source``."""
    new = source.read()
    if new is None or new == graph.config.access_token:
        return False
    try:
        settings.check_secret(NAME, new)  # a placeholder left in the file is not a renewal
    except SettingsError as exc:
        log.warning("%s in %s is not usable: %s", NAME, source.path, exc)
        return False
    graph.use_token(new)
    log.warning("%s changed in %s; Meta calls use the new token from now on", NAME, source.path)
    return True


def restart_hint(source: TokenFile | None) -> str:
    """What the token alert says about restarting, for where this bot's token comes from."""
    if source is None:
        return (
            "META_ACCESS_TOKEN is set in this bot's environment (Docker, Compose or systemd), so "
            "restart AdBee after changing it there."
        )
    return (
        f"AdBee re-reads {source.path.name} every minute and uses the new token without a restart."
    )
