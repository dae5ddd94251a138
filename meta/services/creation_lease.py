"""One process at a time runs a given creation.

A creation runs for minutes (upload, processing, throttle waits). Two runs of the same one (a
resubmitted form, a second CLI, a replica taking over what it thinks was abandoned) would each
post the objects the other has not recorded yet, so ``run`` first takes a lease on the row:
``claimed_by`` names the run, a heartbeat keeps ``updated_at`` fresh, and the lease counts as free
only when nobody holds it, its holder was a process of this host that has died (a CLI killed
with -9), or its heartbeat stopped a minute ago (a replica that died). The liveness rules and
the heartbeat are shared with activation claims (``meta.services.leases``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol

from meta.domain.errors import AdBeeError
from meta.domain.records import CampaignRecord
from meta.services.leases import Heartbeat, LeasedRow, LeaseTiming, lease_cutoff, new_holder_id

HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=60)
# A creation's writes are looked up by name before being repeated (pending Meta objects), so a
# dead process's lease is free at once.
TIMING = LeaseTiming(
    heartbeat_seconds=HEARTBEAT_SECONDS, stale_after=STALE_AFTER, dead_grace=timedelta(0)
)

log = logging.getLogger(__name__)


class CreationBusyError(AdBeeError):
    """Another live process is running this creation right now."""


def new_run_id() -> str:
    """host:pid:random — unique per run, and says which process to check for liveness."""
    return new_holder_id()


class LeaseStore(Protocol):
    def take_lease(
        self, row_id: int, /, *, expected_owner: str | None, new_owner: str | None
    ) -> bool: ...
    def touch_held(self, row_ids: Iterable[int], /, *, holder: str) -> int: ...


_held_lock = threading.Lock()
_held: dict[tuple[int, int], Lease] = {}  # (id of the store, row id) -> lease held by this process


def lease_is_free(row: LeasedRow, *, now: datetime | None = None) -> bool:
    return lease_cutoff(row, TIMING, now=now) is not None


class Lease:
    """``with Lease(store, row, busy=...):`` — held for the whole run, released at the end.

    Every lease this process holds is also known to ``release_held_leases``, which a stopping
    process calls for runs that did not reach a checkpoint within the grace period, so a
    restart or a replica does not wait a minute for the heartbeat to go stale.
    """

    def __init__(self, store: LeaseStore, row: LeasedRow, *, busy: str) -> None:
        self._store = store
        self._row = row
        self._busy = busy
        self.run_id = new_run_id()
        self._heartbeat = Heartbeat(
            self.run_id,
            lambda ids: store.touch_held(ids, holder=self.run_id),
            interval=HEARTBEAT_SECONDS,
            name=f"lease-{row.id}",
        )
        self._held = contextlib.ExitStack()
        self._released = False

    def __enter__(self) -> Lease:
        row = self._row
        self._held.enter_context(self._heartbeat.hold(row.id))
        if not lease_is_free(row) or not self._store.take_lease(
            row.id, expected_owner=row.claimed_by, new_owner=self.run_id
        ):
            self._held.close()
            raise CreationBusyError(self._busy)
        with _held_lock:
            _held[(id(self._store), row.id)] = self
        return self

    def release(self) -> None:
        """Give the lease back (once; only while this run still holds it)."""
        with _held_lock:
            if self._released:
                return
            self._released = True
            _held.pop((id(self._store), self._row.id), None)
        self._held.close()
        try:
            self._store.take_lease(self._row.id, expected_owner=self.run_id, new_owner=None)
        except Exception as error:  # no live run of ours holds it now: it counts as free anyway
            log.warning("could not release the lease of #%s: %s", self._row.id, error)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class CreationLease(Lease):
    """The lease on one creation (a campaign row)."""

    def __init__(self, store: LeaseStore, row: CampaignRecord) -> None:
        super().__init__(
            store,
            row,
            busy=f"{row.name!r} (AdBee #{row.id}) is being created right now by another AdBee "
            "process; wait for it to finish, it will post the result.",
        )


def release_held_leases() -> int:
    """Release every lease this process still holds; returns how many. For a stopping process."""
    with _held_lock:
        leases = list(_held.values())
    for lease in leases:
        try:
            lease.release()
        except Exception:  # the database may be what is failing; the heartbeat then goes stale
            continue
    return len(leases)


def stale_before(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - STALE_AFTER
