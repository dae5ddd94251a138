"""meta_objects: a campaign's Meta objects as rows, instead of one column per object.

Every campaign's ids (video, creative, campaign, ad set, ad), its pending-write markers, the
video's resumable upload session and its thumbnail move into ``meta_objects`` under the key
``main``; the eight columns of ``campaigns`` that held them go. ``downgrade`` copies the ``main``
objects back into the columns.

The columns are dropped with SQLite's own ``ALTER TABLE ... DROP COLUMN`` (3.35+) rather than a
batch copy: the copy drops ``campaigns``, and with ``foreign_keys=ON`` that would set every
``audit_events.campaign_id`` to NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAIN = "main"
# (kind, campaigns column holding its Meta id, the step that creates it), in creation order.
OBJECTS = (
    ("video", "video_id", "upload_video"),
    ("creative", "creative_id", "create_creative"),
    ("campaign", "meta_campaign_id", "create_campaign"),
    ("adset", "adset_id", "create_adset"),
    ("ad", "ad_id", "create_ad"),
)
# kind -> (kind of its parent, kind of the object it uses)
LINKS = {
    "creative": (None, "video"),
    "adset": ("campaign", None),
    "ad": ("adset", "creative"),
}
OLD_COLUMNS = (
    "video_id",
    "upload_session",
    "thumbnail_url",
    "creative_id",
    "meta_campaign_id",
    "adset_id",
    "ad_id",
    "pending_writes",
)

campaigns = sa.table(
    "campaigns",
    sa.column("id", sa.Integer()),
    sa.column("video_id", sa.String()),
    sa.column("upload_session", sa.JSON()),
    sa.column("thumbnail_url", sa.Text()),
    sa.column("creative_id", sa.String()),
    sa.column("meta_campaign_id", sa.String()),
    sa.column("adset_id", sa.String()),
    sa.column("ad_id", sa.String()),
    sa.column("pending_writes", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
meta_objects = sa.table(
    "meta_objects",
    sa.column("id", sa.Integer()),
    sa.column("campaign_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
    sa.column("meta_id", sa.String()),
    sa.column("status", sa.String()),
    sa.column("step", sa.String()),
    sa.column("pending", sa.Boolean()),
    sa.column("parent_id", sa.Integer()),
    sa.column("uses_id", sa.Integer()),
    sa.column("upload_session", sa.JSON()),
    sa.column("thumbnail_url", sa.Text()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "meta_objects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("meta_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("uses_id", sa.Integer(), nullable=True),
        sa.Column("upload_session", sa.JSON(), nullable=True),
        sa.Column("thumbnail_url", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["meta_objects.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["uses_id"], ["meta_objects.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "kind", "key", name="uq_meta_objects_campaign_kind_key"),
    )
    op.create_index("ix_meta_objects_campaign_id", "meta_objects", ["campaign_id"], unique=False)
    op.create_index("ix_meta_objects_meta_id", "meta_objects", ["meta_id"], unique=False)
    connection = op.get_bind()
    rows = [
        row
        for campaign in connection.execute(sa.select(campaigns)).mappings()
        for row in _objects_of(campaign)
    ]
    if rows:
        connection.execute(sa.insert(meta_objects), rows)
    _link(connection)
    for column in OLD_COLUMNS:
        op.drop_column("campaigns", column)


def _objects_of(campaign: Any) -> list[dict[str, Any]]:
    pending = set(campaign["pending_writes"] or [])
    created = campaign["created_at"] or datetime.now(UTC)
    updated = campaign["updated_at"] or created
    found = []
    for kind, column, step in OBJECTS:
        meta_id = campaign[column]
        video_only = kind == "video" and (campaign["upload_session"] or campaign["thumbnail_url"])
        if not (meta_id or step in pending or video_only):
            continue
        found.append(
            {
                "campaign_id": campaign["id"],
                "kind": kind,
                "key": MAIN,
                "meta_id": meta_id,
                "status": "created" if meta_id else "planned",
                "step": step,
                "pending": step in pending,
                "parent_id": None,
                "uses_id": None,
                "upload_session": campaign["upload_session"] if kind == "video" else None,
                "thumbnail_url": campaign["thumbnail_url"] if kind == "video" else None,
                "created_at": created,
                "updated_at": updated,
            }
        )
    return found


def _link(connection: sa.Connection) -> None:
    """Point each object at its parent and at what it uses (both of the same campaign)."""
    target = sa.table("meta_objects", sa.column("id"), sa.column("campaign_id"), sa.column("kind"))
    other = target.alias("other")
    for kind, (parent, uses) in LINKS.items():
        for column, of_kind in (("parent_id", parent), ("uses_id", uses)):
            if of_kind is None:
                continue
            found = (
                sa.select(other.c.id)
                .where(
                    other.c.campaign_id == meta_objects.c.campaign_id,
                    other.c.kind == of_kind,
                )
                .scalar_subquery()
            )
            connection.execute(
                sa.update(meta_objects).where(meta_objects.c.kind == kind).values({column: found})
            )


def downgrade() -> None:
    op.add_column("campaigns", sa.Column("video_id", sa.String(length=40), nullable=True))
    op.add_column("campaigns", sa.Column("upload_session", sa.JSON(), nullable=True))
    op.add_column("campaigns", sa.Column("thumbnail_url", sa.Text(), nullable=True))
    op.add_column("campaigns", sa.Column("creative_id", sa.String(length=40), nullable=True))
    op.add_column("campaigns", sa.Column("meta_campaign_id", sa.String(length=40), nullable=True))
    op.add_column("campaigns", sa.Column("adset_id", sa.String(length=40), nullable=True))
    op.add_column("campaigns", sa.Column("ad_id", sa.String(length=40), nullable=True))
    op.add_column(
        "campaigns",
        sa.Column("pending_writes", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    connection = op.get_bind()
    column_of = {kind: column for kind, column, _step in OBJECTS}
    values: dict[int, dict[str, Any]] = {}
    for obj in connection.execute(
        sa.select(meta_objects).where(
            meta_objects.c.key == MAIN, meta_objects.c.status.in_(["planned", "created"])
        )
    ).mappings():
        fields = values.setdefault(obj["campaign_id"], {"pending_writes": []})
        if obj["kind"] not in column_of:
            continue  # images had no column before
        fields[column_of[obj["kind"]]] = obj["meta_id"]
        if obj["kind"] == "video":
            fields["upload_session"] = obj["upload_session"]
            fields["thumbnail_url"] = obj["thumbnail_url"]
        if obj["pending"] and obj["step"]:
            fields["pending_writes"].append(obj["step"])
    for campaign_id, fields in values.items():
        connection.execute(
            sa.update(campaigns).where(campaigns.c.id == campaign_id).values(**fields)
        )
    if connection.dialect.name == "postgresql":
        op.alter_column("campaigns", "pending_writes", server_default=None)
    op.drop_index("ix_meta_objects_meta_id", table_name="meta_objects")
    op.drop_index("ix_meta_objects_campaign_id", table_name="meta_objects")
    op.drop_table("meta_objects")
