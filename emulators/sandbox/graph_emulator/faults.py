"""Fault injection: make matching requests fail the way Meta's servers do.

Tests need transient 1/2 errors, BUC throttles with regain hints, bare 413s and dropped
connections *after* a write (the non-idempotent-create trap from platform-facts.md §5) on demand and
reproducibly, hence a seeded RNG for ``rate`` faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError

_UNSET: Any = object()

# Default messages per code (platform-facts.md §5).
_DEFAULT_MESSAGES: dict[int, str] = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    190: "Error validating access token: Session has expired.",
    200: "(#200) Requires ads_management permission to manage the object",
    # Meta's error guide: 341 "Application limit reached", 368 "Temporarily blocked for policies
    # violations"; both "wait and retry the operation" (exact 341 wording [uncertain]).
    341: "(#341) Application limit reached",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80004: (
        "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. "
        "For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
    ),
}

# Error texts Meta sends with a subcode when a test gives none: (code, subcode) -> (message, user
# title, user message). 100/1487390 answers creative creates with "try again later" and
# ``is_transient: false`` [uncertain wording; platform-facts.md §5, justwatch Go SDK PR #90].
_DEFAULT_SUBCODE_TEXTS: dict[tuple[int, int], tuple[str, str, str]] = {
    (100, 1487390): (
        "Invalid parameter",
        "Ad Creative Not Created",
        "There was a problem creating your ad creative. Please try again later.",
    ),
    # Marketing API "Rate Limiting": the ad account's score limit under code 613.
    (613, 1487742): (
        "(#613) Calls to this api have exceeded the rate limit.",
        "Too Many Calls",
        "There have been too many calls from this ad-account. Please wait a bit and try again.",
    ),
}

_THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})


@dataclass
class Fault:
    """One injected fault.

    Matching: ``method`` (any if None) and ``path_contains`` (substring of the request path,
    version prefix included, ending on a segment boundary: ``"/ads"`` matches the ads edge but
    not ``/adsets``). ``times`` counts firings (None = unlimited;
    default 1, or unlimited when ``rate`` < 1). ``rate`` fires on that fraction of matches.
    ``skip`` lets that many matching requests through untouched first (``skip=1``: the second
    creative, armed before the run starts instead of raced in between two requests).

    Effects, in precedence order:
    - ``drop_connection``: run the request normally (writes are applied!) then close the
      socket without answering; inside a batch the item comes back as ``null``.
    - ``empty_body``: answer ``http_status`` (default 500) with no body, request not applied.
    - ``delay_after_ms`` (without ``code``): run the request normally (writes are applied and
      recorded) and hold the answer back that long, so a test can kill the client between
      Meta's write and the client learning its id.
    - otherwise an error envelope with ``code``/``subcode``; ``regain_minutes`` sets
      ``estimated_time_to_regain_access`` in X-Business-Use-Case-Usage and, with
      ``enforce_regain``, keeps throttling that account until the time has passed.
    """

    code: int | None = None
    subcode: int | None = None
    message: str | None = None
    error_type: str = "OAuthException"
    http_status: int | None = None
    is_transient: bool | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    error_data: dict[str, Any] | str | None = None
    times: int | None = _UNSET
    rate: float = 1.0
    path_contains: str | None = None
    method: str | None = None
    regain_minutes: int | None = None
    enforce_regain: bool = False
    empty_body: bool = False
    drop_connection: bool = False
    delay_ms: float = 0.0
    delay_after_ms: float = 0.0
    # None: any request; False: only real writes, not ``execution_options=["validate_only"]``
    # checks (a lost answer to the create that follows a validation); True: only those checks.
    validate_only: bool | None = None
    skip: int = 0
    fired: int = field(default=0, init=False)
    skipped: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.times is _UNSET:
            self.times = None if self.rate < 1.0 else 1
        if self.code is None and not (
            self.empty_body or self.drop_connection or self.delay_after_ms
        ):
            self.code = 1

    def matches(self, method: str, path: str, *, validate_only: bool = False) -> bool:
        """Does this fault apply to the request (ignoring rate and remaining times)?"""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.validate_only is not None and self.validate_only != validate_only:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_contains is None or _segment_match(self.path_contains, path)

    @property
    def is_throttle(self) -> bool:
        """Rate-limit style fault (gets BUC regain hints)."""
        return self.code in _THROTTLE_CODES

    def to_error(self) -> GraphError:
        """The error envelope this fault answers with."""
        code = self.code if self.code is not None else 1
        subcode = self.subcode
        title, msg = self.error_user_title, self.error_user_msg
        if code == 80004 and subcode is None:  # BUC ads_management throttles always carry it
            subcode = 2446079
        texts = _DEFAULT_SUBCODE_TEXTS.get((code, subcode)) if subcode is not None else None
        message = self.message or (texts[0] if texts else None)
        if texts and title is None:
            title, msg = texts[1], msg or texts[2]
        if subcode == 2446079 and title is None:
            title = "Ad Account Has Too Many API Calls"
            msg = (
                msg
                or "There have been too many calls from this ad-account. Please wait a bit and try again."
            )
        return GraphError(
            message=message or _DEFAULT_MESSAGES.get(code, "An unknown error occurred"),
            code=code,
            subcode=subcode,
            type=self.error_type,
            user_title=title,
            user_msg=msg,
            is_transient=self.is_transient if self.is_transient is not None else code == 2,
            error_data=self.error_data,
            http_status=self.http_status,
        )


def _segment_match(needle: str, path: str) -> bool:
    """Substring match that must end on a segment boundary, so "/ads" hits ``/act_1/ads``
    and ``/act_1/ads/`` but not ``/act_1/adsets``."""
    start = path.find(needle)
    while start >= 0:
        end = start + len(needle)
        if needle.endswith("/") or end == len(path) or path[end] == "/":
            return True
        start = path.find(needle, start + 1)
    return False


class FaultInjector:
    """Holds active faults and decides which one (if any) fires for a request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = random.Random(0)

    def seed(self, value: int) -> None:
        """Reseed the RNG used by ``rate`` faults."""
        with self._lock:
            self._rng.seed(value)

    def add(self, fault: Fault) -> Fault:
        """Register a fault; returns it so tests can inspect ``fired``."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove all faults."""
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.fired < f.times]

    def pick(self, method: str, path: str, *, validate_only: bool = False) -> Fault | None:
        """First matching fault that fires for this request (consumes one firing)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, validate_only=validate_only):
                    continue
                if fault.rate < 1.0 and self._rng.random() >= fault.rate:
                    continue
                if fault.skipped < fault.skip:
                    fault.skipped += 1
                    continue
                fault.fired += 1
                return fault
        return None
