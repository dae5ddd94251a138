"""``CampaignStore``'s typed writes: records out, a refused status change writes nothing, and
a campaign owns several objects of one kind under their own keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meta.domain.ports import NewAlert, NewAudit, Transition
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef, ObjectStatus
from meta.domain.states import IllegalTransitionError, Status, Step
from storage.db import create_schema, make_engine, make_session_factory
from storage.repository import CampaignStore

VIDEO = ObjectRef(ObjectKind.VIDEO)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CampaignStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'adbee.db'}")
    create_schema(engine)
    yield CampaignStore(make_session_factory(engine))
    engine.dispose()


def new(store: CampaignStore) -> CampaignRecord:
    return store.add_campaign(
        account_key="iflytek-sg",
        ad_account_id="act_1",
        name="AINOTE2 SG",
        spec={"name": "AINOTE2 SG"},
        requested_by="U_ALICE",
        source="test",
        start_time=datetime(2026, 12, 24, 12, tzinfo=UTC),
    )


def test_a_misspelled_field_is_an_error_not_a_silent_no_op(store: CampaignStore) -> None:
    campaign = new(store)
    with pytest.raises(AttributeError):
        store.update(campaign.id, adsett_id="1")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        store.transition(  # type: ignore[call-arg]
            campaign.id, from_statuses=[Status.CREATING], to_status=Status.FAILED, adsett_id="1"
        )


def test_an_illegal_status_change_is_refused_and_writes_nothing(store: CampaignStore) -> None:
    campaign = new(store)
    with pytest.raises(IllegalTransitionError, match="from creating to active"):
        store.set_status(campaign.id, Status.ACTIVE, error=None)
    with pytest.raises(IllegalTransitionError, match="from created to active"):
        store.transition(campaign.id, from_statuses=[Status.CREATED], to_status=Status.ACTIVE)
    after = store.get(campaign.id)
    assert after is not None and after.status == Status.CREATING


def test_a_transition_queues_its_alert_in_the_same_commit_once(store: CampaignStore) -> None:
    campaign = new(store)
    store.set_status(campaign.id, Status.CREATED, error=None)
    alert = NewAlert(kind="live", dedupe_key=f"{campaign.id}:x", payload={}, campaign_id=1)
    moved = store.transition(
        campaign.id, from_statuses=[Status.CREATED], to_status=Status.SCHEDULED, alert=alert
    )
    again = store.transition(
        campaign.id, from_statuses=[Status.CREATED], to_status=Status.SCHEDULED, alert=alert
    )
    assert (moved, again) == (True, False)
    assert [a.dedupe_key for a in store.alerts()] == [f"{campaign.id}:x"]


def test_a_bursts_moves_commit_together_and_each_is_its_own_compare_and_set(
    store: CampaignStore,
) -> None:
    """At a burst's start many rows move in one transaction; one that another actor moved
    first stays as it is and queues nothing, the others move with their alert and audit."""
    first, second, taken = (new(store) for _ in range(3))
    for campaign in (first, second, taken):
        store.set_status(campaign.id, Status.CREATED, error=None)
    store.set_status(taken.id, Status.REJECTED, error=None)  # moved by someone else first

    def move(campaign: CampaignRecord) -> Transition:
        return Transition(
            campaign.id,
            (Status.CREATED,),
            Status.SCHEDULED,
            alert=NewAlert("live", f"{campaign.id}:live", {}, campaign.id),
            audit=NewAudit("bot", "scheduled", "ok"),
        )

    assert store.transition_many([move(first), move(taken), move(second)]) == [True, False, True]
    assert [store.get(c.id).status for c in (first, second, taken)] == [  # type: ignore[union-attr]
        Status.SCHEDULED,
        Status.SCHEDULED,
        Status.REJECTED,
    ]
    assert [a.campaign_id for a in store.alerts()] == [first.id, second.id]
    audited = [e.campaign_id for e in store.audit_events() if e.action == "scheduled"]
    assert audited == [first.id, second.id]
    fresh = new(store)
    store.set_status(fresh.id, Status.CREATED, error=None)
    illegal = Transition(second.id, (Status.CREATED,), Status.ACTIVE)
    with pytest.raises(IllegalTransitionError, match="from created to active"):
        store.transition_many([move(fresh), illegal])  # refused before anything is written
    assert store.get(fresh.id).status == Status.CREATED  # type: ignore[union-attr]


def test_a_bursts_alerts_are_claimed_once_and_finished_together(store: CampaignStore) -> None:
    campaign = new(store)
    for key in ("a", "b", "c"):
        store.enqueue_alert(kind="live", dedupe_key=key, payload={}, campaign_id=campaign.id)
    ids = [a.id for a in store.alerts()]
    assert store.claim_alert(ids[1])  # another replica took this one
    assert store.claim_alerts(ids) == [ids[0], ids[2]]
    assert store.claim_alerts(ids) == []
    store.finish_alerts([ids[0], ids[2]], error="Slack down")
    assert [a.status for a in store.alerts()] == ["pending", "sending", "pending"]
    store.finish_alerts(ids)
    assert {a.status for a in store.alerts()} == {"sent"}


def test_pending_then_recorded_objects_are_linked_and_the_marker_goes(store: CampaignStore) -> None:
    campaign = new(store)
    store.mark_pending(campaign.id, VIDEO, step=Step.UPLOAD)
    store.set_upload_session(campaign.id, VIDEO, meta_id="V1", session={"video_id": "V1"})
    mid = store.get(campaign.id)
    assert mid is not None and mid.pending_steps == ["upload_video"]
    assert mid.video_id == "V1" and mid.upload_session == {"video_id": "V1"}

    store.record_meta_object(campaign.id, VIDEO, "V1", step=Step.UPLOAD)
    store.set_thumbnail(campaign.id, VIDEO, "https://t.example/1.jpg")
    creative = ObjectRef(ObjectKind.CREATIVE)
    store.record_meta_object(campaign.id, creative, "CR1", step=Step.CREATIVE, uses=VIDEO)
    done = store.get(campaign.id)
    assert done is not None and done.pending_steps == [] and done.upload_session is None
    assert done.thumbnail_url == "https://t.example/1.jpg"
    video, made = done.object(VIDEO), done.object(creative)
    assert video is not None and made is not None and made.uses_id == video.id


def test_several_objects_of_one_kind_and_a_replaced_one_kept(store: CampaignStore) -> None:
    campaign = new(store)
    for key in ("a", "b", "c"):
        store.record_meta_object(campaign.id, ObjectRef(ObjectKind.VIDEO, key), f"V-{key}")
    store.record_meta_object(campaign.id, ObjectRef(ObjectKind.CREATIVE, "a"), "CR-a")
    store.mark_deleted(campaign.id, ObjectRef(ObjectKind.VIDEO, "b"))
    record = store.get(campaign.id)
    assert record is not None
    assert [v.meta_id for v in record.objects_of(ObjectKind.VIDEO)] == ["V-a", "V-c"]
    gone = [o for o in record.objects if o.status is ObjectStatus.DELETED]
    assert [(o.key, o.meta_id) for o in gone] == [("b", "V-b")]
    # one row per (campaign, kind, key): recording again updates it
    store.record_meta_object(campaign.id, ObjectRef(ObjectKind.VIDEO, "a"), "V-a2")
    again = store.get(campaign.id)
    assert again is not None and len(again.objects) == 4
    assert again.meta_id(ObjectRef(ObjectKind.VIDEO, "a")) == "V-a2"


def test_find_by_meta_campaign_id_and_records_not_rows(store: CampaignStore) -> None:
    campaign = new(store)
    store.record_meta_object(campaign.id, ObjectRef(ObjectKind.CAMPAIGN), "120210000000042")
    found = store.find("120210000000042")
    assert isinstance(found, CampaignRecord) and found.id == campaign.id
    assert found.meta_campaign_id == "120210000000042"


def test_a_new_creative_swapped_into_the_ad_keeps_the_old_one_as_replaced(
    store: CampaignStore,
) -> None:
    campaign = new(store)
    creative, ad = ObjectRef(ObjectKind.CREATIVE), ObjectRef(ObjectKind.AD)
    store.record_meta_object(campaign.id, VIDEO, "V1")
    store.record_meta_object(campaign.id, creative, "CR1", uses=VIDEO)
    store.record_meta_object(campaign.id, ad, "AD1", uses=creative)
    edit = ObjectRef(ObjectKind.CREATIVE, "edit-1")
    for _twice in range(2):  # a resumed swap changes nothing more
        store.swap_in(campaign.id, ad, edit, "CR2", step=Step.CREATIVE)
    record = store.get(campaign.id)
    assert record is not None and record.creative_id == "CR2" and record.ad_id == "AD1"
    old = next(o for o in record.objects if o.meta_id == "CR1")
    swapped = record.object(edit)
    assert old.status is ObjectStatus.REPLACED and swapped is not None
    assert record.object(ad).uses_id == swapped.id  # type: ignore[union-attr]
    assert swapped.uses_id == record.object(VIDEO).id  # type: ignore[union-attr]


def test_a_create_step_begins_with_the_campaigns_step_and_its_marker_in_one_write(
    store: CampaignStore,
) -> None:
    campaign = new(store)
    ad = ObjectRef(ObjectKind.AD, "2")
    store.begin_step(campaign.id, ad, step=Step.AD)
    began = store.get(campaign.id)
    assert began is not None and began.step == Step.AD and began.pending_steps == ["create_ad"]
    assert began.updated_at >= campaign.updated_at
    store.record_meta_object(campaign.id, ad, "AD2", step=Step.AD)
    done = store.get(campaign.id)
    assert done is not None and done.pending_steps == [] and done.meta_id(ad) == "AD2"
    with pytest.raises(KeyError):
        store.begin_step(campaign.id + 99, ad, step=Step.AD)  # no such campaign: nothing made


def test_a_step_of_a_campaign_that_is_not_there_is_an_error(store: CampaignStore) -> None:
    with pytest.raises(KeyError):
        store.set_step(404, Step.UPLOAD)
    with pytest.raises(KeyError):
        store.set_status(404, Status.FAILED, error="gone")


def test_a_burst_handed_over_as_a_generator_still_moves_when_the_first_try_meets_a_lock(
    tmp_path: Path,
) -> None:
    """A locked database makes a store call try again; the activation burst passed its moves as
    a generator, which the first try had used up, so the retry moved nothing and the burst's
    check crashed (seen with a backup holding the file's lock at a start time)."""
    import sqlite3
    import threading
    import time

    path = tmp_path / "adbee.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout=0.1)
    create_schema(engine)
    store = CampaignStore(make_session_factory(engine), retry_seconds=10)
    campaigns = [new(store) for _ in range(2)]
    for campaign in campaigns:
        store.set_status(campaign.id, Status.CREATED, error=None)
    locked = threading.Event()

    def hold_the_lock() -> None:  # another process's writer, e.g. a backup or a migration
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(0.6)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(5)
    moves = (Transition(c.id, (Status.CREATED,), Status.SCHEDULED) for c in campaigns)
    try:
        assert store.transition_many(moves) == [True, True]
    finally:
        holder.join()
        engine.dispose()
    assert [store.get(c.id).status for c in campaigns] == [Status.SCHEDULED] * 2  # type: ignore[union-attr]
