"""Ad creative create/update rules (platform-facts.md §1.2).

Video creatives are the AdBee path, so ``video_data`` is checked strictly: the video must be
this account's and ``ready``, exactly one thumbnail source, no ``link``/``description`` keys,
a known CTA type with an http(s) link. Image ads (``link_data``) as strictly: the SDK's keys, a
link, and an ``image_hash`` uploaded to this account. Text lengths are recommendations at Meta, not errors.
"""

from __future__ import annotations

from typing import Any

from . import schema
from .asset_feed import check_asset_feed_spec, check_image_hash, check_video
from .context import Ctx
from .errors import invalid, must_be_one_of, param_error
from .images import image_url
from .store import Account, Node
from .validation import META_PARAMS, check_http_url, check_keys

# CTA types that send people to a website and therefore need value.link.
_LINK_CTAS = frozenset(
    {
        "SHOP_NOW",
        "BUY_NOW",
        "LEARN_MORE",
        "ORDER_NOW",
        "SIGN_UP",
        "GET_OFFER",
        "ADD_TO_CART",
        "VIEW_PRODUCT",
        "BOOK_NOW",
        "DOWNLOAD",
        "SUBSCRIBE",
        "GET_QUOTE",
        "CONTACT_US",
        "APPLY_NOW",
        "BUY",
        "SEE_MORE",
        "WATCH_MORE",
        "BUY_TICKETS",
        "GET_STARTED",
    }
)
_FEATURE_STATUSES = ("OPT_IN", "OPT_OUT")


def _check_cta(cta: Any, param: str) -> str | None:
    if cta is None:
        return None
    if not isinstance(cta, dict):
        raise param_error(f"Param {param} must be a JSON object")
    check_keys(cta, frozenset({"type", "value"}), param)
    cta_type = str(cta.get("type", ""))
    if cta_type not in schema.CTA_TYPES:
        raise must_be_one_of(f"{param}[type]", schema.CTA_TYPES)
    value = cta.get("value") or {}
    if not isinstance(value, dict):
        raise param_error(f"Param {param}[value] must be a JSON object")
    link = value.get("link")
    if link is None and cta_type in _LINK_CTAS:
        raise invalid(
            None,
            "Link Required",
            f"The {cta_type} call to action needs call_to_action.value.link.",
            "object_story_spec",
        )
    if link is not None:
        check_http_url(link, f"{param}[value][link]")
    return cta_type


def _check_video_data(ctx: Ctx, account: Account, vd: Any) -> dict[str, Any]:
    param = "object_story_spec[video_data]"
    if not isinstance(vd, dict):
        raise param_error(f"Param {param} must be a JSON object")
    check_keys(vd, schema.VIDEO_DATA_KEYS, param)
    if not vd.get("video_id"):
        raise param_error(f"The parameter {param}[video_id] is required")
    check_video(ctx, account, vd["video_id"], "object_story_spec")
    has_url, has_hash = bool(vd.get("image_url")), bool(vd.get("image_hash"))
    if has_url == has_hash:
        raise invalid(
            1443226,
            "Your ad needs a video thumbnail",
            "Please specify one of image_hash or image_url in the video_data field of "
            "object_story_spec" + (" (not both)." if has_url else "."),
            "object_story_spec",
        )
    if has_url:
        check_http_url(vd["image_url"], f"{param}[image_url]")
    else:
        check_image_hash(ctx, account, vd["image_hash"], "object_story_spec")
    cta_type = _check_cta(vd.get("call_to_action"), f"{param}[call_to_action]")
    return {"cta_type": cta_type}


def _check_link_data(ctx: Ctx, account: Account, ld: Any) -> dict[str, Any]:
    """``link_data`` of an image ad: the SDK's ``AdCreativeLinkData`` keys, an http(s) ``link``,
    and an ``image_hash`` this very account uploaded (hashes are per ad account). Meta answers a
    hash it does not know in the account, or no image at all, with 100/1487212 "Missing Image"
    "Please specify an image to run with this ad." (facebook-nodejs-business-sdk#134).
    """
    param = "object_story_spec[link_data]"
    if not isinstance(ld, dict):
        raise param_error(f"Param {param} must be a JSON object")
    check_keys(ld, schema.LINK_DATA_KEYS, param)
    if not ld.get("link"):
        raise param_error(f"The parameter {param}[link] is required")
    check_http_url(ld["link"], f"{param}[link]")
    digest = ld.get("image_hash")
    image = ctx.store.images.get((account.id, str(digest))) if digest else None
    if digest and image is None:
        raise invalid(
            1487212,
            "Missing Image",
            "Please specify an image to run with this ad.",
            "object_story_spec",
        )
    if ld.get("picture") is not None:
        check_http_url(ld["picture"], f"{param}[picture]")
    cta_type = _check_cta(ld.get("call_to_action"), f"{param}[call_to_action]")
    url = image_url(ctx.base_url, image) if image is not None else ld.get("picture")
    return {"cta_type": cta_type, "image_url": url}


def _check_degrees_of_freedom(ctx: Ctx) -> dict[str, Any]:
    """``degrees_of_freedom_spec`` checked against the SDK's generated structs, with Meta's
    default enrolment filled in for every feature the request leaves out.

    Keys: ``AdCreativeDegreesOfFreedomSpec``, ``AdCreativeFeaturesSpec`` (one key per feature),
    ``AdCreativeFeatureDetails`` (facebook_business/adobjects, tables in ``schema``). Since v22
    each feature is opted in or out on its own (``enroll_status`` OPT_IN/OPT_OUT) and the
    ``standard_enhancements`` bundle is refused with 100/3858504 (Meta's Advantage+ creative
    guide; meta-api.md §1.2). A feature the request does not name is enrolled: that is what
    operators see when "toggles come back on" (round2-facts.md, creative controls), and it is
    why AdBee names every feature.
    """
    spec = ctx.params.obj("degrees_of_freedom_spec") or {}
    check_keys(spec, schema.DEGREES_OF_FREEDOM_KEYS, "degrees_of_freedom_spec")
    param = "degrees_of_freedom_spec[creative_features_spec]"
    features = spec.get("creative_features_spec") or {}
    if not isinstance(features, dict):
        raise param_error(f"Param {param} must be a JSON object")
    if "standard_enhancements" in features:
        raise invalid(
            3858504,
            "Standard Enhancements Deprecated",
            "standard_enhancements can no longer be used; opt in or out of individual "
            "creative features instead.",
            "degrees_of_freedom_spec",
        )
    check_keys(features, schema.CREATIVE_FEATURES, param)
    for name, feature in features.items():
        if not isinstance(feature, dict) or feature.get("enroll_status") not in _FEATURE_STATUSES:
            raise invalid(
                3858082,
                "Enroll Status Required",
                f"Creative feature {name} needs enroll_status OPT_IN or OPT_OUT.",
                "degrees_of_freedom_spec",
            )
        check_keys(feature, schema.CREATIVE_FEATURE_DETAIL_KEYS, f"{param}[{name}]")
    enrolled = {
        name: {"enroll_status": "OPT_IN"}
        for name in sorted(schema.CREATIVE_FEATURES)
        if not name.startswith("standard_enhancements")  # bundles, not features
    }
    return {**spec, "creative_features_spec": {**enrolled, **features}}


def _check_contextual_multi_ads(ctx: Ctx) -> dict[str, Any]:
    """``contextual_multi_ads`` (``AdCreativeContextualMultiAds``): ``enroll_status`` must be
    OPT_IN or OPT_OUT; a creative that omits it is enrolled in multi-advertiser ads, Meta's
    default for ads created since 2024-08-19 (Marketing API, "Multi-advertiser Ads")."""
    value = ctx.params.obj("contextual_multi_ads")
    if value is None:
        return {"enroll_status": "OPT_IN"}
    check_keys(value, schema.CONTEXTUAL_MULTI_ADS_KEYS, "contextual_multi_ads")
    if value.get("enroll_status") not in _FEATURE_STATUSES:
        raise must_be_one_of("contextual_multi_ads[enroll_status]", _FEATURE_STATUSES)
    return dict(value)


# The transformations Meta's format automation guide names ("Get Started with Format
# Automation", Marketing API, updated 2026-04-27) and the data sources it lists for them.
FORMAT_TRANSFORMATIONS = ("carousel", "da_collection", "sa_collection", "video_slideshow")
_DATA_SOURCES = frozenset({"none", "catalog", "site_links", "manual_uploads"})


def _check_format_transformations(ctx: Ctx) -> list[dict[str, Any]]:
    """``format_transformation_spec``: a list of ``{format, data_source}`` entries
    (``AdCreativeFormatTransformationSpec``); ``data_source: ["none"]`` opts that format out,
    an empty list opts in to every source. Omitted means "the default system behavior" (the
    guide); the emulator stores that as every named format opted in, so a read shows it.
    """
    param = "format_transformation_spec"
    entries = ctx.params.array(param)
    if entries is None:
        return [{"format": name, "data_source": []} for name in FORMAT_TRANSFORMATIONS]
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise param_error(f"Param {param}[{index}] must be a JSON object")
        check_keys(entry, schema.FORMAT_TRANSFORMATION_KEYS, f"{param}[{index}]")
        if not isinstance(entry.get("format"), str) or not entry["format"]:
            raise param_error(f"The parameter {param}[{index}][format] is required")
        sources = entry.get("data_source", [])
        if not isinstance(sources, list) or any(s not in _DATA_SOURCES for s in sources):
            raise must_be_one_of(f"{param}[{index}][data_source]", _DATA_SOURCES)
    return [dict(entry) for entry in entries]


def creative_create(ctx: Ctx) -> dict[str, Any]:
    """Validate POST /act_X/adcreatives and return the stored fields."""
    account = ctx.require_account()
    p = ctx.params
    if "instagram_actor_id" in p:
        raise param_error("Param instagram_actor_id must be a valid Instagram account id")
    if p.text("object_story_spec") is None:
        raise param_error("The parameter object_story_spec is required")
    spec = p.obj("object_story_spec") or {}
    if "instagram_actor_id" in spec:
        raise param_error("Param instagram_actor_id must be a valid Instagram account id")
    check_keys(spec, schema.OBJECT_STORY_SPEC_KEYS, "object_story_spec")
    page_id = str(spec.get("page_id") or "")
    if not page_id:
        raise param_error("The parameter object_story_spec[page_id] is required")
    if page_id not in account.page_ids:
        raise invalid(
            None,
            "Invalid Page",
            f"Page {page_id} can't be used by this ad account (not connected or no permission).",
            "object_story_spec",
        )
    ig = spec.get("instagram_user_id")
    if ig is not None and str(ig) not in account.instagram_user_ids:
        raise param_error("Param instagram_user_id must be a valid Instagram account id")
    data: dict[str, Any] = {
        "name": p.text("name"),
        "object_story_spec": spec,
        "status": "ACTIVE",
        "actor_id": page_id,
        "instagram_user_id": str(ig) if ig is not None else None,
        "url_tags": p.text("url_tags"),
        "degrees_of_freedom_spec": _check_degrees_of_freedom(ctx),
        "contextual_multi_ads": _check_contextual_multi_ads(ctx),
        "format_transformation_spec": _check_format_transformations(ctx),
    }
    if p.text("asset_feed_spec") is not None:
        # Several assets in one creative (placement asset customization, dynamic creative):
        # object_story_spec names only the page and Instagram account (asset_feed module).
        feed = p.obj("asset_feed_spec")
        check_asset_feed_spec(ctx, account, feed, spec)
        assert feed is not None
        videos = feed.get("videos") or []
        data.update(
            asset_feed_spec=feed,
            object_type="VIDEO" if videos else "SHARE",
            video_id=str(videos[0]["video_id"]) if videos else None,
            thumbnail_url=videos[0].get("thumbnail_url") if videos else None,
            body=((feed.get("bodies") or [{}])[0]).get("text"),
            title=((feed.get("titles") or [{}])[0]).get("text"),
            call_to_action_type=(feed.get("call_to_action_types") or [None])[0],
        )
    elif "video_data" in spec:
        info = _check_video_data(ctx, account, spec["video_data"])
        vd = spec["video_data"]
        data.update(
            object_type="VIDEO",
            video_id=str(vd["video_id"]),
            image_url=vd.get("image_url"),
            image_hash=vd.get("image_hash"),
            thumbnail_url=vd.get("image_url"),
            title=vd.get("title"),
            body=vd.get("message"),
            call_to_action_type=info["cta_type"],
        )
    elif "link_data" in spec:
        ld = spec["link_data"]
        info = _check_link_data(ctx, account, ld)
        data.update(
            object_type="SHARE",
            body=ld.get("message"),
            title=ld.get("name"),
            image_hash=ld.get("image_hash"),
            image_url=info["image_url"],
            thumbnail_url=info["image_url"],
            call_to_action_type=info["cta_type"],
        )
    else:
        raise invalid(
            None,
            "Creative Content Missing",
            "object_story_spec needs video_data or link_data.",
            "object_story_spec",
        )
    return {k: v for k, v in data.items() if v is not None}


def creative_update(ctx: Ctx, node: Node) -> dict[str, Any]:
    """Creatives are immutable except name and status (platform-facts.md §1.2)."""
    keys = {k for k in ctx.params.raw if k not in META_PARAMS}
    extra = keys - {"name", "status"}
    if extra:
        raise invalid(
            None,
            "Creative Can't Be Edited",
            "Ad creatives can't be changed after creation except name and status; create a new "
            "creative instead.",
            *sorted(extra),
        )
    changes: dict[str, Any] = {}
    if ctx.params.has("name"):
        changes["name"] = ctx.params.text("name")
    if ctx.params.has("status"):
        status = ctx.params.text("status") or ""
        if status not in ("ACTIVE", "DELETED"):
            raise must_be_one_of("status", ("ACTIVE", "DELETED"))
        changes["status"] = status
    return changes
