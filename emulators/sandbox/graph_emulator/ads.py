"""Ad create/update rules (platform-facts.md §1.5, §4).

New ads and creative swaps enter review; ``writes.py`` stamps the review deadline, this module
only validates and says when a (re-)review is due.
"""

from __future__ import annotations

from typing import Any

from .asset_feed import check_asset_groups, is_dynamic
from .context import Ctx
from .errors import invalid, param_error
from .store import Node
from .validation import (
    UPDATE_STATUSES,
    check_create_status,
    check_enum,
    owned_node,
    require_text,
)

MAX_ADS_PER_ADSET = 50


def _check_dynamic(ctx: Ctx, adset: Node, creative_id: str, live: list[Node]) -> None:
    """A dynamic creative (asset_feed_spec without customization rules) runs only in an
    ``is_dynamic_creative`` ad set, as that ad set's one ad (asset-feed-spec guide, "Dynamic
    Creative": "one ad per ad set only")."""
    creative = ctx.store.get(creative_id)
    feed = creative.data.get("asset_feed_spec") if creative else None
    dynamic_set = bool(adset.data.get("is_dynamic_creative"))
    if isinstance(feed, dict) and is_dynamic(feed) and not dynamic_set:
        raise invalid(
            None,
            "Dynamic Creative Needs a Dynamic Ad Set",
            "This creative's asset_feed_spec has several assets and no customization rules "
            "(dynamic creative); its ad set must be created with is_dynamic_creative=true.",
            "creative",
        )
    if dynamic_set and live:
        raise invalid(
            None,
            "Dynamic Creative Ad Set Is Full",
            "An ad set with is_dynamic_creative=true can have only one ad.",
            "adset_id",
        )


def _creative_id(ctx: Ctx) -> str:
    if ctx.params.text("creative") is None:
        raise param_error("The parameter creative is required")
    creative = ctx.params.obj("creative") or {}
    creative_id = creative.get("creative_id")
    if not creative_id:
        raise param_error("Param creative must contain creative_id")
    return str(owned_node(ctx, str(creative_id), "adcreative", "creative").id)


def ad_create(ctx: Ctx) -> dict[str, Any]:
    """Validate POST /act_X/ads and return the stored fields."""
    p = ctx.params
    name = require_text(ctx, "name")
    adset_id = require_text(ctx, "adset_id")
    adset = owned_node(ctx, adset_id, "adset", "adset_id")
    creative_id = _creative_id(ctx)
    status = check_create_status(ctx)
    live = [
        n
        for n in ctx.store.children("ad", "adset_id", adset.id)
        if n.data.get("status") not in ("ARCHIVED", "DELETED")
    ]
    if len(live) >= MAX_ADS_PER_ADSET:
        raise invalid(
            None,
            "Too Many Ads in Ad Set",
            f"An ad set can have at most {MAX_ADS_PER_ADSET} non-archived ads.",
            "adset_id",
        )
    _check_dynamic(ctx, adset, creative_id, live)
    groups = None
    if p.text("creative_asset_groups_spec") is not None:
        groups = check_asset_groups(
            ctx,
            ctx.require_account(),
            ctx.store.get(str(adset.data["campaign_id"])),
            p.obj("creative_asset_groups_spec"),
        )
    data: dict[str, Any] = {
        "name": name,
        "adset_id": adset.id,
        "campaign_id": adset.data["campaign_id"],
        "creative_id": creative_id,
        "status": status,
        "tracking_specs": p.array("tracking_specs"),
        "conversion_domain": p.text("conversion_domain"),
        "adlabels": p.array("adlabels"),
        "creative_asset_groups_spec": groups,
    }
    return {k: v for k, v in data.items() if v is not None}


def ad_update(ctx: Ctx, node: Node) -> dict[str, Any]:
    """Validate POST /<ad_id>; a new creative_id means a new review."""
    p = ctx.params
    if p.has("adset_id") and p.text("adset_id") != node.data.get("adset_id"):
        raise invalid(None, "Can't Move Ad", "adset_id can't be changed.", "adset_id")
    changes: dict[str, Any] = {}
    if p.has("name"):
        changes["name"] = p.text("name")
    if p.has("status"):
        changes["status"] = check_enum("status", p.text("status") or "", UPDATE_STATUSES)
    if p.has("creative"):
        creative_id = _creative_id(ctx)
        if creative_id != node.data.get("creative_id"):
            changes["creative_id"] = creative_id
    if p.text("creative_asset_groups_spec") is not None:
        # The SDK's ``Ad.api_update`` takes it ("creative_asset_groups_spec": "Object"); checked
        # as on create ([flex] in ``asset_feed``), against the ad's own campaign.
        changes["creative_asset_groups_spec"] = check_asset_groups(
            ctx,
            ctx.require_account(),
            ctx.store.get(str(node.data["campaign_id"])),
            p.obj("creative_asset_groups_spec"),
        )
    if "tracking_specs" in p:
        changes["tracking_specs"] = p.array("tracking_specs")
    if p.has("conversion_domain"):
        changes["conversion_domain"] = p.text("conversion_domain")
    return changes
