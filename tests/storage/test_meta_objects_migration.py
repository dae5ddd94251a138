"""Migration 0004 carries a database made by the 0003 schema, with real rows, over to
``meta_objects``: every id, pending write, upload session and thumbnail comes through, the old
columns go, the audit trail keeps its campaign ids, and ``downgrade`` puts the columns back.

Runs on SQLite, and on PostgreSQL (a fresh database) when ADBEE_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from meta.domain.records import ObjectKind, ObjectRef, ObjectStatus
from meta.domain.states import Step
from storage.db import make_engine, make_session_factory
from storage.repository import CampaignStore
from storage.schema_version import alembic_config
from tests.storage.test_migrations import PG_URL, _postgres_database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SESSION = {"video_id": "V1", "upload_session_id": "S1", "next_offset": 4_194_304, "file_size": 9e6}

# The campaigns table as revision 0003 has it.
CAMPAIGNS_0003 = sa.table(
    "campaigns",
    *(
        sa.column(name, kind)
        for name, kind in {
            "id": sa.Integer(),
            "account_key": sa.String(),
            "ad_account_id": sa.String(),
            "name": sa.String(),
            "spec": sa.JSON(),
            "status": sa.String(),
            "step": sa.String(),
            "requested_by": sa.String(),
            "source": sa.String(),
            "video_id": sa.String(),
            "upload_session": sa.JSON(),
            "thumbnail_url": sa.Text(),
            "creative_id": sa.String(),
            "meta_campaign_id": sa.String(),
            "adset_id": sa.String(),
            "ad_id": sa.String(),
            "pending_writes": sa.JSON(),
            "start_time": sa.DateTime(timezone=True),
            "activated_at": sa.DateTime(timezone=True),
            "error": sa.Text(),
            "created_at": sa.DateTime(timezone=True),
            "updated_at": sa.DateTime(timezone=True),
        }.items()
    ),
)
AUDIT = sa.table(
    "audit_events",
    sa.column("campaign_id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
)


def meta_campaign(n: int) -> str:
    return f"120210{n:09d}"  # Meta's ids are long numbers; ``find`` takes them as such


IDS = ("video_id", "creative_id", "meta_campaign_id", "adset_id", "ad_id")


def campaign(campaign_id: int, status: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": campaign_id,
        "account_key": "iflytek-sg",
        "ad_account_id": "act_1234567890",
        "name": f"AINOTE2 #{campaign_id}",
        "spec": {"name": f"AINOTE2 #{campaign_id}"},
        "status": status,
        "step": None,
        "requested_by": "U_ALICE",
        "source": "slack",
        "upload_session": None,
        "thumbnail_url": None,
        "pending_writes": [],
        "start_time": NOW,
        "activated_at": None,
        "error": None,
        "created_at": NOW,
        "updated_at": NOW,
        **{column: None for column in IDS},
    }
    row.update(fields)
    return row


ROWS = [
    # stopped mid-upload: Meta has the video's session, the upload's answer is pending
    campaign(
        1,
        "creating",
        step="upload_video",
        video_id="V1",
        upload_session=SESSION,
        pending_writes=["upload_video"],
    ),
    # stopped mid-step on both branches: the campaign exists, ad set and creative are pending
    campaign(
        2,
        "creating",
        step="create_adset",
        video_id="V2",
        thumbnail_url="https://t.example/2.jpg",
        meta_campaign_id=meta_campaign(2),
        pending_writes=["create_adset", "create_creative"],
    ),
    # ready for approval: all five objects
    campaign(
        3,
        "created",
        video_id="V3",
        thumbnail_url="https://t.example/3.jpg",
        creative_id="CR3",
        meta_campaign_id=meta_campaign(3),
        adset_id="AS3",
        ad_id="AD3",
    ),
    campaign(
        4,
        "active",
        video_id="V4",
        thumbnail_url="https://t.example/4.jpg",
        creative_id="CR4",
        meta_campaign_id=meta_campaign(4),
        adset_id="AS4",
        ad_id="AD4",
        activated_at=NOW,
    ),
    # failed after processing: the video is kept, nothing else was made
    campaign(
        5,
        "failed",
        step="create_creative",
        video_id="V5",
        thumbnail_url="https://t.example/5.jpg",
        error="Creating ad creative stopped: Meta was unreachable.",
    ),
    campaign(6, "rolled_back", error="Meta refused the ad set."),  # nothing left in Meta
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'adbee.db'}"
        return
    if not PG_URL:
        pytest.skip("ADBEE_TEST_POSTGRES_URL is not set")
    yield from _postgres_database()


def database_at_0003(url: str) -> None:
    command.upgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(CAMPAIGNS_0003), ROWS)
            connection.execute(
                sa.insert(AUDIT),
                [
                    {
                        "campaign_id": i,
                        "actor": "U_BOB",
                        "action": "approve",
                        "outcome": "ok",
                        "at": NOW,
                    }
                    for i in (3, 4)
                ],
            )
    finally:
        engine.dispose()


def test_upgrade_moves_every_campaigns_objects_into_rows(database: str) -> None:
    database_at_0003(database)
    command.upgrade(alembic_config(database), "0004")
    engine = make_engine(database)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("campaigns")}
        assert not columns & {*IDS, "upload_session", "thumbnail_url", "pending_writes"}
        store = CampaignStore(make_session_factory(engine))
        records = {r.id: r for r in store.list_campaigns(limit=None)}

        mid_upload = records[1]
        assert mid_upload.video_id == "V1" and mid_upload.upload_session == SESSION
        assert mid_upload.pending_steps == ["upload_video"]
        assert [o.kind for o in mid_upload.objects] == [ObjectKind.VIDEO]

        both_pending = records[2]
        assert both_pending.meta_campaign_id == meta_campaign(2) and both_pending.adset_id is None
        assert sorted(both_pending.pending_steps) == ["create_adset", "create_creative"]
        adset = both_pending.object(ObjectRef(ObjectKind.ADSET))
        assert adset is not None and adset.status is ObjectStatus.PLANNED and adset.pending
        assert adset.parent_id == both_pending.object(ObjectRef(ObjectKind.CAMPAIGN)).id  # type: ignore[union-attr]
        assert both_pending.thumbnail_url == "https://t.example/2.jpg"

        for ready in (records[3], records[4]):
            n = ready.id
            assert (ready.video_id, ready.creative_id, ready.meta_campaign_id) == (
                f"V{n}",
                f"CR{n}",
                meta_campaign(n),
            )
            assert (ready.adset_id, ready.ad_id) == (f"AS{n}", f"AD{n}")
            assert ready.pending_steps == [] and ready.upload_session is None
            by_kind = {o.kind: o for o in ready.objects}
            assert all(o.status is ObjectStatus.CREATED for o in ready.objects)
            assert by_kind[ObjectKind.AD].parent_id == by_kind[ObjectKind.ADSET].id
            assert by_kind[ObjectKind.AD].uses_id == by_kind[ObjectKind.CREATIVE].id
            assert by_kind[ObjectKind.CREATIVE].uses_id == by_kind[ObjectKind.VIDEO].id
            assert by_kind[ObjectKind.ADSET].parent_id == by_kind[ObjectKind.CAMPAIGN].id
            assert by_kind[ObjectKind.VIDEO].step is Step.UPLOAD
        assert records[4].activated_at == NOW and records[4].status == "active"

        failed = records[5]
        assert failed.video_id == "V5" and failed.creative_id is None
        assert failed.thumbnail_url == "https://t.example/5.jpg" and failed.error

        assert records[6].objects == ()
        # a campaign is still found by its Meta campaign id
        found = store.find(meta_campaign(3))
        assert found is not None and found.id == 3
        # the audit trail still names its campaigns
        assert [e.campaign_id for e in store.audit_events()] == [3, 4]
    finally:
        engine.dispose()


def test_downgrade_puts_the_columns_back_with_their_values(database: str) -> None:
    database_at_0003(database)
    config = alembic_config(database)
    command.upgrade(config, "0004")
    command.downgrade(config, "0003")
    engine = make_engine(database)
    try:
        assert "meta_objects" not in sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            back = {
                row["id"]: row
                for row in connection.execute(
                    sa.select(CAMPAIGNS_0003).order_by(CAMPAIGNS_0003.c.id)
                ).mappings()
            }
        for before in ROWS:
            after = back[before["id"]]
            for column in (*IDS, "thumbnail_url", "upload_session"):
                assert after[column] == before[column], (before["id"], column)
            assert sorted(after["pending_writes"]) == sorted(before["pending_writes"])
    finally:
        engine.dispose()
    command.upgrade(config, "head")  # and up again
