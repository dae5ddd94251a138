"""Leases on campaign rows: who is working on a row right now, and when that worker is dead.

Two kinds of work hold a row for a while and must never run twice at once: a creation (minutes
of upload and processing) and an activation (seconds, or minutes while Meta throttles). Both
write their holder id into ``claimed_by`` and keep ``updated_at`` fresh with a heartbeat while
they work, and both let anyone take the row over once the holder is known to be dead:

- the holder was a process of this host that no longer exists (kill -9, the OOM killer), or it
  names this very process but no run of ours holds it (a container restarted under the same
  pid, or a run whose release was lost to a database error). Such a lease is free once the row
  has been idle for ``dead_grace``: a write the dead process had on the wire reaches Meta in
  that time, so whoever takes over reads Meta's state with that write in it;
- or, whoever the holder was (another host, a name that says nothing about a process), its
  heartbeat stopped ``stale_after`` ago.

The liveness rule is what lets a restarted bot, or a replica on the same machine, take over
within seconds; the heartbeat rule covers replicas on other hosts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class LeasedRow(Protocol):
    """A record that carries a lease: campaigns (creations, activations) and creation requests."""

    @property
    def id(self) -> int: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True)
class LeaseTiming:
    heartbeat_seconds: float
    stale_after: timedelta  # a holder we cannot check is dead once its heartbeat stopped this long
    dead_grace: timedelta  # a holder known dead: how long its row must have been idle


# One token per interpreter: a restarted process may get its predecessor's pid (pid 1 in a
# container), and the token tells the two apart.
_PROCESS_TOKEN = uuid.uuid4().hex[:6]
_live_lock = threading.Lock()
_live: set[tuple[str, int]] = set()  # (holder, row id) held by a run of this process right now


def new_holder_id() -> str:
    """host:pid:random — unique per holder, and says which process to check for liveness."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}{uuid.uuid4().hex[:4]}"


def lease_cutoff(
    row: LeasedRow, timing: LeaseTiming, *, now: datetime | None = None
) -> datetime | None:
    """The ``updated_at`` bound under which the lease on ``row`` may be taken; None if it is held.

    The caller's compare-and-set repeats the bound (``updated_at < cutoff``), so a holder whose
    heartbeat lands in between keeps its lease.
    """
    now = now or datetime.now(UTC)
    owner = row.claimed_by
    if not owner:
        return now
    if _held_here(owner, row.id):
        return None
    wait = timing.dead_grace if _holder_is_dead(owner) else timing.stale_after
    cutoff = now - wait
    return cutoff if row.updated_at < cutoff else None


def names_this_process(owner: str) -> bool:
    """Does this holder id name this very process (``new_holder_id``'s host and pid)?"""
    host, _, rest = owner.partition(":")
    return host == socket.gethostname() and rest.split(":", 1)[0] == str(os.getpid())


def _held_here(owner: str, row_id: int) -> bool:
    with _live_lock:
        return (owner, row_id) in _live


def _holder_is_dead(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return True  # our pid, but no run of ours holds it (checked before)
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a live process of another user
        return False
    return False


class Heartbeat:
    """One thread that keeps the rows a holder works on fresh, running only while it holds any.

    ``beat`` receives the ids held and refreshes their ``updated_at`` (only where ``claimed_by``
    still names the holder). A failed beat is logged and tried again at the next interval: a
    database hiccup must not end the heartbeat of a run that is still alive.
    """

    def __init__(
        self, holder: str, beat: Callable[[list[int]], object], *, interval: float, name: str
    ) -> None:
        self.holder = holder
        self._beat = beat
        self._interval = interval
        self._name = name
        self._lock = threading.Lock()
        self._held: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    @contextlib.contextmanager
    def hold(self, row_id: int) -> Iterator[None]:
        """Counts the row as held by a live run of this process until the block ends.

        Enter it *before* the compare-and-set that takes the lease, so that nobody in this
        process mistakes the fresh lease for an abandoned one.
        """
        with self._lock:
            self._held.add(row_id)
            with _live_lock:
                _live.add((self.holder, row_id))
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(row_id)
                with _live_lock:
                    _live.discard((self.holder, row_id))
                if not self._held:
                    self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            with self._lock:
                self._wake.clear()
                ids = sorted(self._held)
                if not ids:
                    self._thread = None
                    return
            try:
                self._beat(ids)
            except Exception:
                log.warning("lease heartbeat of %s failed; retrying", self.holder, exc_info=True)
