"""One process at a time runs a given creation.

A creation runs for minutes (upload, processing, throttle waits). Two runs of the same one (a
resubmitted form, a second CLI, a replica taking over what it thinks was abandoned) would each
post the objects the other has not recorded yet, so ``run`` first takes a lease on the row:
``claimed_by`` names the run, a heartbeat keeps ``updated_at`` fresh, and the lease counts as free
only when nobody holds it, its holder was a process of this host that has died (a CLI killed
with -9), or its heartbeat stopped a minute ago (a replica that died). The liveness rules and
the heartbeat are shared with activation claims (``meta.leases``).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from types import TracebackType

from meta.errors import AdBeeError
from meta.leases import Heartbeat, LeaseTiming, lease_cutoff, new_holder_id
from storage.models import CampaignRow
from storage.repository import CampaignStore

HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=60)
# A creation's writes are looked up by name before being repeated (``pending_writes``), so a
# dead process's lease is free at once.
TIMING = LeaseTiming(
    heartbeat_seconds=HEARTBEAT_SECONDS, stale_after=STALE_AFTER, dead_grace=timedelta(0)
)


class CreationBusyError(AdBeeError):
    """Another live process is running this creation right now."""


def new_run_id() -> str:
    """host:pid:random — unique per run, and says which process to check for liveness."""
    return new_holder_id()


def lease_is_free(row: CampaignRow, *, now: datetime | None = None) -> bool:
    return lease_cutoff(row, TIMING, now=now) is not None


class CreationLease:
    """``with CreationLease(store, row):`` — held for the whole run, released at the end."""

    def __init__(self, store: CampaignStore, row: CampaignRow) -> None:
        self._store = store
        self._row = row
        self.run_id = new_run_id()
        self._heartbeat = Heartbeat(
            self.run_id,
            lambda ids: store.touch_held(ids, holder=self.run_id),
            interval=HEARTBEAT_SECONDS,
            name=f"lease-{row.id}",
        )
        self._held = contextlib.ExitStack()

    def __enter__(self) -> CreationLease:
        row = self._row
        self._held.enter_context(self._heartbeat.hold(row.id))
        if not lease_is_free(row) or not self._store.take_lease(
            row.id, expected_owner=row.claimed_by, new_owner=self.run_id
        ):
            self._held.close()
            raise CreationBusyError(
                f"{row.name!r} (AdBee #{row.id}) is being created right now by another AdBee "
                "process; wait for it to finish, it will post the result."
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._held.close()
        self._store.take_lease(self._row.id, expected_owner=self.run_id, new_owner=None)


def stale_before(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - STALE_AFTER
