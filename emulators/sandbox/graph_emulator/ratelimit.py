"""Score-based ad-account limiter and the usage headers Meta sends (platform-facts.md §5).

Reads cost 1, writes 3; the score decays over ``score_decay_seconds``; crossing
``max_score`` blocks the account for ``score_block_seconds`` with 17/2446079 (or the
configured code). Usage headers are emitted on every account-scoped response so clients can
be tested for honouring ``estimated_time_to_regain_access`` before they hit the wall.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import GraphError
from .faults import Fault
from .settings import Settings

APP_CALLS_PER_HOUR = 4800  # platform-limit denominator for X-App-Usage percentages
# The score limit's answer per configured code (Marketing API "Rate Limiting": "17, Error
# subcode: 2446079, User request limit reached" / "613, Error subcode: 1487742, There have been
# too many calls from this ad-account"; 80004 carries 2446079 as well). The per-second mutation
# limit is a different throttle with its own subcode (613/5044001) and no wait in any header:
# its usage headers still describe the score window, as on every answer.
SCORE_SUBCODES = {17: 2446079, 613: 1487742, 80004: 2446079}


@dataclass
class _Block:
    until: float
    error: GraphError


class RateLimiter:
    """Per-account score window, mutation QPS window and explicit blocks."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, deque[tuple[float, int]]] = {}
        self._mutations: dict[str, deque[float]] = {}
        self._blocks: dict[str, _Block] = {}
        self._app_calls: deque[float] = deque()

    def reset(self) -> None:
        """Forget all usage and blocks."""
        with self._lock:
            self._events.clear()
            self._mutations.clear()
            self._blocks.clear()
            self._app_calls.clear()

    def _prune(self, account: str, now: float) -> deque[tuple[float, int]]:
        events = self._events.setdefault(account, deque())
        horizon = now - self._settings.score_decay_seconds
        while events and events[0][0] <= horizon:
            events.popleft()
        while self._app_calls and self._app_calls[0] <= now - 3600:
            self._app_calls.popleft()
        return events

    def block(self, account: str, seconds: float, error: GraphError) -> None:
        """Throttle ``account`` with ``error`` for ``seconds`` (used by enforce_regain faults)."""
        with self._lock:
            self._blocks[account] = _Block(self._clock() + seconds, error)

    def check(self, account: str | None, *, is_write: bool, is_mutation: bool) -> GraphError | None:
        """Charge one call; return the throttle error instead when the account is over limit."""
        now = self._clock()
        with self._lock:
            self._app_calls.append(now)
            if account is None:
                return None
            block = self._blocks.get(account)
            if block is not None:
                if now < block.until:
                    return block.error
                del self._blocks[account]
            events = self._prune(account, now)
            cost = 3 if is_write else 1
            score = sum(c for _, c in events)
            if score + cost > self._settings.max_score:
                code = self._settings.score_error_code
                error = Fault(code=code, subcode=SCORE_SUBCODES.get(code, 2446079)).to_error()
                self._blocks[account] = _Block(now + self._settings.score_block_seconds, error)
                return error
            if is_mutation and self._settings.max_mutation_qps is not None:
                window = self._mutations.setdefault(account, deque())
                while window and window[0] <= now - 1.0:
                    window.popleft()
                if len(window) + 1 > self._settings.max_mutation_qps:
                    return GraphError(
                        message="(#613) Calls to this api have exceeded the rate limit.",
                        code=613,
                        subcode=5044001,
                        user_title="Too Many Mutations",
                        user_msg="Too many create/edit requests per second for this ad account.",
                    )
                window.append(now)
            events.append((now, cost))
            return None

    def headers(self, account: str | None, regain_minutes: int | None = None) -> dict[str, str]:
        """Usage headers for a response; ``regain_minutes`` overrides the computed estimate."""
        now = self._clock()
        with self._lock:
            app_pct = min(100, math.ceil(len(self._app_calls) * 100 / APP_CALLS_PER_HOUR))
            out = {
                "X-App-Usage": json.dumps(
                    {
                        "call_count": app_pct,
                        "total_cputime": app_pct // 2,
                        "total_time": app_pct // 2,
                    }
                )
            }
            if account is None:
                return out
            events = self._prune(account, now)
            score = sum(c for _, c in events)
            pct = min(100.0, score * 100.0 / max(1, self._settings.max_score))
            block = self._blocks.get(account)
            blocked_for = max(0.0, block.until - now) if block else 0.0
            regain = math.ceil(blocked_for / 60) if blocked_for else 0
            reset = int(blocked_for) or (
                int(events[0][0] + self._settings.score_decay_seconds - now) if events else 0
            )
        if regain_minutes is not None:
            regain, pct, reset = regain_minutes, 100.0, regain_minutes * 60
        tier = self._settings.access_tier
        call_count = math.ceil(pct)
        out["X-Business-Use-Case-Usage"] = json.dumps(
            {
                account: [
                    {
                        "type": "ads_management",
                        "call_count": call_count,
                        "total_cputime": call_count // 2,
                        "total_time": call_count // 2,
                        "estimated_time_to_regain_access": regain,
                        "ads_api_access_tier": tier,
                    }
                ]
            }
        )
        out["X-Ad-Account-Usage"] = json.dumps(
            {
                "acc_id_util_pct": round(pct, 2),
                "reset_time_duration": reset,
                "ads_api_access_tier": tier,
            }
        )
        return out
