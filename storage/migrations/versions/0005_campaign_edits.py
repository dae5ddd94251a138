"""campaign_edits: one row per edit of a campaign, with its plan and what is done in Meta.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_edits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("slack_channel", sa.String(length=40), nullable=True),
        sa.Column("slack_ts", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_edits_campaign_id", "campaign_edits", ["campaign_id"])
    op.create_index("ix_campaign_edits_status", "campaign_edits", ["status"])


def downgrade() -> None:
    op.drop_index("ix_campaign_edits_status", table_name="campaign_edits")
    op.drop_index("ix_campaign_edits_campaign_id", table_name="campaign_edits")
    op.drop_table("campaign_edits")
