"""All configuration, from the environment, ``.env`` and secret files; validated once, passed down.

Sources, strongest first: the environment, ``.env``, then one file per setting in a secrets
directory (``/run/secrets`` as Docker and Compose mount them, or ``SECRETS_DIR``), named after the
setting (``meta_access_token`` or ``META_ACCESS_TOKEN``). A blank value counts as unset, so a
blank ``META_ACCESS_TOKEN=`` in ``.env`` does not hide the secret file.

Secrets are ``SecretStr`` so they never show in reprs, logs or error texts. Each entry point asks
only for what it needs (``require_meta``/``require_slack``), so ``validate`` works without tokens
while the bot refuses to start half-configured.
"""

from __future__ import annotations

import os
import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from meta.graph.client import MetaConfig
from meta.graph.versions import DEFAULT_API_VERSION

SDK_API_VERSION: str = DEFAULT_API_VERSION
# Values people leave in .env from examples; real tokens never look like these.
_PLACEHOLDER = re.compile(
    r"^(?:(?:xoxb-|xapp-)?(?:your[-_ ].*|changeme|change-me|change_me|placeholder|todo|x+|\.+|\*+)"
    r"|<.*>|.*(?:emulator|sandbox-meta-token).*)$",
    re.IGNORECASE,
)


# Slack ids are a type letter and upper-case letters and digits (C0123ABCD); "_" is accepted as
# well for the emulators' readable ids (C_CAMPAIGNS). https://api.slack.com/changelog/2016-08-11-user-id-format-changes
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9_]{2,}$")
_USER_OR_GROUP_ID = re.compile(r"^[UWS][A-Z0-9_]{2,}$")
DEFAULT_SECRETS_DIR = Path("/run/secrets")
# Bounds from docs/operations.md; the emulators (ADBEE_SANDBOX) may go faster.
MIN_SYNC_INTERVAL_SECONDS = 10


def secrets_dirs() -> list[Path]:
    """Where secret files are read from: ``SECRETS_DIR`` if set, else ``/run/secrets`` if present."""
    configured = os.environ.get("SECRETS_DIR", "").strip()
    if configured:
        return [Path(configured)]
    return [DEFAULT_SECRETS_DIR] if DEFAULT_SECRETS_DIR.is_dir() else []


class SettingsError(ValueError):
    """Configuration is missing or unusable; the message says what to set and where to get it."""


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    def __init__(self, **values: object) -> None:
        # The secrets directory is looked up when settings are read, not when this module is
        # imported, so SECRETS_DIR set by a test or a wrapper script counts.
        if "_secrets_dir" not in values:
            values["_secrets_dir"] = secrets_dirs() or None
        super().__init__(**values)  # type: ignore[arg-type]

    # Set by the demo and tests: the emulators accept placeholder-looking tokens and the short
    # intervals a time-compressed demo needs. First, so the validators below can read it.
    adbee_sandbox: bool = False

    # Meta
    meta_access_token: SecretStr | None = None
    meta_app_secret: SecretStr | None = None
    meta_api_version: str = SDK_API_VERSION
    meta_graph_url: str = "https://graph.facebook.com"
    meta_video_url: str = "https://graph-video.facebook.com"
    accounts_file: Path = Path("configs/accounts.yaml")
    templates_dir: Path = Path("configs/templates")  # campaign templates for the create modal
    database_url: str = "sqlite:///data/adbee.db"
    upload_dir: Path = Path("data/uploads")  # videos from Slack, kept until their creation ends
    video_poll_interval: float = Field(default=3.0, gt=0)
    video_timeout: float = Field(default=600.0, gt=0)
    meta_retry_attempts: int = Field(default=5, ge=1, le=20)
    meta_retry_base_delay: float = Field(default=1.0, ge=0)
    meta_max_throttle_wait: float = Field(default=300.0, ge=0)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    campaigns_channel: str | None = None
    alerts_channel: str | None = None
    approver_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allow_self_approval: bool = False
    # Creation workers: I/O-bound (a creation waits for Slack and Meta, and not at all while
    # Meta processes its video), shared in turn between requesters (meta.services.work_pool).
    worker_threads: int = Field(default=32, ge=1, le=128)
    # New creations in an ad account wait while Meta reports this much of its rate limit used.
    meta_usage_ceiling: float = Field(default=50.0, gt=0, le=100)
    sync_interval_seconds: int = Field(default=900, ge=1)
    scan_interval_seconds: int = Field(default=30, ge=1)
    # Approved campaigns are switched ACTIVE this long before their start (at approval when
    # the start is nearer); the ad set's start_time holds delivery back until the start, so
    # the start minute costs AdBee reads only (meta.services.activation). 0: at the start.
    arm_ahead_minutes: float = Field(default=30, ge=0, le=24 * 60)
    # How often queued alerts (and creation results Slack missed) are sent: the most a Slack
    # outage delays them once Slack answers again.
    alert_flush_seconds: int = Field(default=15, ge=1)
    # SIGTERM to exit: running creations stop at a checkpoint within this time. Below Docker's
    # 10 s default grace (compose.yaml gives 30 s), so a deploy never has to SIGKILL the bot.
    shutdown_grace_seconds: float = Field(default=8.0, gt=0, le=300)
    # How often the scheduler writes its heartbeat row; `health` calls it dead after 3 missed beats.
    scheduler_heartbeat_seconds: int = Field(default=10, ge=1, le=3600)
    # How long one database call retries a locked, full or restarting database before the
    # operation is reported as failed (and, for a creation, resumed once the database is back).
    database_retry_seconds: float = Field(default=60.0, ge=0, le=3600)
    # SQLite only: how long one writer waits for another's lock before "database is locked"
    # (the retries above come on top). Long enough for a backup's or a migration's lock.
    database_busy_timeout_seconds: float = Field(default=30.0, gt=0, le=600)  # storage.db default
    # The heartbeat row's name; the host name unless several bots share one host.
    replica_name: str | None = None

    # Monitoring after go-live (docs/operations.md "Reminders, digest and pacing alerts").
    # A campaign waiting this long for approval mentions its approvers once in its thread.
    approval_reminder_hours: float = Field(default=4, gt=0, le=24 * 30)
    # Local time (each account's timezone) of the daily digest; accounts.yaml digest_time overrides.
    digest_time: time = time(9, 0)
    # No impression this many hours after activation: alert.
    pacing_no_delivery_hours: float = Field(default=3, gt=0, le=72)
    # Spend below this percentage of the daily budget by this local time: alert.
    pacing_underspend_percent: Decimal = Field(default=Decimal(50), gt=0, le=100)
    pacing_underspend_by: time = time(18, 0)
    # Spent this much (major units, each account's currency) since activation without a purchase:
    # alert; off unless set here or per account (accounts.yaml pacing_no_purchase_spend).
    pacing_no_purchase_spend: Decimal | None = Field(default=None, gt=0)

    # Operations (docs/operations.md). LOG_LEVEL/LOG_FORMAT are applied by bot.logs before these
    # settings load; they are declared here so a wrong value is reported with the others.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # off when unset
    health_port: int | None = Field(default=None, ge=0, le=65535)  # off when unset

    _split = field_validator("approver_ids", "admin_ids", mode="before")(_split_ids)

    @model_validator(mode="before")
    @classmethod
    def _no_comment_values(cls, data: object) -> object:
        """A value starting with ``#`` is a comment that Compose or ``--env-file`` took as the value.

        ``KEY=   # note`` is a blank value plus a comment for python-dotenv, but Docker reads the
        whole rest of the line; the bot would then sign every Meta call with ``# note``.
        """
        if not isinstance(data, dict):
            return data
        bad = [
            key.upper()
            for key, value in data.items()
            if isinstance(value, str | SecretStr)
            and (value.get_secret_value() if isinstance(value, SecretStr) else value)
            .strip()
            .startswith("#")
            and key.lower() not in {"campaigns_channel", "alerts_channel"}
        ]
        if bad:
            raise ValueError(
                f"{', '.join(sorted(bad))}: the value starts with '#', so it is a comment that "
                "Docker or Compose read as the value; put comments on their own line in .env "
                "(see .env.example)"
            )
        return data

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    @field_validator("campaigns_channel", "alerts_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not _CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a channel id; use the id, like C0123456789 (in Slack: the "
                "channel's name > About, at the bottom), not its name"
            )
        return value

    @field_validator("approver_ids", "admin_ids")
    @classmethod
    def _people(cls, value: list[str]) -> list[str]:
        wrong = [item for item in value if not _USER_OR_GROUP_ID.match(item)]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(item) for item in wrong)}: not Slack ids; use user ids "
                "(U0123456789, or W... on Enterprise Grid; in Slack: the profile's ⋮ menu > "
                "Copy member ID) or user group ids (S0123456789), not names"
            )
        return value

    @field_validator("sync_interval_seconds")
    @classmethod
    def _sync_bound(cls, value: int, info: ValidationInfo) -> int:
        if value < MIN_SYNC_INTERVAL_SECONDS and not info.data.get("adbee_sandbox"):
            raise ValueError(
                f"must be at least {MIN_SYNC_INTERVAL_SECONDS} seconds (every sync reads each "
                "live campaign from Meta and counts against its rate limit)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("postgres://"):
            raise ValueError(
                "write postgresql://... (postgres:// is a hosting provider's alias that "
                "SQLAlchemy does not accept); the rest of the URL stays the same"
            )
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL (docs/operations.md)")
        return value

    @field_validator("meta_api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not value.startswith("v") or not value[1:].replace(".", "").isdigit():
            raise ValueError("must look like v26.0")
        return value

    @field_validator("meta_graph_url", "meta_video_url", "slack_api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value and not value.endswith("/api/") else value

    # ------------------------------------------------------------------ requirements
    def meta_config(self) -> MetaConfig:
        """The Meta connection settings, refusing to go on without a usable token."""
        token = self._secret("META_ACCESS_TOKEN", self.meta_access_token)
        if token is None:
            raise SettingsError(
                "META_ACCESS_TOKEN is not set. Create a system user in Meta Business Settings, "
                "give it the ad accounts, page and pixel, generate a token with ads_management "
                "and ads_read, and put it in .env (see docs/setup.md). To try AdBee offline, run "
                "`python -m bot demo`."
            )
        secret = self._secret("META_APP_SECRET", self.meta_app_secret)
        return MetaConfig(
            retry_attempts=self.meta_retry_attempts,
            retry_base_delay=self.meta_retry_base_delay,
            max_throttle_wait=self.meta_max_throttle_wait,
            access_token=token,
            app_secret=secret,
            api_version=self.meta_api_version,
            graph_url=self.meta_graph_url,
            video_url=self.meta_video_url,
        )

    def require_slack(self) -> tuple[str, str]:
        """Both Slack tokens, or a message naming each missing one and where to get it."""
        missing = []
        bot = self._secret("SLACK_BOT_TOKEN", self.slack_bot_token)
        app = self._secret("SLACK_APP_TOKEN", self.slack_app_token)
        if bot is None:
            missing.append(
                "SLACK_BOT_TOKEN (xoxb-...): create the app from manifest.yml at "
                "api.slack.com/apps > Create New App > From a manifest, install it, then copy "
                "OAuth & Permissions > Bot User OAuth Token"
            )
        elif not bot.startswith("xoxb-"):
            missing.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if app is None:
            missing.append(
                "SLACK_APP_TOKEN (xapp-...): Basic Information > App-Level Tokens > Generate, "
                "with the connections:write scope"
            )
        elif not app.startswith("xapp-"):
            missing.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if not self.campaigns_channel:
            missing.append("CAMPAIGNS_CHANNEL: the channel id (C...) where progress is posted")
        if not self.approver_ids:
            missing.append(
                "APPROVER_IDS: comma-separated Slack user ids (U...) or a user group (S...)"
            )
        if missing:
            raise SettingsError(
                "AdBee cannot start; missing or wrong settings:\n  - "
                + "\n  - ".join(missing)
                + "\nSet them in .env (see .env.example). To see AdBee work without Slack or "
                "Meta, run `python -m bot demo`."
            )
        assert bot is not None and app is not None
        return bot, app

    def check_secret(self, name: str, value: str) -> str | None:
        """The same checks as at start-up, for a value read again later (a renewed token)."""
        return self._secret(name, SecretStr(value))

    def _secret(self, name: str, value: SecretStr | None) -> str | None:
        """The stripped secret, ``None`` when blank; placeholders refused outside the sandbox."""
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if not self.adbee_sandbox and _PLACEHOLDER.match(text):
            raise SettingsError(
                f"{name} still holds a placeholder value; put the real token in .env "
                "(or set ADBEE_SANDBOX=1 to run against the emulators)"
            )
        return text
