"""Several assets in one ad: ``asset_feed_spec`` on a creative and ``creative_asset_groups_spec``
on an ad, checked the way Meta documents them.

Sources (cited where each rule is applied):

- [SDK] facebook-business 26.0.x ``AdAssetFeedSpec*``, ``AdAssetCustomizationRuleCustomizationSpec``
  and ``AdCreativeAssetGroupsSpec``: every key and the call-to-action enum (tables in ``schema``).
- [asset-feed] Marketing API, "Asset Feed Spec Options": ``videos`` is "Required for SINGLE_VIDEO
  format", each ``{"video_id", "thumbnail_url", "url_tags"}``; ``images`` each with ``url`` or
  ``hash``; ``call_to_action_types`` "up to five".
- [rules] Marketing API, "Asset Customization Rules": "All ads using asset_feed_spec must contain
  at least two target customization rules".
- [pac] Marketing API, "Placement Asset Customization": each rule has ``customization_spec``
  (``publisher_platforms`` required; ``facebook_positions``/``instagram_positions`` "required if
  Facebook/Instagram is selected") and ``video_label``/``image_label`` naming an asset's adlabel;
  the position values are the guide's lists.
- [flex] Marketing API, "Get started with the flexible ad format": ``creative_asset_groups_spec``
  on ``POST /act_<id>/ads``; only ``OUTCOME_SALES`` and ``OUTCOME_APP_PROMOTION``; "at least 1
  image or video is required per group"; "all call_to_actions provided must have the same type";
  "no more than 5 texts per text_type in a group"; videos ``{video_id}``, images ``{hash}``,
  texts ``{text, text_type}`` with ``primary_text``/``headline``.
- [P] practice (round2-facts.md "several creatives"): at most 10 media and 5 of each text per
  feed, as vendors quote Meta; ``video_data`` together with ``asset_feed_spec.videos`` answers
  1443048 (pipeboard meta-ads-mcp history); a rule label no asset carries answers 2446173
  (an agency's notes on placement customization); ``is_dynamic_creative`` cannot change after the
  ad set is created.
"""

from __future__ import annotations

from typing import Any

from . import schema
from .context import Ctx
from .errors import invalid, must_be_one_of, param_error
from .status import video_status
from .store import Account, Node
from .validation import check_http_url, check_keys

# [P] vendors' and Meta's "up to 10 assets per ad"; [asset-feed]/[flex] five texts of a kind.
MAX_MEDIA = 10
MAX_TEXTS = 5
MAX_CTA_TYPES = 5  # [asset-feed] "You can provide multiple values, up to five."
AD_FORMATS = frozenset({"SINGLE_IMAGE", "SINGLE_VIDEO", "CAROUSEL", "AUTOMATIC_FORMAT"})
# [pac] the publisher platforms and positions a customization_spec may name.
PUBLISHER_PLATFORMS = frozenset(
    {"facebook", "instagram", "messenger", "audience_network", "threads"}
)
POSITIONS = {
    "facebook": (
        "facebook_positions",
        frozenset(
            {
                "feed",
                "right_hand_column",
                "marketplace",
                "video_feeds",
                "search",
                "story",
                "notification",
                "facebook_reels",
                "instream_video",
            }
        ),
    ),
    "instagram": (
        "instagram_positions",
        frozenset(
            {"stream", "story", "reels", "explore", "explore_home", "profile_feed", "ig_search"}
        ),
    ),
}
# [flex] the objectives whose ads may use the flexible ad format.
FLEXIBLE_OBJECTIVES = ("OUTCOME_SALES", "OUTCOME_APP_PROMOTION")
TEXT_TYPES = frozenset({"primary_text", "headline", "description"})
GROUP_KEYS = frozenset({"group_uuid", "images", "videos", "texts", "call_to_action"})
GROUP_VIDEO_KEYS = frozenset({"video_id", "image_hash"})
GROUP_IMAGE_KEYS = frozenset({"hash"})
GROUP_TEXT_KEYS = frozenset({"text", "text_type"})


def check_video(ctx: Ctx, account: Account, video_id: Any, param: str) -> Node:
    """A video a creative or ad may show: this account's, not deleted, processed."""
    video = ctx.store.get(str(video_id)) if video_id else None
    if video is None or video.kind != "advideo" or video.account_id != account.id or video.deleted:
        raise invalid(
            None,
            "Video Not Found",
            f"The video {video_id} does not exist in this ad account. Upload it to "
            f"/{account.id}/advideos first.",
            param,
        )
    state = video_status(video, ctx.now, ctx.settings)["video_status"]
    if state == "error":
        raise invalid(
            None,
            "Video Processing Failed",
            f"The video {video_id} failed processing and can't be used in an ad.",
            param,
        )
    if state != "ready":
        raise invalid(
            None,
            "Video Not Ready",
            f"The video {video_id} is still processing. Wait until its status.video_status is "
            "ready before creating the creative.",
            param,
        )
    return video


def check_image_hash(ctx: Ctx, account: Account, digest: Any, param: str) -> None:
    if (account.id, str(digest)) not in ctx.store.images:
        raise invalid(
            None,
            "Image Not Found",
            f"The image hash {digest} does not exist in this ad account.",
            param,
        )


def _entries(value: Any, param: str, keys: frozenset[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise param_error(f"Param {param} must be an array")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise param_error(f"Param {param}[{index}] must be a JSON object")
        check_keys(entry, keys, f"{param}[{index}]")
    return value


def _labels(entry: dict[str, Any], param: str) -> set[str]:
    labels = _entries(entry.get("adlabels"), f"{param}[adlabels]", schema.ASSET_LABEL_KEYS)
    return {str(label["name"]) for label in labels if label.get("name")}


def _texts(feed: dict[str, Any], key: str) -> list[dict[str, Any]]:
    param = f"asset_feed_spec[{key}]"
    texts = _entries(feed.get(key), param, schema.ASSET_FEED_TEXT_KEYS)
    if len(texts) > MAX_TEXTS:
        raise invalid(
            None,
            "Too Many Text Assets",
            f"asset_feed_spec can have at most {MAX_TEXTS} {key}; {len(texts)} were given.",
            "asset_feed_spec",
        )
    for index, text in enumerate(texts):
        if not isinstance(text.get("text"), str) or not text["text"].strip():
            raise param_error(f"The parameter {param}[{index}][text] is required")
    return texts


def is_dynamic(feed: dict[str, Any]) -> bool:
    """Dynamic creative: several assets for Meta to combine and no customization rules; an ad
    may use such a creative only in an ``is_dynamic_creative`` ad set (asset-feed-spec guide,
    "Dynamic Creative": set ``is_dynamic_creative`` on the ad set)."""
    media = len(feed.get("videos") or []) + len(feed.get("images") or [])
    return not feed.get("asset_customization_rules") and media > 1


def check_asset_feed_spec(ctx: Ctx, account: Account, feed: Any, story: dict[str, Any]) -> None:
    """``asset_feed_spec`` on ``POST /act_X/adcreatives``."""
    if not isinstance(feed, dict):
        raise param_error("Param asset_feed_spec must be a JSON object")
    check_keys(feed, schema.ASSET_FEED_SPEC_KEYS, "asset_feed_spec")  # [SDK]
    videos = _entries(feed.get("videos"), "asset_feed_spec[videos]", schema.ASSET_FEED_VIDEO_KEYS)
    images = _entries(feed.get("images"), "asset_feed_spec[images]", schema.ASSET_FEED_IMAGE_KEYS)
    if videos and "video_data" in story:
        # [P] the trap: the video goes in one place, not both.
        raise invalid(
            1443048,
            "Video Data Not Allowed With Asset Feed",
            "object_story_spec can't have video_data when asset_feed_spec has videos; give the "
            "videos in asset_feed_spec only.",
            "object_story_spec",
        )
    if len(videos) + len(images) > MAX_MEDIA:
        raise invalid(
            None,
            "Too Many Media Assets",
            f"asset_feed_spec can have at most {MAX_MEDIA} images and videos; "
            f"{len(videos) + len(images)} were given.",
            "asset_feed_spec",
        )
    labels: dict[str, set[str]] = {"video": set(), "image": set()}
    for index, video in enumerate(videos):
        param = f"asset_feed_spec[videos][{index}]"
        if not video.get("video_id"):
            raise param_error(f"The parameter {param}[video_id] is required")
        check_video(ctx, account, video["video_id"], "asset_feed_spec")
        if video.get("thumbnail_url"):
            check_http_url(video["thumbnail_url"], f"{param}[thumbnail_url]")
        if video.get("thumbnail_hash"):
            check_image_hash(ctx, account, video["thumbnail_hash"], "asset_feed_spec")
        labels["video"] |= _labels(video, param)
    for index, image in enumerate(images):
        param = f"asset_feed_spec[images][{index}]"
        if not image.get("hash") and not image.get("url"):
            raise param_error(f"Param {param} needs hash or url")
        if image.get("hash"):
            check_image_hash(ctx, account, image["hash"], "asset_feed_spec")
        labels["image"] |= _labels(image, param)
    for key in ("bodies", "titles", "descriptions"):
        _texts(feed, key)
    for index, link in enumerate(
        _entries(
            feed.get("link_urls"), "asset_feed_spec[link_urls]", schema.ASSET_FEED_LINK_URL_KEYS
        )
    ):
        if link.get("website_url"):
            check_http_url(link["website_url"], f"asset_feed_spec[link_urls][{index}][website_url]")
    ctas = feed.get("call_to_action_types") or []
    if not isinstance(ctas, list) or len(ctas) > MAX_CTA_TYPES:
        raise param_error(
            f"Param asset_feed_spec[call_to_action_types] must be an array of at most "
            f"{MAX_CTA_TYPES} values"
        )
    for index, cta in enumerate(ctas):
        if cta not in schema.ASSET_FEED_CTA_TYPES:
            raise must_be_one_of(
                f"asset_feed_spec[call_to_action_types][{index}]", schema.ASSET_FEED_CTA_TYPES
            )
    formats = feed.get("ad_formats")
    if not isinstance(formats, list) or not formats:
        raise param_error("The parameter asset_feed_spec[ad_formats] is required")
    for index, name in enumerate(formats):
        if name not in AD_FORMATS:
            raise must_be_one_of(f"asset_feed_spec[ad_formats][{index}]", AD_FORMATS)
    if "SINGLE_VIDEO" in formats and not videos:  # [asset-feed]
        raise param_error("asset_feed_spec[videos] is required for the SINGLE_VIDEO format")
    if "SINGLE_IMAGE" in formats and not images:
        raise param_error("asset_feed_spec[images] is required for the SINGLE_IMAGE format")
    rules = _entries(
        feed.get("asset_customization_rules"),
        "asset_feed_spec[asset_customization_rules]",
        schema.ASSET_CUSTOMIZATION_RULE_KEYS,
    )
    if "asset_customization_rules" in feed:
        _check_rules(rules, labels, formats)


def _check_rules(
    rules: list[dict[str, Any]], labels: dict[str, set[str]], formats: list[str]
) -> None:
    if len(rules) < 2:  # [rules]
        raise invalid(
            None,
            "Not Enough Customization Rules",
            "An ad using asset_feed_spec needs at least two asset customization rules; "
            f"{len(rules)} were given.",
            "asset_feed_spec",
        )
    for index, rule in enumerate(rules):
        param = f"asset_feed_spec[asset_customization_rules][{index}]"
        spec = rule.get("customization_spec")
        if not isinstance(spec, dict):
            raise param_error(f"The parameter {param}[customization_spec] is required")
        check_keys(spec, schema.CUSTOMIZATION_SPEC_KEYS, f"{param}[customization_spec]")
        if not rule.get("is_default"):
            _check_placements(spec, f"{param}[customization_spec]")
        for kind in ("video", "image"):
            label = rule.get(f"{kind}_label")
            required = "SINGLE_VIDEO" if kind == "video" else "SINGLE_IMAGE"
            if label is None:
                if required in formats:  # [pac] "Required for SINGLE_VIDEO/SINGLE_IMAGE format"
                    raise param_error(f"The parameter {param}[{kind}_label] is required")
                continue
            if not isinstance(label, dict):
                raise param_error(f"Param {param}[{kind}_label] must be a JSON object")
            check_keys(label, schema.ASSET_LABEL_KEYS, f"{param}[{kind}_label]")
            if str(label.get("name")) not in labels[kind]:
                raise invalid(
                    2446173,
                    "Asset Label Not Found",
                    f"The {kind}_label {label.get('name')!r} of customization rule {index} is "
                    f"not on any {kind} in asset_feed_spec; label the {kind} with adlabels.",
                    "asset_feed_spec",
                )


def _check_placements(spec: dict[str, Any], param: str) -> None:
    platforms = spec.get("publisher_platforms")
    if not isinstance(platforms, list) or not platforms:
        raise param_error(f"The parameter {param}[publisher_platforms] is required")
    for index, platform in enumerate(platforms):
        if platform not in PUBLISHER_PLATFORMS:
            raise must_be_one_of(f"{param}[publisher_platforms][{index}]", PUBLISHER_PLATFORMS)
    for platform, (key, allowed) in POSITIONS.items():
        positions = spec.get(key)
        if platform in platforms and not positions:
            raise param_error(
                f"The parameter {param}[{key}] is required when publisher_platforms has {platform}"
            )
        for index, position in enumerate(positions or []):
            if position not in allowed:
                raise must_be_one_of(f"{param}[{key}][{index}]", allowed)


def check_asset_groups(
    ctx: Ctx, account: Account, campaign: Node | None, value: Any
) -> dict[str, Any]:
    """``creative_asset_groups_spec`` on ``POST /act_X/ads`` ([flex]); returns it as stored,
    each group with a ``group_uuid`` the way Meta reads it back."""
    param = "creative_asset_groups_spec"
    if not isinstance(value, dict):
        raise param_error(f"Param {param} must be a JSON object")
    check_keys(value, schema.ASSET_GROUPS_SPEC_KEYS, param)  # [SDK]
    objective = (campaign.data.get("objective") if campaign else None) or ""
    if objective not in FLEXIBLE_OBJECTIVES:
        raise invalid(
            None,
            "Flexible Ad Format Not Available",
            "The flexible ad format (creative_asset_groups_spec) is only available for the "
            f"{' and '.join(FLEXIBLE_OBJECTIVES)} objectives; this campaign's is {objective}.",
            param,
        )
    groups = _entries(value.get("groups"), f"{param}[groups]", GROUP_KEYS)
    if not groups:
        raise param_error(f"The parameter {param}[groups] is required")
    cta_types: set[str] = set()
    stored = []
    for number, group in enumerate(groups):
        where = f"{param}[groups][{number}]"
        videos = _entries(group.get("videos"), f"{where}[videos]", GROUP_VIDEO_KEYS)
        images = _entries(group.get("images"), f"{where}[images]", GROUP_IMAGE_KEYS)
        if not videos and not images:
            raise invalid(
                None,
                "Asset Group Needs Media",
                f"Group {number} of creative_asset_groups_spec needs at least 1 image or video.",
                param,
            )
        if len(videos) + len(images) > MAX_MEDIA:
            raise invalid(
                None,
                "Too Many Media Assets",
                f"Group {number} has {len(videos) + len(images)} images and videos; at most "
                f"{MAX_MEDIA} are allowed.",
                param,
            )
        for video in videos:
            check_video(ctx, account, video.get("video_id"), param)
        for image in images:
            check_image_hash(ctx, account, image.get("hash"), param)
        counts: dict[str, int] = {}
        for index, text in enumerate(
            _entries(group.get("texts"), f"{where}[texts]", GROUP_TEXT_KEYS)
        ):
            kind = text.get("text_type")
            if kind not in TEXT_TYPES:
                raise must_be_one_of(f"{where}[texts][{index}][text_type]", TEXT_TYPES)
            if not isinstance(text.get("text"), str) or not text["text"].strip():
                raise param_error(f"The parameter {where}[texts][{index}][text] is required")
            counts[kind] = counts.get(kind, 0) + 1
        for kind, count in counts.items():
            if count > MAX_TEXTS:
                raise invalid(
                    None,
                    "Too Many Texts",
                    f"Group {number} has {count} texts of type {kind}; there can be no more "
                    f"than {MAX_TEXTS} texts per text_type in a group.",
                    param,
                )
        cta = group.get("call_to_action")
        if cta is not None:
            if not isinstance(cta, dict) or not cta.get("type"):
                raise param_error(f"The parameter {where}[call_to_action][type] is required")
            if cta["type"] not in schema.CTA_TYPES:
                raise must_be_one_of(f"{where}[call_to_action][type]", schema.CTA_TYPES)
            link = (cta.get("value") or {}).get("link")
            if link is not None:
                check_http_url(link, f"{where}[call_to_action][value][link]")
            cta_types.add(str(cta["type"]))
        stored.append({"group_uuid": group.get("group_uuid") or f"group-{number + 1}", **group})
    if len(cta_types) > 1:
        raise invalid(
            None,
            "Call To Actions Differ",
            "All call_to_actions provided in creative_asset_groups_spec must have the same type; "
            f"got {', '.join(sorted(cta_types))}.",
            param,
        )
    return {**value, "groups": stored}
