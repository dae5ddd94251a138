"""Re-apply the approved settings after Meta drifted from them (the drift alert's button).

Meta does not let a creative be edited once made (the SDK's ``AdCreative.api_update`` takes only
``name``, ``status``, ``adlabels`` and ``account_id``), so a creative whose enhancements,
multi-advertiser enrolment or ``url_tags`` drifted is restored by posting the approved creative
request again (``REQUESTS_KEY``: the very bytes the approval's fingerprint covers) and pointing
the ad at the new creative. A campaign that stopped being Advantage+ Sales gets its approved
campaign budget strategy and ad set targeting sent again.

A campaign of several ads is restored ad by ad: the drift names each drifted ad with the creative
Meta showed differently (``DRIFT_KEY["ads"]``), and only an ad still showing that creative is
remade, from its own approved request (``creative N``). A placement pair's creative is its
``asset_feed_spec`` request again; a flexible ad's creative is its first video's, and its switch
also sends the ad's approved ``creative_asset_groups_spec`` (the SDK's ``Ad.api_update`` takes
it), so the ad keeps every asset the approval covered whatever Meta does with the groups of an ad
whose creative changes.

Steps per ad, each committed before the next call (``REAPPLY_KEY`` in ``last_sync``, by ad key):

1. ``{"known": [...]}`` (the ids of creatives already bearing the ad's approved name and media)
   is written, then the creative is posted. A crash or a lost answer here is resolved on the
   next click by looking for such a creative that was not known, before posting again (never
   two new creatives for one ad).
2. ``{"creative_id": <new>}`` is written, then the ad is pointed at it (idempotent), then the
   new creative is swapped in among the campaign's Meta objects (the ad uses it, the old one is
   kept as ``replaced``) and the ad's marker goes. An ad swapped already no longer shows the
   drifted creative, so a crash before the read-back that clears the drift remakes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from meta.domain.drift import campaign_drifted, creative_drifted
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef, ad_number
from meta.domain.states import Step
from meta.services.changes import Change, apply_changes, validate_changes, validate_create
from meta.services.lost_objects import first_image, first_video
from meta.services.previews import DRIFT_KEY, REAPPLY_KEY, REQUESTS_KEY, request_name

log = logging.getLogger(__name__)
_PAGES = 10
# The markers of an unfinished re-apply, by ad key, inside ``REAPPLY_KEY``.
_ADS = "ads"


class SettingsRestorer:
    def __init__(self, *, store: CampaignRepository, graph: GraphApi) -> None:
        self._store = store
        self._graph = graph

    def restore(self, row: CampaignRecord) -> list[str]:
        """Send the approved settings again; returns what was re-applied, in plain words.

        Meta validates everything first (``execution_options=["validate_only"]``: each new
        creative's create and the ad set and campaign updates), so a refusal changes nothing and
        raises ``ChangeRefusedError`` with Meta's words; an ad's switch to its new creative is
        validated once that creative exists (``apply_changes``).
        """
        sync = dict(row.last_sync or {})
        lines = list((sync.get(DRIFT_KEY) or {}).get("lines") or [])
        requests = sync.get(REQUESTS_KEY) or {}
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
        markers = _markers(row)
        keys = self._drifted_ads(row)
        for key in keys:
            if not markers.get(key, {}).get("creative_id"):
                self._validate_creative(row, requests[request_name("creative", key)])
        validate_changes(self._graph, updates)
        done = []
        several = len(row.remaining_ads) > 1
        for key in keys:
            new_id = self._new_creative(row, key, requests)
            ad_id = row.meta_id(ObjectRef(ObjectKind.AD, key))
            which = f"ad {ad_number(key)} ({ad_id})" if several else f"ad {ad_id}"
            done.append(f"creative {new_id} from the approved request, now used by {which}")
        if updates:
            apply_changes(self._graph, updates)
            done.append("the approved ad set targeting and campaign budget strategy")
        return done

    def _drifted_ads(self, row: CampaignRecord) -> list[str]:
        """The keys of the ads to remake, in ad order: those whose re-apply is under way, and
        those still showing the creative the drift was read on (one swapped since is done).

        A drift recorded before drift was per ad names no ads: it was the first ad's."""
        drift = (row.last_sync or {}).get(DRIFT_KEY) or {}
        remaining = {ad.key for ad in row.remaining_ads}
        keys = set(_markers(row))
        if "ads" in drift:
            keys |= {k for k, shown in drift["ads"].items() if row.creative_of(k) == shown}
        elif creative_drifted(list(drift.get("lines") or [])):
            keys.add(row.first_ad_key)
        return sorted(keys & remaining, key=ad_number)

    def _validate_creative(self, row: CampaignRecord, request: dict[str, Any]) -> None:
        """Meta checks the creative's create without making it; its refusal stops the re-apply."""
        validate_create(
            self._graph, f"{row.ad_account_id}/adcreatives", request, "the approved creative"
        )

    def _new_creative(self, row: CampaignRecord, key: str, requests: dict[str, Any]) -> str:
        request = requests[request_name("creative", key)]
        marker = dict(_markers(self._fresh(row.id)).get(key) or {})
        new_id = marker.get("creative_id")
        if not new_id and "known" in marker:  # the last try's answer may have been lost
            known = set(marker["known"])
            new_id = next((i for i in self._matching(row, request) if i not in known), None)
        if not new_id:
            self._mark(row.id, key, {"known": self._matching(row, request)})
            new_id = str(self._graph.post(f"{row.ad_account_id}/adcreatives", dict(request))["id"])
        self._mark(row.id, key, {"creative_id": new_id})
        ad_ref = ObjectRef(ObjectKind.AD, key)
        switch: dict[str, Any] = {"creative": {"creative_id": new_id}}
        groups = (requests.get(request_name("ad", key)) or {}).get("creative_asset_groups_spec")
        if groups:  # a flexible ad: the approved groups go with the switch
            switch["creative_asset_groups_spec"] = groups
        apply_changes(self._graph, [Change(str(row.meta_id(ad_ref)), switch, "the ad")])
        self._store.swap_in(
            row.id,
            ad_ref,
            ObjectRef(ObjectKind.CREATIVE, f"reapplied-{new_id}"),
            str(new_id),
            step=Step.CREATIVE,
        )
        self._mark(row.id, key, None)
        return str(new_id)

    def _matching(self, row: CampaignRecord, request: dict[str, Any]) -> list[str]:
        """Ids of the account's creatives with the approved request's name and media (its video,
        or its image: ``video_data``/``link_data``, or the first of a pair's ``asset_feed_spec``)."""
        ids: list[str] = []
        media = (first_video(request), first_image(request))
        params: dict[str, Any] = {
            "fields": "id,name,object_story_spec,asset_feed_spec",
            "limit": 100,
        }
        for _page in range(_PAGES):
            body = self._graph.get(f"{row.ad_account_id}/adcreatives", params)
            for item in body.get("data", []):
                shows = (first_video(item), first_image(item))
                if item.get("name") == request.get("name") and shows == media:
                    ids.append(str(item["id"]))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                break
            params = {**params, "after": after}
        return ids

    def _fresh(self, campaign_id: int) -> CampaignRecord:
        row = self._store.get(campaign_id)
        assert row is not None
        return row

    def _mark(self, campaign_id: int, key: str, marker: dict[str, Any] | None) -> None:
        """Commit one ad's step of the re-apply (None: that ad is done)."""
        row = self._fresh(campaign_id)
        markers = _markers(row)
        if marker is None:
            markers.pop(key, None)
        else:
            markers[key] = marker
        sync = dict(row.last_sync or {})
        if markers:
            sync[REAPPLY_KEY] = {_ADS: markers}
        else:
            sync.pop(REAPPLY_KEY, None)
        self._store.set_last_sync(campaign_id, sync)


def _markers(row: CampaignRecord) -> dict[str, dict[str, Any]]:
    """The unfinished re-apply's markers by ad key; one written before re-apply was per ad (a
    bare ``{"known"}``/``{"creative_id"}``) was the first ad's."""
    stored = dict((row.last_sync or {}).get(REAPPLY_KEY) or {})
    if not stored:
        return {}
    if _ADS not in stored:
        return {row.first_ad_key: stored}
    return {str(k): dict(v) for k, v in stored[_ADS].items()}
