"""Accepted create requests: recorded once per submission, run by one process at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from meta.services.creation_lease import CreationBusyError, Lease, lease_is_free
from storage.db import create_schema, make_engine, make_session_factory
from storage.requests import CreationRequestStore


@pytest.fixture
def requests(tmp_path: Path) -> CreationRequestStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'requests.db'}")
    create_schema(engine)
    return CreationRequestStore(make_session_factory(engine))


def _record(requests: CreationRequestStore, key: str = "view:V1:abc"):  # type: ignore[no-untyped-def]
    return requests.add(
        key=key,
        form={"name": "AINOTE2 launch SG", "files": [{"id": "F1"}]},
        requested_by="U_ALICE",
        team_id="T1",
        view_id="V1",
        status="queued",
    )


def test_a_redelivered_submission_is_recorded_once(requests):
    first = _record(requests)
    assert first is not None and first.attempts == 0
    assert _record(requests) is None
    assert [r.id for r in requests.list_requests(statuses=["queued"])] == [first.id]


def test_queued_requests_come_back_oldest_first_and_leave_the_list_once_started(requests):
    one, two = _record(requests, "k1"), _record(requests, "k2")
    assert [r.id for r in requests.list_requests(statuses=["queued"])] == [one.id, two.id]
    requests.finish(one.id, "started", campaign_id=7)
    assert [r.id for r in requests.list_requests(statuses=["queued"])] == [two.id]
    assert requests.for_campaign(7).id == one.id


def test_one_process_at_a_time_carries_a_request_on(requests):
    row = _record(requests)
    with Lease(requests, row, busy="taken"):
        held = requests.get(row.id)
        assert not lease_is_free(held)
        with pytest.raises(CreationBusyError, match="taken"), Lease(requests, held, busy="taken"):
            pass
    assert requests.get(row.id).claimed_by is None
