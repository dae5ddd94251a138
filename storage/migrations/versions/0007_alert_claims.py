"""alerts.claimed_by/claimed_at: who is sending an alert, so a dead sender's alerts are sent again.

A replica killed while it posted an alert left the row ``sending`` until some process started
again (``requeue_interrupted``); the replica still running never sent it. The claim now names
its holder (``host:pid:token``) and when it was taken, like a campaign lease.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("claimed_by", sa.String(length=80), nullable=True))
    op.add_column("alerts", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
