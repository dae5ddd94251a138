"""Finding what an interrupted run created but never recorded.

A create whose answer was lost (connection dropped, process killed) may or may not exist in Meta.
Looking it up by its exact name, made only by this creation and only recently, decides between
adopting it and creating it; an upload whose session was lost is found by its title and removed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from meta.domain.accounts import AccountConfig
from meta.domain.errors import AdBeeError
from meta.domain.ports import GraphApi
from meta.domain.spec import CampaignSpec
from meta.domain.states import Step
from meta.graph.payloads import object_names

log = logging.getLogger(__name__)

# The Graph edge to search for each step, and the key of its name in ``object_names``.
_EDGE = {
    Step.CREATIVE: "adcreatives",
    Step.CAMPAIGN: "campaigns",
    Step.ADSET: "adsets",
    Step.AD: "ads",
}
_NAME_KEY = {
    Step.CREATIVE: "creative",
    Step.CAMPAIGN: "campaign",
    Step.ADSET: "adset",
    Step.AD: "ad",
}
_MAX_PAGES = 20


class LostObjects:
    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph

    def find_create(
        self,
        step: Step,
        spec: CampaignSpec,
        account: AccountConfig,
        *,
        since: datetime,
        video_id: str | None = None,
        ad_index: int = 1,
        image_hash: str | None = None,
    ) -> str | None:
        """After a create whose answer never came, look for the object by its exact name.

        Only objects created since this creation began count, so a same-named campaign someone
        made in Ads Manager last month is never adopted by mistake. Ad creatives have no
        ``created_time`` in Graph; a creative counts when it shows this creation's own video
        (first in its ``asset_feed_spec`` for a placement pair), or an image ad's its image
        (``link_data.image_hash``, or an image pair's first ``asset_feed_spec`` image).
        """
        name = object_names(spec, ad_index)[_NAME_KEY[step]]
        path = f"{account.ad_account_id}/{_EDGE[step]}"
        fields = (
            "id,name,object_story_spec,asset_feed_spec"
            if step is Step.CREATIVE
            else "id,name,created_time"
        )
        params: dict[str, Any] = {"fields": fields, "limit": 100}
        cutoff = since - timedelta(minutes=10)  # aware UTC, as storage returns it
        for _page in range(_MAX_PAGES):
            body = self._graph.get(path, params)
            for item in body.get("data", []):
                if item.get("name") != name:
                    continue
                if step is Step.CREATIVE and image_hash is not None:
                    if first_image(item) != image_hash:
                        continue
                elif step is Step.CREATIVE:
                    if video_id is None or first_video(item) != str(video_id):
                        continue
                elif not _created_after(item.get("created_time"), cutoff):
                    continue
                return str(item["id"])
            after = body.get("paging", {}).get("cursors", {}).get("after")
            if not body.get("paging", {}).get("next") or not after:
                return None
            params = {**params, "after": after}
        return None

    def delete_uploads(
        self, campaign_id: int, account: AccountConfig, title: str, *, keep: str | None
    ) -> None:
        """Delete videos an interrupted run of this creation uploaded but never recorded.

        They carry this creation's title (``video_title``), which names its AdBee id, so no other
        creation's video can match.
        """
        path = f"{account.ad_account_id}/advideos"
        params: dict[str, Any] = {"fields": "id,title", "limit": 100}
        for _page in range(_MAX_PAGES):
            body = self._graph.get(path, params)
            for item in body.get("data", []):
                video = str(item.get("id") or "")
                if video and video != keep and item.get("title") == title:
                    log.info(
                        "deleting video %s left by an interrupted upload of #%s", video, campaign_id
                    )
                    self.delete_video(account, video)
            after = body.get("paging", {}).get("cursors", {}).get("after")
            if not body.get("paging", {}).get("next") or not after:
                return
            params = {**params, "after": after}

    def delete_video(self, account: AccountConfig, video_id: str) -> None:
        try:
            self._graph.delete(f"{account.ad_account_id}/advideos", {"video_id": video_id})
        except AdBeeError as exc:
            log.warning("could not remove leftover video %s: %s", video_id, exc)


def first_video(creative: dict[str, Any]) -> str | None:
    """The video a creative is made from: ``video_data``'s, else its asset feed's first."""
    story = creative.get("object_story_spec") or {}
    shown = (story.get("video_data") or {}).get("video_id")
    if shown is None:
        feed = (creative.get("asset_feed_spec") or {}).get("videos") or [{}]
        shown = feed[0].get("video_id")
    return str(shown) if shown is not None else None


def first_image(creative: dict[str, Any]) -> str | None:
    """The image a creative is made from: ``link_data``'s, else its asset feed's first (an
    image placement pair lists its 9:16 cut first: ``image_placement_creative_call``)."""
    shown = ((creative.get("object_story_spec") or {}).get("link_data") or {}).get("image_hash")
    if shown is None:
        feed = (creative.get("asset_feed_spec") or {}).get("images") or [{}]
        shown = feed[0].get("hash")
    return str(shown) if shown is not None else None


def _created_after(value: object, cutoff: datetime) -> bool:
    """Graph renders times like 2026-12-03T12:00:00+0000; an unreadable one counts as recent."""
    if not isinstance(value, str):
        return True
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z") >= cutoff
    except ValueError:
        return True
