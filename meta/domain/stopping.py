"""The process is stopping: creations end at their next checkpoint instead of running on.

A deploy sends SIGTERM and waits a few seconds (Docker: 10 by default) before SIGKILL. A creation
can wait minutes for Meta to process a video, so instead of finishing, a running creation stops
at the next safe point: between two upload chunks (the session is saved), between two status
polls, before a create call. Every id Meta returned is already committed, so stopping there loses
nothing; the lease is released on the way out and a restart, or another replica, continues at once.
"""

from __future__ import annotations

import threading

from meta.domain.errors import AdBeeError


class CreationInterrupted(AdBeeError):
    """The process is stopping; the creation stopped at a checkpoint and will be carried on."""


class StopSignal:
    """One per process; set once when it is asked to stop."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``CreationInterrupted`` when the process is stopping."""
        if self._event.is_set():
            raise CreationInterrupted(
                "AdBee is stopping; this creation continues from its last step when it is back"
            )

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that ends as soon as the process is asked to stop (then raises)."""
        self._event.wait(max(seconds, 0.0))
        self.check()
