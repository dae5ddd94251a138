"""Derived, read-time state: effective_status, ad review, Advantage+ state, video status.

Everything here is computed lazily from the clock on each read (never by a background timer)
so tests with a fake clock are deterministic and nothing has to tick between requests.
"""

from __future__ import annotations

from typing import Any

from .settings import Settings
from .store import Node, Store

_TERMINAL = ("DELETED", "ARCHIVED")
_PLACEMENT_KEYS = (
    "publisher_platforms",
    "facebook_positions",
    "instagram_positions",
    "audience_network_positions",
    "messenger_positions",
    "threads_positions",
    "whatsapp_positions",
    "device_platforms",
    "excluded_publisher_platforms",
    "excluded_publisher_categories",
    "user_os",
    "user_device",
)
# Targeting keys that keep Advantage+ audience ENABLED even without advantage_audience=1
# (platform-facts.md §2, audience lever: geo only, default/suggested age and gender).
_AUDIENCE_NEUTRAL_KEYS = frozenset(
    {
        "geo_locations",
        "excluded_geo_locations",
        "targeting_automation",
        "age_min",
        "age_max",
        "age_range",
        "genders",
        "locales",
        "targeting_relaxation_types",
        *_PLACEMENT_KEYS,
    }
)
AB_BID_STRATEGIES = frozenset(
    {"LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS"}
)


def review_state(ad: Node, now: float) -> str:
    """ "pending", "approved" or "disapproved" for an ad."""
    if now < float(ad.meta.get("review_until", 0.0)):
        return "pending"
    return "disapproved" if ad.meta.get("disapproval") else "approved"


def _parent_terminal(node: Node, store: Store) -> str | None:
    for key in ("adset_id", "campaign_id"):
        parent = store.get(str(node.data.get(key, "")))
        if parent is not None and parent.data.get("status") in _TERMINAL:
            return str(parent.data["status"])
    return None


def effective_status(node: Node, store: Store, now: float) -> str:
    """Graph's effective_status with CAMPAIGN_PAUSED / ADSET_PAUSED inheritance."""
    status = str(node.data.get("status", "ACTIVE"))
    if status in _TERMINAL:
        return status
    parent_terminal = _parent_terminal(node, store)
    if parent_terminal:
        return parent_terminal
    override = node.meta.get("effective_status_override")
    if override:
        return str(override)
    if now < float(node.meta.get("in_process_until", 0.0)):
        return "IN_PROCESS"
    if node.kind == "ad":
        review = review_state(node, now)
        if review == "pending":
            return "PENDING_REVIEW"
        if review == "disapproved":
            return "DISAPPROVED"
    if status == "PAUSED" or node.kind not in ("adset", "ad"):
        return status
    if node.kind == "ad":
        adset = store.get(str(node.data.get("adset_id", "")))
        if adset is not None and adset.data.get("status") == "PAUSED":
            return "ADSET_PAUSED"
    campaign = store.get(str(node.data.get("campaign_id", "")))
    if campaign is not None and campaign.data.get("status") == "PAUSED":
        return "CAMPAIGN_PAUSED"
    return "ACTIVE"


def issues_info(node: Node, now: float) -> list[dict[str, Any]] | None:
    """issues_info from set_status() overrides or a finished disapproval."""
    if node.meta.get("issues_info") is not None:
        return list(node.meta["issues_info"])
    if node.kind == "ad" and review_state(node, now) == "disapproved":
        reason = node.meta["disapproval"]["reason"]
        return [
            {
                "level": "AD",
                "error_code": 1815694,
                "error_summary": "Ad disapproved",
                "error_message": reason,
                "error_type": "HARD_ERROR",
            }
        ]
    return None


def ad_review_feedback(ad: Node, now: float) -> dict[str, Any] | None:
    """Meta's ``AdgroupReviewFeedback`` once a disapproval has been decided.

    SDK shape (``adgroupreviewfeedback.py``): ``global`` is a map policy -> reason;
    ``placement_specific`` (``AdgroupPlacementSpecificReviewFeedback``) maps each placement to its
    own map policy -> reason. A disapproval queued for a placement answers only in that placement.
    """
    if review_state(ad, now) != "disapproved":
        return None
    disapproval = ad.meta["disapproval"]
    verdict = {disapproval["policy"]: disapproval["reason"]}
    placement = disapproval.get("placement")
    if placement:
        return {"placement_specific": {placement: verdict}}
    return {"global": verdict}


def _audience_enabled(targeting: dict[str, Any]) -> bool:
    automation = targeting.get("targeting_automation") or {}
    if str(automation.get("advantage_audience")) == "1":
        return True
    if any(k not in _AUDIENCE_NEUTRAL_KEYS for k in targeting):
        return False
    age_min = targeting.get("age_min")
    age_max = targeting.get("age_max")
    genders = targeting.get("genders")
    return (
        (age_min is None or int(age_min) <= 25)
        and (age_max is None or int(age_max) == 65)
        and (not genders or sorted(genders) == [1, 2])
    )


def _placement_enabled(targeting: dict[str, Any]) -> bool:
    return not any(targeting.get(k) for k in _PLACEMENT_KEYS)


def advantage_state_info(campaign: Node, store: Store) -> dict[str, str]:
    """Read-only advantage_state_info per platform-facts.md §2 rule of thumb."""
    data = campaign.data
    has_budget = bool(data.get("daily_budget") or data.get("lifetime_budget"))
    budget = has_budget and data.get("bid_strategy") in AB_BID_STRATEGIES
    adsets = [n for n in store.children("adset", "campaign_id", campaign.id) if not n.deleted]
    audience = any(_audience_enabled(a.data.get("targeting") or {}) for a in adsets)
    placement = all(_placement_enabled(a.data.get("targeting") or {}) for a in adsets)
    state = "DISABLED"
    if budget and audience and placement:
        state = {
            "OUTCOME_SALES": "ADVANTAGE_PLUS_SALES",
            "OUTCOME_APP_PROMOTION": "ADVANTAGE_PLUS_APP",
            "OUTCOME_LEADS": "ADVANTAGE_PLUS_LEADS",
        }.get(str(data.get("objective")), "DISABLED")

    def flag(on: bool) -> str:
        return "ENABLED" if on else "DISABLED"

    return {
        "advantage_state": state,
        "advantage_budget_state": flag(budget),
        "advantage_audience_state": flag(audience),
        "advantage_placement_state": flag(placement),
    }


def video_status(video: Node, now: float, settings: Settings) -> dict[str, Any]:
    """The ``status`` struct of an ad video (platform-facts.md §1.1 polling shape)."""
    meta = video.meta
    transferred = int(meta.get("bytes_received", 0))
    if meta.get("phase") == "uploading":
        return {
            "video_status": "processing",
            "processing_progress": 0,
            "uploading_phase": {"status": "in_progress", "bytes_transferred": transferred},
            "processing_phase": {"status": "not_started"},
            "publishing_phase": {"status": "not_started"},
        }
    uploading = {"status": "complete", "bytes_transferred": transferred}
    total = max(settings.video_processing_seconds, 0.0)
    elapsed = now - float(meta.get("processing_started", now))
    if total > 0 and elapsed < total:
        return {
            "video_status": "processing",
            "processing_progress": min(99, int(100 * elapsed / total)),
            "uploading_phase": uploading,
            "processing_phase": {"status": "in_progress"},
            "publishing_phase": {"status": "not_started"},
        }
    if meta.get("processing_error"):
        return {
            "video_status": "error",
            "processing_progress": 0,
            "uploading_phase": uploading,
            "processing_phase": {
                "status": "error",
                "errors": [{"code": 1363008, "message": str(meta["processing_error"])}],
            },
            "publishing_phase": {"status": "not_started"},
        }
    return {
        "video_status": "ready",
        "processing_progress": 100,
        "uploading_phase": uploading,
        "processing_phase": {"status": "complete"},
        "publishing_phase": {
            "status": "complete",
            "publish_status": "published",
            "publish_time": int(float(meta.get("processing_started", now)) + total),
        },
    }


def video_ready(video: Node, now: float, settings: Settings) -> bool:
    """True once processing finished successfully."""
    return video_status(video, now, settings)["video_status"] == "ready"
