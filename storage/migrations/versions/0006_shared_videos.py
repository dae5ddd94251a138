"""shared_videos: a video file used by several campaigns of one ad account is uploaded once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_videos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ad_account_id", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_campaign_id", sa.Integer(), nullable=False),
        sa.Column("meta_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ad_account_id", "sha256", name="uq_shared_videos_account_sha256"),
    )
    op.create_index("ix_shared_videos_meta_id", "shared_videos", ["meta_id"])


def downgrade() -> None:
    op.drop_index("ix_shared_videos_meta_id", table_name="shared_videos")
    op.drop_table("shared_videos")
