"""Reject one ad of a campaign awaiting approval: it is deleted in Meta, the others stay.

Deleted, not left paused and excluded: a paused ad in the campaign's ad set is one click in Ads
Manager (or any "switch the ad set's ads on") away from spending money nobody approved, and it
still counts against Meta's 50 ads per ad set; a paused ad that never delivered loses nothing by
deletion (no results to keep). Its creative goes with it (nothing else shows it). Its video stays
in the ad account: a video cannot spend by itself, and since uploads are shared by content
(``meta.services.shared_videos``: another ad or campaign of the account may show the very same
video) deleting it could break ads nobody rejected.

Persisted steps, each committed before the next call, so a crash or a lost answer is finished by
the next click and nothing is done twice:

1. the ad's row is marked ``rejected_by`` (``CampaignRepository.mark_rejecting``): from here on it
   is never switched on (``CampaignRecord.remaining_ads``), even if its deletion is not done yet;
2. each object is deleted in Meta, then its row marked ``rejected`` (``mark_rejected``). Deleting
   what Meta no longer has (a second click, an answer lost after the delete) counts as done.
"""

from __future__ import annotations

import logging

from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord, MetaObject, ObjectKind, ObjectRef

log = logging.getLogger(__name__)

# Meta's answer to a delete of an object that does not exist (any more): error 100, subcode 33
# ("Unsupported delete request. Object with ID ... does not exist"); the rollback reads it so too.
_GONE_SUBCODE = 33


class AdRejection:
    def __init__(self, *, store: CampaignRepository, graph: GraphApi) -> None:
        self._store = store
        self._graph = graph

    def reject(self, row: CampaignRecord, key: str, *, by: str) -> list[str]:
        """Delete the ad under ``key`` and its creative; returns what could not be deleted
        (Meta's ids). The ad is out of the campaign as soon as step 1 is committed."""
        ad_ref = ObjectRef(ObjectKind.AD, key)
        if not any(ad.key == key for ad in row.rejected_ads):
            self._store.mark_rejecting(row.id, ad_ref, by=by)
        leftovers: list[str] = []
        for obj in self._objects_of_ad(row, key):
            if not obj.meta_id:
                self._store.mark_rejected(row.id, obj.ref)
                continue
            try:
                self._graph.delete(obj.meta_id)
            except AdBeeError as exc:
                if not (isinstance(exc, MetaApiError) and exc.subcode == _GONE_SUBCODE):
                    log.warning("could not delete %s %s: %s", obj.kind, obj.meta_id, exc)
                    leftovers.append(obj.meta_id)
                    if obj.kind == ObjectKind.AD:
                        break  # the ad first: its creative cannot go while the ad shows it
                    continue
            self._store.mark_rejected(row.id, obj.ref)
        return leftovers

    @staticmethod
    def _objects_of_ad(row: CampaignRecord, key: str) -> list[MetaObject]:
        """The ad and the creative it shows (a re-applied one included), newest first."""
        ad = row.object(ObjectRef(ObjectKind.AD, key))
        found = [ad] if ad is not None else []
        creative = next(
            (o for o in row.objects if ad is not None and o.id == ad.uses_id and o.live), None
        ) or row.object(ObjectRef(ObjectKind.CREATIVE, key))
        return [*found, creative] if creative is not None else found
