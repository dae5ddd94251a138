"""Meta's own previews of a created ad, for the approval card.

``preview_shareable_link`` (a field of the ad) opens the ad as Meta renders it; the ad's
``previews`` edge answers one iframe per ``ad_format``, and ``PREVIEW_FORMATS`` names the
placements an approver looks at (Feed, Reels, Stories). Reads only: a failed one leaves the card
without that link, never the creation failed.

Both land in the row's ``last_sync`` under bookkeeping keys (``_`` first: they survive every
status sync), next to the requests as sent (``REQUESTS_KEY``) that the approval covers.
"""

from __future__ import annotations

import logging

from meta.domain.approval import PREVIEW_FORMATS, SHAREABLE, iframe_src
from meta.domain.errors import AdBeeError
from meta.domain.ports import GraphApi
from meta.domain.records import MAIN

log = logging.getLogger(__name__)

PREVIEWS_KEY = "_previews"
# Every ad's previews, by its key (``AdPlan.key``): {key: {label: URL}}; the first ad's are also
# under ``PREVIEWS_KEY`` (what a card of one ad reads).
AD_PREVIEWS_KEY = "_ad_previews"
REQUESTS_KEY = "_requests"
# The approval: {"fingerprint", "material", "by", "changed"} (``meta.services.approvals``).
APPROVAL_KEY = "_approval"
# Meta's classification right after creation: a later other one is drift.
BASELINE_ADVANTAGE_KEY = "_created_advantage"
# What Meta shows unlike what was approved: {"key", "lines", "seq"} (``status_sync.with_drift``).
DRIFT_KEY = "_drift"
# A re-apply under way, per ad key: {"known": [...]} before its new creative is posted, then
# {"creative_id"} (``meta.services.reapply``).
REAPPLY_KEY = "_reapply"


def request_name(level: str, ad_key: str) -> str:
    """Where ``REQUESTS_KEY`` keeps an ad's request of ``level`` (``creative``, ``ad``): under the
    level's name for the first ad (``MAIN``), ``"<level> N"`` for ad N >= 2
    (``CampaignPipeline.requests_of``)."""
    return level if ad_key == MAIN else f"{level} {ad_key}"


def read_previews(graph: GraphApi, ad_id: str) -> dict[str, str]:
    """{placement label: URL}, with the shareable link under ``SHAREABLE``; missing ones left out."""
    links: dict[str, str] = {}
    try:
        shared = graph.get(ad_id, {"fields": "preview_shareable_link"})
        if shared.get("preview_shareable_link"):
            links[SHAREABLE] = str(shared["preview_shareable_link"])
    except AdBeeError as exc:
        log.warning("could not read the shareable preview of ad %s: %s", ad_id, exc)
    for label, ad_format in PREVIEW_FORMATS:
        try:
            data = graph.get(f"{ad_id}/previews", {"ad_format": ad_format}).get("data") or []
        except AdBeeError as exc:
            log.warning("could not read the %s preview of ad %s: %s", ad_format, ad_id, exc)
            continue
        src = iframe_src(str(data[0].get("body", ""))) if data else None
        if src:
            links[label] = src
    return links
