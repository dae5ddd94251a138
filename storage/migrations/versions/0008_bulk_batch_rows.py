"""creation_requests.batch/batch_row: a ``/campaign bulk`` row is shown in its batch message.

A bulk of N rows posted N progress messages and N cards, each a ``chat.postMessage`` that Slack
paces at about one per second per channel. Its rows now live in the batch message instead: the
request records its batch and sheet row, and its ``slack_channel``/``slack_ts`` name the batch
message, so every re-render of such a row re-renders the whole batch message from the store.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("creation_requests", sa.Column("batch", sa.String(length=40), nullable=True))
    op.add_column("creation_requests", sa.Column("batch_row", sa.Integer(), nullable=True))
    op.create_index("ix_creation_requests_batch", "creation_requests", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_creation_requests_batch", table_name="creation_requests")
    with op.batch_alter_table("creation_requests") as batch:
        batch.drop_column("batch_row")
        batch.drop_column("batch")
