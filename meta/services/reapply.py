"""Re-apply the approved settings after Meta drifted from them (the drift alert's button).

Meta does not let a creative be edited once made (the SDK's ``AdCreative.api_update`` takes only
``name``, ``status``, ``adlabels`` and ``account_id``), so a creative whose enhancements,
multi-advertiser enrolment or ``url_tags`` drifted is restored by posting the approved creative
request again (``REQUESTS_KEY``: the very bytes the approval's fingerprint covers) and pointing
the ad at the new creative. A campaign that stopped being Advantage+ Sales gets its approved
campaign budget strategy and ad set targeting sent again.

Steps, each committed before the next call (``REAPPLY_KEY`` in ``last_sync``):

1. ``{"known": [...]}`` (the ids of creatives already bearing the approved name and this video)
   is written, then the creative is posted. A crash or a lost answer here is resolved on the
   next click by looking for such a creative that was not known, before posting again (never
   two new creatives).
2. ``{"creative_id": <new>}`` is written, then the ad is pointed at it (idempotent), then the
   new creative is swapped in among the campaign's Meta objects (the ad uses it, the old one is
   kept as ``replaced``) and the marker goes.
"""

from __future__ import annotations

import logging
from typing import Any

from meta.domain.drift import campaign_drifted, creative_drifted
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef
from meta.domain.states import Step
from meta.services.changes import Change, apply_changes, validate_changes, validate_create
from meta.services.previews import DRIFT_KEY, REAPPLY_KEY, REQUESTS_KEY

log = logging.getLogger(__name__)
_PAGES = 10


class SettingsRestorer:
    def __init__(self, *, store: CampaignRepository, graph: GraphApi) -> None:
        self._store = store
        self._graph = graph

    def restore(self, row: CampaignRecord) -> list[str]:
        """Send the approved settings again; returns what was re-applied, in plain words.

        Meta validates everything first (``execution_options=["validate_only"]``: the creative's
        create and the ad set and campaign updates), so a refusal changes nothing and raises
        ``ChangeRefusedError`` with Meta's words; the ad's switch to the new creative is validated
        once that creative exists (``apply_changes``).
        """
        sync = dict(row.last_sync or {})
        lines = list((sync.get(DRIFT_KEY) or {}).get("lines") or [])
        requests = sync.get(REQUESTS_KEY) or {}
        recreate = creative_drifted(lines) or bool(sync.get(REAPPLY_KEY))
        campaign = requests.get("campaign") or {}
        updates = []
        if campaign_drifted(lines):
            updates = [
                Change(
                    str(row.adset_id),
                    {"targeting": requests["adset"]["targeting"]},
                    "the ad set",
                ),
                Change(
                    str(row.meta_campaign_id),
                    {k: campaign[k] for k in ("daily_budget", "bid_strategy") if k in campaign},
                    "the campaign",
                ),
            ]
        if recreate and not (sync.get(REAPPLY_KEY) or {}).get("creative_id"):
            self._validate_creative(row, requests["creative"])
        validate_changes(self._graph, updates)
        done = []
        if recreate:
            new_id = self._new_creative(row, requests["creative"])
            done.append(f"creative {new_id} from the approved request, now used by ad {row.ad_id}")
        if updates:
            apply_changes(self._graph, updates)
            done.append("the approved ad set targeting and campaign budget strategy")
        return done

    def _validate_creative(self, row: CampaignRecord, request: dict[str, Any]) -> None:
        """Meta checks the creative's create without making it; its refusal stops the re-apply."""
        validate_create(
            self._graph, f"{row.ad_account_id}/adcreatives", request, "the approved creative"
        )

    def _new_creative(self, row: CampaignRecord, request: dict[str, Any]) -> str:
        marker = dict((row.last_sync or {}).get(REAPPLY_KEY) or {})
        new_id = marker.get("creative_id")
        if not new_id and "known" in marker:  # the last try's answer may have been lost
            known = set(marker["known"])
            new_id = next((i for i in self._matching(row, request) if i not in known), None)
        if not new_id:
            self._mark(row.id, {"known": self._matching(row, request)})
            new_id = str(self._graph.post(f"{row.ad_account_id}/adcreatives", dict(request))["id"])
        self._mark(row.id, {"creative_id": new_id})
        apply_changes(
            self._graph, [Change(str(row.ad_id), {"creative": {"creative_id": new_id}}, "the ad")]
        )
        self._store.swap_in(
            row.id,
            ObjectRef(ObjectKind.AD),
            ObjectRef(ObjectKind.CREATIVE, f"reapplied-{new_id}"),
            str(new_id),
            step=Step.CREATIVE,
        )
        self._mark(row.id, None)
        return str(new_id)

    def _matching(self, row: CampaignRecord, request: dict[str, Any]) -> list[str]:
        """Ids of the account's creatives with the approved request's name and this video."""
        ids: list[str] = []
        params: dict[str, Any] = {"fields": "id,name,object_story_spec", "limit": 100}
        for _page in range(_PAGES):
            body = self._graph.get(f"{row.ad_account_id}/adcreatives", params)
            for item in body.get("data", []):
                story = item.get("object_story_spec") or {}
                video = (story.get("video_data") or {}).get("video_id")
                if item.get("name") == request.get("name") and str(video) == str(row.video_id):
                    ids.append(str(item["id"]))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                break
            params = {**params, "after": after}
        return ids

    def _mark(self, campaign_id: int, marker: dict[str, Any] | None) -> None:
        row = self._store.get(campaign_id)
        assert row is not None
        sync = dict(row.last_sync or {})
        if marker is None:
            sync.pop(REAPPLY_KEY, None)
        else:
            sync[REAPPLY_KEY] = marker
        self._store.set_last_sync(campaign_id, sync)
