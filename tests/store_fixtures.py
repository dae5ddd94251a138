"""Put campaigns into the states a test or benchmark starts from.

The product writes campaigns only through ``CampaignStore``'s typed methods; a test that needs a
row in a state no flow would reach quickly (a claim held elsewhere, an ``updated_at`` in the
past, a start time moved) sets the columns here. Unknown column names are refused, so a typo
fails the test instead of setting nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from meta.domain.records import ObjectKind, ObjectRef
from meta.domain.states import Step
from storage.models import CampaignRow
from storage.repository import CampaignStore


def set_columns(store: CampaignStore, campaign_id: int, **columns: Any) -> None:
    known = set(CampaignRow.__table__.columns.keys())
    unknown = sorted(set(columns) - known)
    if unknown:
        raise TypeError(f"campaigns has no column {', '.join(unknown)}")
    with store._sessions() as session:
        session.execute(update(CampaignRow).where(CampaignRow.id == campaign_id).values(**columns))
        session.commit()


def record_objects(
    store: CampaignStore,
    campaign_id: int,
    *,
    video: str | None = None,
    creative: str | None = None,
    campaign: str | None = None,
    adset: str | None = None,
    ad: str | None = None,
) -> None:
    """Record the ``main`` Meta objects of a campaign made outside the pipeline, linked."""
    plan = (
        (ObjectKind.VIDEO, video, Step.UPLOAD, None, None),
        (ObjectKind.CREATIVE, creative, Step.CREATIVE, None, ObjectKind.VIDEO),
        (ObjectKind.CAMPAIGN, campaign, Step.CAMPAIGN, None, None),
        (ObjectKind.ADSET, adset, Step.ADSET, ObjectKind.CAMPAIGN, None),
        (ObjectKind.AD, ad, Step.AD, ObjectKind.ADSET, ObjectKind.CREATIVE),
    )
    for kind, meta_id, step, parent, uses in plan:
        if meta_id:
            store.record_meta_object(
                campaign_id,
                ObjectRef(kind),
                meta_id,
                step=step,
                parent=ObjectRef(parent) if parent else None,
                uses=ObjectRef(uses) if uses else None,
            )
