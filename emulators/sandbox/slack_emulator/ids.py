"""Identifier, timestamp and trigger formats that look like Slack's.

The bot treats these values as opaque, but code paths that parse or compare them (``ts``
ordering, permalinks, trigger ids in logs) should see the real formats: ``ts`` is
``"%010d.%06d"`` and strictly increasing per workspace, triggers are ``<digits>.<digits>.<hex>``,
view hashes are ``<epoch>.<hex>``.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable

TRIGGER_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class IdFactory:
    """Thread-safe generator of Slack-shaped ids driven by the emulator's clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counter = 0
        self._last_ts_us = 0

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def new(self, prefix: str) -> str:
        """An id like ``V0E00000A7`` (prefix + 9 base-36 chars, upper case)."""
        n = self._next()
        digits = ""
        while n:
            n, r = divmod(n, 36)
            digits = _ALPHABET[r] + digits
        return f"{prefix}0E{digits.rjust(7, '0')}"

    def ts(self) -> str:
        """A message ``ts``: wall-clock seconds with a microsecond suffix, strictly increasing."""
        with self._lock:
            now_us = int(self._clock() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            sec, us = divmod(self._last_ts_us, 1_000_000)
        return f"{sec:010d}.{us:06d}"

    def trigger_id(self, team_num: int) -> str:
        n = self._next()
        return f"{int(self._clock())}{n:04d}.{team_num}.{secrets.token_hex(16)}"

    def view_hash(self) -> str:
        return f"{int(self._clock())}.{secrets.token_hex(4)}"

    def secret(self, nbytes: int = 12) -> str:
        return secrets.token_hex(nbytes)
