"""Telling a campaign's people when Meta's rate limit makes AdBee wait past the campaign's start.

A throttle wait is slept deep inside a Graph call; most are seconds and nobody needs to hear of
them. One that lasts longer than the time left before the campaign's start moves the start, and
that must be said where the campaign's people look (its thread), not only logged. Bound around
a unit of work with ``meta.graph.retry.throttle_listener(notice)``.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime

from meta.domain.errors import MetaApiError
from meta.graph.throttles import describe

log = logging.getLogger(__name__)
# One notice per this many seconds at most: a throttled run retries several times.
REPEAT_SECONDS = 60.0


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} s"
    return f"{math.ceil(seconds / 60)} min"


class StartDeadlineNotice:
    """A throttle listener: ``tell(text)`` when a wait outlasts the time left before ``start``."""

    def __init__(
        self,
        *,
        start: datetime,
        clock: Callable[[], datetime],
        tell: Callable[[str], None],
        monotonic: Callable[[], float],
    ) -> None:
        self._start, self._clock, self._tell, self._monotonic = start, clock, tell, monotonic
        self._last: float | None = None
        self._lock = threading.Lock()
        self.told: list[str] = []

    def __call__(self, error: MetaApiError, seconds: float) -> None:
        left = (self._start - self._clock()).total_seconds()
        if seconds <= left:
            return
        now = self._monotonic()
        with self._lock:
            if self._last is not None and now - self._last < REPEAT_SECONDS:
                return
            self._last = now
        late = "the start time has passed" if left <= 0 else f"{_duration(left)} before the start"
        text = (
            f":hourglass: {describe(error.code, error.subcode)} makes AdBee wait "
            f"{_duration(seconds)}, and {late}: this campaign may start late. AdBee carries on "
            "by itself after the wait."
        )
        self.told.append(text)
        log.warning("%s", text)
        self._tell(text)
