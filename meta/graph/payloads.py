"""The Graph API requests for one Advantage+ Sales video campaign, as pure data.

Kept free of I/O so the dry run prints exactly what the real run sends, and unit tests can pin
each field Meta requires (see docs/meta-objects.md for why each one is there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from meta.domain.accounts import AccountConfig
from meta.domain.creative import feature_choices
from meta.domain.regulation import adset_declarations
from meta.domain.spec import AdPlan, CampaignSpec
from meta.domain.times import to_meta
from meta.domain.video_title import DRY_RUN_ID, video_title
from meta.graph.client import creative_feature_names
from meta.graph.upload import finish_params, start_params, transfer_params

# Advantage+ needs a campaign budget with a supported bid strategy; omitting bid_strategy makes
# Meta default to LOWEST_COST_WITH_BID_CAP, which then demands bid_amount on every ad set.
BID_STRATEGY = "LOWEST_COST_WITHOUT_CAP"


@dataclass(frozen=True)
class GraphCall:
    """One request: method, path below the version prefix, and form parameters."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""


# The format transformations Meta's format automation guide names; ``data_source: ["none"]``
# opts one out ("Get Started with Format Automation", Marketing API, updated 2026-04-27).
FORMAT_TRANSFORMATIONS = ("carousel", "da_collection", "sa_collection", "video_slideshow")


def object_names(spec: CampaignSpec, ad_index: int = 1) -> dict[str, str]:
    """Names of the objects of one ad; the pipeline also uses them to find a create whose answer
    was lost, so each ad of a several-video campaign has its own (the account's creative and ad
    names with " 2" after them). A one-video campaign keeps the names it always had."""
    names = spec.object_names.as_dict()
    if len(spec.videos) > 1:
        if spec.ad_names:  # the account's templates, filled with this ad's own video
            names["creative"], names["ad"] = spec.ad_names[ad_index - 1]
        names["creative"] = f"{names['creative']} {ad_index}"
        names["ad"] = f"{names['ad']} {ad_index}"
    return names


def creative_controls(spec: CampaignSpec) -> dict[str, Any]:
    """The creative's Advantage+ choices and url_tags, as request parameters.

    - ``degrees_of_freedom_spec.creative_features_spec``: one ``enroll_status`` per feature the
      SDK knows (``opt_out``: all OPT_OUT; a mapping: its own choices, OPT_OUT for the rest);
      nothing for ``meta_defaults`` (Advantage+ creative guide; SDK AdCreativeFeaturesSpec).
    - ``contextual_multi_ads.enroll_status``: Meta enrols ads that omit it in multi-advertiser
      ads since 2024-08-19, so AdBee always sends it (Marketing API, "Multi-advertiser Ads").
    - ``format_transformation_spec``: each named format with ``data_source: ["none"]`` unless
      the policy is ``meta_defaults`` (format automation guide).
    - ``url_tags``: query parameters Meta appends to the link (SDK ``AdCreative.Field.url_tags``).
    """
    policy = spec.creative
    params: dict[str, Any] = {}
    features = feature_choices(policy.enhancements, creative_feature_names())
    if features is not None:
        params["degrees_of_freedom_spec"] = {
            "creative_features_spec": {
                name: {"enroll_status": status} for name, status in features.items()
            }
        }
        params["format_transformation_spec"] = [
            {"format": name, "data_source": ["none"]} for name in FORMAT_TRANSFORMATIONS
        ]
    params["contextual_multi_ads"] = {
        "enroll_status": "OPT_IN" if policy.multi_advertiser_ads else "OPT_OUT"
    }
    if spec.url_tags:
        params["url_tags"] = spec.url_tags
    return params


def upload_name(spec: CampaignSpec, plan: AdPlan) -> str:
    """The file name an upload's title starts with: in a campaign of several videos the ad's
    number leads it, so no two uploads of one creation share a title (a resumed run deletes
    its lost uploads by title)."""
    name = plan.video_path.name
    return f"{plan.index}. {name}" if len(spec.videos) > 1 else name


def campaign_call(spec: CampaignSpec, account: AccountConfig) -> GraphCall:
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/campaigns",
        {
            "name": object_names(spec)["campaign"],
            "objective": "OUTCOME_SALES",
            "status": "PAUSED",
            "special_ad_categories": [],
            "buying_type": "AUCTION",
            "daily_budget": spec.daily_budget_minor,
            "bid_strategy": BID_STRATEGY,
        },
        "campaign",
    )


def adset_call(spec: CampaignSpec, account: AccountConfig, campaign_id: str) -> GraphCall:
    params: dict[str, Any] = {
        "name": object_names(spec)["adset"],
        "campaign_id": campaign_id,
        "status": "PAUSED",
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "OFFSITE_CONVERSIONS",
        "promoted_object": {"pixel_id": account.pixel_id, "custom_event_type": "PURCHASE"},
        # No placement keys at all: Advantage+ placements is the absence of restrictions.
        "targeting": {
            "geo_locations": {"countries": list(spec.countries)},
            "targeting_automation": {"advantage_audience": 1},
        },
        "start_time": to_meta(spec.start_time, account.timezone),
    }
    if spec.end_time is not None:
        params["end_time"] = to_meta(spec.end_time, account.timezone)
    # Singapore, Taiwan, the EU: every regulated market reached, from one table.
    params.update(adset_declarations(account.regulation, spec.countries))
    return GraphCall("POST", f"{account.ad_account_id}/adsets", params, "ad set")


def creative_call(
    spec: CampaignSpec,
    account: AccountConfig,
    *,
    video_id: str,
    thumbnail_url: str,
    ad: AdPlan | None = None,
) -> GraphCall:
    """The creative of one ad (``ad``; the first when omitted): its video and its texts."""
    plan = ad or spec.ads()[0]
    video_data: dict[str, Any] = {
        "video_id": video_id,
        "image_url": thumbnail_url,
        "message": plan.primary_text,
        "title": plan.headline,
        "call_to_action": {"type": spec.call_to_action, "value": {"link": spec.link}},
    }
    if spec.description:
        video_data["link_description"] = spec.description
    story: dict[str, Any] = {"page_id": account.page_id, "video_data": video_data}
    if account.instagram_user_id:
        story["instagram_user_id"] = account.instagram_user_id
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/adcreatives",
        {
            "name": object_names(spec, plan.index)["creative"],
            "object_story_spec": story,
            **creative_controls(spec),
        },
        "creative",
    )


def ad_call(
    spec: CampaignSpec,
    account: AccountConfig,
    *,
    adset_id: str,
    creative_id: str,
    ad_index: int = 1,
) -> GraphCall:
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/ads",
        {
            "name": object_names(spec, ad_index)["ad"],
            "adset_id": adset_id,
            "creative": {"creative_id": creative_id},
            "status": "PAUSED",
        },
        "ad",
    )


def video_upload_calls(
    spec: CampaignSpec,
    account: AccountConfig,
    size: int,
    campaign_id: int | str = DRY_RUN_ID,
    *,
    ad: AdPlan | None = None,
) -> list[GraphCall]:
    """The chunked upload as the uploader sends it (``meta.graph.upload``'s own param builders;
    transfer repeats per server-chosen window). Only ids Meta or the database assign are
    placeholders; the title is the very one the real run sends, but for the AdBee id."""
    plan = ad or spec.ads()[0]
    edge = f"{account.ad_account_id}/advideos"
    title = video_title(upload_name(spec, plan), campaign_id)
    transfer: dict[str, Any] = dict(transfer_params("<from start>", "<window start>"))
    transfer["video_file_chunk"] = f"<bytes of {plan.video_path.name}>"
    return [
        GraphCall("POST", edge, dict(start_params(size, title)), "video upload start"),
        GraphCall("POST", edge, transfer, "video upload transfer (repeated per chunk)"),
        GraphCall("POST", edge, dict(finish_params("<from start>", title)), "video upload finish"),
        GraphCall(
            "GET", "<video_id>", {"fields": "status"}, "poll until status.video_status=ready"
        ),
        GraphCall("GET", "<video_id>/thumbnails", {}, "preferred thumbnail"),
    ]


def dry_run_calls(
    spec: CampaignSpec, account: AccountConfig, video_size: int | Sequence[int]
) -> list[GraphCall]:
    """Every request of a creation, in order, with placeholders for ids Meta would return.

    ``video_size`` is the size of each video, in the order of ``spec.videos`` (one int for one).
    A campaign of several videos uploads each and makes a creative and an ad per video.
    """
    sizes = [video_size] if isinstance(video_size, int) else list(video_size)
    plans = spec.ads()
    several = len(plans) > 1

    def tag(text: str, index: int) -> str:
        return f"{text} (video {index} of {len(plans)})" if several else text

    calls = [
        GraphCall(
            "GET",
            f"{account.ad_account_id}/minimum_budgets",
            {},
            "Meta's minimum daily budget (read by the check before anything is sent; "
            "cached for a day)",
        )
    ]
    for plan, size in zip(plans, sizes, strict=True):
        video_id = f"<video_id {plan.index}>" if several else "<video_id>"
        for call in video_upload_calls(spec, account, size, ad=plan):
            calls.append(replace(call, label=tag(call.label, plan.index)))
        creative = creative_call(
            spec, account, video_id=video_id, thumbnail_url="<preferred thumbnail uri>", ad=plan
        )
        calls.append(replace(creative, label=tag(creative.label, plan.index)))
    calls += [campaign_call(spec, account), adset_call(spec, account, "<campaign_id>")]
    for plan in plans:
        creative_id = f"<creative_id {plan.index}>" if several else "<creative_id>"
        ad = ad_call(
            spec, account, adset_id="<adset_id>", creative_id=creative_id, ad_index=plan.index
        )
        calls.append(replace(ad, label=tag(ad.label, plan.index)))
    return calls
