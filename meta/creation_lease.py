"""One process at a time runs a given creation.

A creation runs for minutes (upload, processing, throttle waits). Two runs of the same one (a
resubmitted form, a second CLI, a replica taking over what it thinks was abandoned) would each
post the objects the other has not recorded yet, so ``run`` first takes a lease on the row:
``claimed_by`` names the run, a heartbeat keeps ``updated_at`` fresh, and the lease counts as free
only when nobody holds it, its holder was a process of this host that has died (a CLI killed
with -9), or its heartbeat stopped a minute ago (a replica that died).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType

from meta.errors import AdBeeError
from storage.models import CampaignRow
from storage.repository import CampaignStore

HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=60)


class CreationBusyError(AdBeeError):
    """Another live process is running this creation right now."""


def new_run_id() -> str:
    """host:pid:random — unique per run, and says which process to check for liveness."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_is_free(row: CampaignRow, *, now: datetime | None = None) -> bool:
    owner = row.claimed_by
    if not owner:
        return True
    if _dead_local_process(owner):
        return True
    updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
    return updated < (now or datetime.now(UTC)) - STALE_AFTER


def _dead_local_process(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return False  # this process is alive; its other run holds the lease
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class CreationLease:
    """``with CreationLease(store, row):`` — held for the whole run, released at the end."""

    def __init__(self, store: CampaignStore, row: CampaignRow) -> None:
        self._store = store
        self._row = row
        self.run_id = new_run_id()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> CreationLease:
        row = self._row
        if not lease_is_free(row) or not self._store.take_lease(
            row.id, expected_owner=row.claimed_by, new_owner=self.run_id
        ):
            raise CreationBusyError(
                f"{row.name!r} (AdBee #{row.id}) is being created right now by another AdBee "
                "process; wait for it to finish, it will post the result."
            )
        self._beat = threading.Thread(target=self._heartbeat, name=f"lease-{row.id}", daemon=True)
        self._beat.start()
        return self

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            self._store.touch(self._row.id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._store.take_lease(self._row.id, expected_owner=self.run_id, new_owner=None)


def stale_before(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - STALE_AFTER
