"""Per-request context handed to every route handler.

Bundling the store, settings, clock reading and parsed request in one object keeps handler
signatures uniform (``handler(ctx) -> JSON``) so batch items can reuse the same handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .httpbody import UploadedFile
from .params import Params
from .settings import Settings
from .store import Account, Store


@dataclass
class Ctx:
    """Everything a handler may need for one request."""

    store: Store
    settings: Settings
    now: float
    version: int
    version_str: str
    base_url: str
    method: str
    path: str
    params: Params
    files: dict[str, UploadedFile] = field(default_factory=dict)
    account: Account | None = None
    # Headers a handler adds to its answer (x-fb-ads-insights-throttle).
    response_headers: dict[str, str] = field(default_factory=dict)

    def require_account(self) -> Account:
        """The ad account the request is scoped to (routing guarantees it for act_ paths)."""
        if self.account is None:
            raise RuntimeError("route needs an ad account")
        return self.account

    def format_time(self, epoch: float | None, account: Account | None = None) -> str | int | None:
        """Graph datetime rendering: ``2026-05-12T10:45:09+0800`` or UNIX with date_format=U."""
        if epoch is None:
            return None
        if self.params.text("date_format") == "U":
            return int(epoch)
        acct = account or self.account
        tz = ZoneInfo(acct.timezone_name) if acct else ZoneInfo("UTC")
        return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%dT%H:%M:%S%z")
