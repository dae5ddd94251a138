"""Slack's rate tiers for the methods the bot calls, answered with 429 + ``Retry-After``.

Slack limits each method per app per workspace (docs.slack.dev "Rate limits",
https://docs.slack.dev/apis/web-api/rate-limits: limits apply "per API method per workspace/team
per app"):

- ``chat.postMessage`` has its own tier: about one message per second **per channel**, with short
  bursts allowed above that ("Posting messages: 1 per second. Short bursts >1 allowed"; the
  Special tier also keeps "a workspace-wide limit", whose figure Slack does not publish and which
  is not modelled);
- ``chat.update`` is Tier 3: "50+ per minute", "sporadic bursts are welcome", counted for the
  method in the workspace for this app: the emulator serves one workspace and one app, so one
  bucket per method is Slack's own keying, not a stricter one (checked for issue 18);
- ``files.list`` is Tier 3 as well (docs.slack.dev/reference/methods/files.list) [uncertain:
  its page states the tier, the burst below is ours];
- ``views.publish`` is Tier 4: "100+ per minute", "generous burst behavior" (the method's page,
  docs.slack.dev/reference/methods/views.publish, "Rate limits: Tier 4"), per workspace like the
  others: every user's Home tab draws from one bucket.

Both are modelled as token buckets: ``burst`` calls at once, then ``rate`` per second. Slack
publishes no burst size ("short bursts" for chat.postMessage, "occasional bursts" for the tiers)
[uncertain: docs.slack.dev rate-limits page]; the values below are the ones the suite was measured
with and are a deliberate, documented allowance, not a measured Slack figure. A refused call is
answered HTTP 429, ``Retry-After`` in whole seconds until a token is free, and
``{"ok": false, "error": "ratelimited"}``, as Slack does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tier:
    rate: float  # tokens per second
    burst: int  # bucket size
    key: Callable[[dict[str, Any]], str]  # what the limit is counted per


def _per_channel(params: dict[str, Any]) -> str:
    return str(params.get("channel") or "")


def _per_workspace(params: dict[str, Any]) -> str:
    return ""


_TIER_3 = Tier(rate=50 / 60, burst=20, key=_per_workspace)  # "50+ per minute"
_TIER_4 = Tier(rate=100 / 60, burst=30, key=_per_workspace)  # "100+ per minute"

TIERS: dict[str, Tier] = {
    "chat.postMessage": Tier(rate=1.0, burst=4, key=_per_channel),
    "chat.update": _TIER_3,
    "files.list": _TIER_3,
    "views.publish": _TIER_4,
    # The other methods AdBee calls, at the tier each method's reference page states
    # (docs.slack.dev/reference/methods/<method>, "Rate limits"; listed in the project's
    # slack-platform facts, 5.2). conversations.history/replies are Tier 3 for an internal app
    # like AdBee; Slack's lower 2025 limits apply to commercially distributed non-Marketplace
    # apps only (docs.slack.dev rate-limits page).
    "chat.postEphemeral": _TIER_4,
    "views.open": _TIER_4,
    "views.update": _TIER_4,
    "views.push": _TIER_4,
    "files.info": _TIER_4,
    "files.getUploadURLExternal": _TIER_4,
    "files.completeUploadExternal": _TIER_4,
    "users.info": _TIER_4,
    "conversations.info": _TIER_3,
    "conversations.history": _TIER_3,
    "conversations.replies": _TIER_3,
}


class RateLimiter:
    """Token buckets per (method, key); ``take`` returns None or the seconds to wait."""

    def __init__(
        self, tiers: dict[str, Tier] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tiers = dict(TIERS if tiers is None else tiers)
        self.enabled = True
        self.refused: list[tuple[str, str, int]] = []  # (method, key, retry_after) for tests
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, last time
        self._lock = threading.Lock()

    def take(self, method: str, params: dict[str, Any]) -> int | None:
        tier = self.tiers.get(method)
        if tier is None or not self.enabled:
            return None
        key = tier.key(params)
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get((method, key), (float(tier.burst), now))
            tokens = min(float(tier.burst), tokens + (now - last) * tier.rate)
            if tokens >= 1.0:
                self._buckets[(method, key)] = (tokens - 1.0, now)
                return None
            self._buckets[(method, key)] = (tokens, now)
            wait = max(1, math.ceil((1.0 - tokens) / tier.rate))
            self.refused.append((method, key, wait))
            return wait

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self.refused.clear()
