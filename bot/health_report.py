"""The parts of a health report that look beyond the database: settings, Meta, Slack, the outbox.

Each check answers ``ok``, ``warning`` (worth knowing, changes nothing), ``degraded`` (the bot
works but something will go wrong or is going wrong: a token about to expire, alerts piling up)
or ``down`` (it cannot do its job: the bot would not start, or Meta or Slack refuse it). The
report is down if any check is, degraded if any is, else healthy; ``python -m bot health``
exits 0, 1 or 2 accordingly, and the HTTP probe (``HEALTH_PORT``) answers 503 only when down.

Meta's token is read with ``debug_token`` (validity, expiry, scopes), the way Meta documents for
checking a token: developers.facebook.com/docs/graph-api/reference/debug_token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings, SettingsError
from bot.slack.channel_membership import membership_problems
from meta.domain.errors import AdBeeError, MetaApiError
from meta.graph.client import GraphClient
from meta.graph.versions import version_warning

CheckStatus = Literal["ok", "warning", "degraded", "down"]
_RANK = {"ok": 0, "warning": 1, "degraded": 2, "down": 3}
EXIT_CODES = {"healthy": 0, "degraded": 1, "down": 2}
# The permissions every creation and activation needs (docs/setup.md §2.4).
REQUIRED_SCOPES = ("ads_management", "ads_read")
TOKEN_EXPIRY_WARNING = timedelta(days=7)
# An alert still pending after this long is stuck (the flush runs every 15 s and retries).
STUCK_ALERT_AFTER = timedelta(minutes=10)
RENEW_TOKEN = (
    "renew the system-user token (Business Settings > System users > Generate new token, with "
    "ads_management and ads_read) and put it in META_ACCESS_TOKEN (in .env or a secret file "
    "AdBee picks it up within a minute; in the environment, restart AdBee)"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str


@dataclass
class HealthReport:
    checks: list[Check]
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> Literal["healthy", "degraded", "down"]:
        worst = max((_RANK[c.status] for c in self.checks), default=0)
        return "down" if worst == 3 else "degraded" if worst == 2 else "healthy"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "checks": [asdict(check) for check in self.checks],
        }

    def write(self, out: TextIO, *, as_json: bool = False) -> None:
        if as_json:
            print(json.dumps(self.to_json(), ensure_ascii=False), file=out)
            return
        fine = [c.detail for c in self.checks if c.status == "ok"]
        print(
            f"{self.status}: {', '.join(fine) or 'nothing checked'}, "
            f"checked {self.checked_at:%Y-%m-%d %H:%M:%S} UTC",
            file=out,
        )
        for check in sorted(self.checks, key=lambda c: -_RANK[c.status]):
            if check.status != "ok":
                print(f"{check.status}: {check.detail}", file=out)


def settings_check(settings: Settings) -> Check:
    """Complete enough to run the bot: what ``python -m bot`` would refuse to start without."""
    problems = []
    try:
        settings.require_slack()
    except SettingsError as exc:
        # One "  - NAME (...): how to get it" line per setting; the names are enough here.
        problems += [
            line.strip()[2:].split(":", 1)[0].split(" (", 1)[0]
            for line in str(exc).splitlines()
            if line.strip().startswith("- ")
        ]
    try:
        settings.meta_config()
    except SettingsError as exc:
        problems.append(str(exc).split(" ", 1)[0] if "is not set" in str(exc) else str(exc))
    if problems:
        return Check(
            "settings",
            "down",
            f"settings incomplete, the bot would not start: {'; '.join(problems)} "
            "(`python -m bot` says how to get each)",
        )
    return Check("settings", "ok", "settings complete")


def api_version_check(settings: Settings, today: date) -> Check:
    problem = version_warning(settings.meta_api_version, today)
    if problem:
        return Check("api_version", "degraded", problem)
    return Check("api_version", "ok", f"API {settings.meta_api_version}")


def meta_token_check(graph: GraphClient, now: datetime) -> Check:
    """The token as Meta sees it: valid, not about to expire, with the permissions AdBee needs."""
    token = graph.config.access_token
    try:
        data = graph.get("debug_token", {"input_token": token}).get("data") or {}
    except MetaApiError as exc:
        if exc.is_auth:
            return Check(
                "meta_token", "down", f"Meta refuses the token: {exc.user_text()}; {RENEW_TOKEN}"
            )
        return Check("meta_token", "degraded", f"could not check the Meta token: {exc.user_text()}")
    except AdBeeError as exc:
        return Check("meta_token", "degraded", f"could not reach Meta to check the token: {exc}")
    if not data.get("is_valid"):
        error = data.get("error") or {}
        return Check(
            "meta_token",
            "down",
            f"Meta says the token is not valid ({error.get('message', 'no reason given')}); "
            + RENEW_TOKEN,
        )
    scopes = set(data.get("scopes") or [])
    lacking = [scope for scope in REQUIRED_SCOPES if scope not in scopes]
    if lacking:
        return Check(
            "meta_token",
            "down",
            f"the Meta token lacks {', '.join(lacking)}: generate it again with "
            "ads_management and ads_read (docs/setup.md)",
        )
    expires = int(data.get("expires_at") or 0)
    if not expires:
        return Check("meta_token", "ok", "Meta token valid (never expires)")
    when = datetime.fromtimestamp(expires, UTC)
    left = when - now
    if left <= TOKEN_EXPIRY_WARNING:
        return Check(
            "meta_token",
            "degraded",
            f"the Meta token expires {when:%Y-%m-%d %H:%M} UTC (in {_days(left)}); " + RENEW_TOKEN,
        )
    return Check("meta_token", "ok", f"Meta token valid until {when:%Y-%m-%d}")


def slack_check(
    settings: Settings,
    *,
    connected: Callable[[], bool] | None = None,
    client: WebClient | None = None,
) -> Check:
    """The bot token works (``auth.test``); in the bot's own process, the socket is connected.

    A separate process cannot see the running bot's Socket Mode connection, and opening one to
    check would make Slack deliver events to it: so the CLI checks the token only.
    """
    try:
        bot_token, _ = settings.require_slack()
    except SettingsError:
        return Check("slack", "down", "Slack settings incomplete (see settings)")
    client = client or WebClient(
        token=bot_token, base_url=settings.slack_api_url or WebClient.BASE_URL, timeout=10
    )
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else "unknown"
        return Check("slack", "down", f"Slack refuses SLACK_BOT_TOKEN ({code})")
    except Exception as exc:  # the network: Slack unreachable from here
        return Check("slack", "degraded", f"could not reach Slack: {type(exc).__name__}: {exc}")
    if connected is not None and not connected():
        return Check(
            "slack",
            "down",
            "the bot's Socket Mode connection to Slack is down (it reconnects on its own; "
            "restart the bot if this lasts)",
        )
    problems = membership_problems(client, settings)
    if problems:
        return Check("slack", "degraded", "; ".join(problems))
    who = identity.get("user") or identity.get("user_id") or "the bot"
    suffix = ", connected" if connected is not None else ""
    return Check("slack", "ok", f"Slack token valid (@{who}{suffix})")


def outbox_check(pending_created: Iterable[datetime], now: datetime) -> Check:
    """Alerts not delivered for a while: Slack refuses them (not_in_channel, invalid_auth)."""
    times = list(pending_created)  # aware UTC: storage.types.UTCDateTime
    stuck = [t for t in times if now - t > STUCK_ALERT_AFTER]
    if stuck:
        oldest = min(stuck)
        return Check(
            "outbox",
            "degraded",
            f"{len(stuck)} alert(s) stuck in the outbox, the oldest for {_minutes(now - oldest)}: "
            "Slack is not taking them (see troubleshooting: not_in_channel, invalid_auth)",
        )
    return Check("outbox", "ok", f"{len(times)} alerts pending")


def _days(left: timedelta) -> str:
    if left.total_seconds() <= 0:
        return "the past"
    days = left.days
    if days >= 1:
        return f"{days} day{'s' if days > 1 else ''}"
    return f"{max(1, round(left.total_seconds() / 3600))} hour(s)"


def _minutes(span: timedelta) -> str:
    return f"{max(1, round(span.total_seconds() / 60))} min"
