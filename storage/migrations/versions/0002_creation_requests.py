"""Accepted create requests: creation_requests (storage/models.py, CreationRequestRow).

A submitted create form is recorded here before Slack gets its ack, so a crash or a stop while
the video is still being downloaded no longer loses it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.String(length=40), nullable=True),
        sa.Column("view_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("slack_channel", sa.String(length=40), nullable=True),
        sa.Column("slack_ts", sa.String(length=40), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_creation_requests_key"),
    )
    op.create_index("ix_creation_requests_status", "creation_requests", ["status"], unique=False)
    op.create_index(
        "ix_creation_requests_campaign_id", "creation_requests", ["campaign_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_creation_requests_campaign_id", table_name="creation_requests")
    op.drop_index("ix_creation_requests_status", table_name="creation_requests")
    op.drop_table("creation_requests")
