"""The Graph API requests for one Advantage+ Sales video campaign, as pure data.

Kept free of I/O so the dry run prints exactly what the real run sends, and unit tests can pin
each field Meta requires (see docs/meta-objects.md for why each one is there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meta.domain.accounts import AccountConfig
from meta.domain.creative import feature_choices
from meta.domain.regulation import adset_declarations
from meta.domain.spec import AdFormat, AdPlan, CampaignSpec, Placement, VideoPlan
from meta.domain.times import to_meta
from meta.domain.video_title import DRY_RUN_ID, video_title
from meta.graph.client import creative_feature_names
from meta.graph.images import upload_filename
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
    was lost, so each ad of a several-ad campaign has its own (the account's creative and ad
    names with " 2" after them). A one-ad campaign (one video, one placement pair or one flexible
    ad) keeps the names it always had."""
    names = spec.object_names.as_dict()
    if len(spec.ads()) > 1:
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


def upload_name(spec: CampaignSpec, video: VideoPlan) -> str:
    """The file name an upload's title starts with: in a campaign of several videos the video's
    number leads it, so no two uploads of one creation share a title (a resumed run deletes
    its lost uploads by title)."""
    name = video.path.name
    return f"{video.index}. {name}" if len(spec.videos) > 1 else name


@dataclass(frozen=True)
class UploadedVideo:
    """A video Meta has processed: its id and the frame a creative shows before it plays."""

    video_id: str
    thumbnail_url: str
    placement: Placement | None = None


# Placement asset customization ("Placement Asset Customization", Marketing API): the vertical
# cut in Stories and Reels, the Feed cut everywhere else. Positions are the guide's names for
# customization_spec (facebook_positions, instagram_positions). The Feed rule is the default
# (is_default) so a placement no rule names (Advantage+ placements reach them all) shows the Feed
# cut, as Ads Manager's "different media per placement" does.
VERTICAL_PLACEMENTS = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["story", "facebook_reels"],
    "instagram_positions": ["story", "reels"],
}
FEED_PLACEMENTS = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["feed", "video_feeds", "marketplace", "search"],
    "instagram_positions": ["stream", "explore", "explore_home", "profile_feed"],
}


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
    videos: Sequence[UploadedVideo] = (),
    image_hash: str | None = None,
) -> GraphCall:
    """The creative of one ad (``ad``; the first when omitted): its video and its texts.

    ``video_id``/``thumbnail_url`` are the ad's first video. A placement pair's creative is an
    ``asset_feed_spec`` of its two ``videos`` instead (``placement_creative_call``); a flexible
    ad's creative is its first video's, the ad carries the rest (``ad_call``).
    """
    plan = ad or spec.ads()[0]
    if plan.format is AdFormat.PLACEMENTS:
        return placement_creative_call(spec, account, plan, videos)
    if plan.format is AdFormat.IMAGE:
        assert image_hash, "an image ad's creative shows its uploaded image"
        return image_creative_call(spec, account, image_hash=image_hash, ad=plan)
    video_data: dict[str, Any] = {
        "video_id": video_id,
        "image_url": thumbnail_url,
        "message": plan.primary_text,
        "title": plan.headline,
        "call_to_action": {"type": spec.call_to_action, "value": {"link": spec.link}},
    }
    if spec.description:
        video_data["link_description"] = spec.description
    story = {**_story(account), "video_data": video_data}
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


def image_creative_call(
    spec: CampaignSpec, account: AccountConfig, *, image_hash: str, ad: AdPlan
) -> GraphCall:
    """The creative of one image ad: ``object_story_spec.link_data`` with the uploaded image's
    hash (SDK ``AdCreativeLinkData``: ``image_hash``, ``link``, ``message``, ``name`` (the
    headline), ``description``, ``call_to_action``); the same creative controls as a video's."""
    link_data: dict[str, Any] = {
        "image_hash": image_hash,
        "link": spec.link,
        "message": ad.primary_text,
        "name": ad.headline,
        "call_to_action": {"type": spec.call_to_action, "value": {"link": spec.link}},
    }
    if spec.description:
        link_data["description"] = spec.description
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/adcreatives",
        {
            "name": object_names(spec, ad.index)["creative"],
            "object_story_spec": {**_story(account), "link_data": link_data},
            **creative_controls(spec),
        },
        "creative",
    )


def image_placement_creative_call(
    spec: CampaignSpec,
    account: AccountConfig,
    *,
    vertical_hash: str,
    feed_hash: str,
    ad: AdPlan,
) -> GraphCall:
    """The creative of an image placement pair: the 9:16 image in Stories and Reels, the Feed
    cut elsewhere (placement asset customization, as ``placement_creative_call`` for videos).

    The SDK's ``AdAssetFeedSpecImage`` (``hash``, ``adlabels``) and
    ``AdAssetFeedSpecAssetCustomizationRule`` (``image_label``) name the fields; Meta's
    "Placement Asset Customization" guide: ``SINGLE_IMAGE`` rules name an ``image_label``, the
    story names only the page, at least two rules. The 9:16 image is first, which is how a lost
    answer's creative is found again (``LostObjects.find_create``).
    """
    feed = _placement_feed(
        spec,
        ad,
        ad_format="SINGLE_IMAGE",
        media_key="images",
        media=[
            {"hash": vertical_hash, "adlabels": [{"name": str(Placement.VERTICAL)}]},
            {"hash": feed_hash, "adlabels": [{"name": str(Placement.FEED)}]},
        ],
        label_key="image_label",
    )
    return _placement_creative(spec, account, ad, feed)


def image_upload_call(account: AccountConfig, ad: AdPlan, image: Path | None = None) -> GraphCall:
    """The image's upload as ``meta.services.images`` sends it: one multipart file part named
    after the file (Meta keys its answer ``images.<name>.hash`` by it)."""
    path = image or ad.asset
    name = upload_filename(path)
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/adimages",
        {name: f"<bytes of {path.name} (multipart file part)>"},
        "image upload (answer: images.<name>.hash, the md5 of the bytes)",
    )


def _story(account: AccountConfig) -> dict[str, Any]:
    story: dict[str, Any] = {"page_id": account.page_id}
    if account.instagram_user_id:
        story["instagram_user_id"] = account.instagram_user_id
    return story


def placement_creative_call(
    spec: CampaignSpec, account: AccountConfig, plan: AdPlan, videos: Sequence[UploadedVideo]
) -> GraphCall:
    """One creative showing a placement pair: the vertical cut in Stories and Reels, the Feed cut
    elsewhere, with the ad's texts (placement asset customization).

    The SDK's ``AdAssetFeedSpec`` and its ``AdAssetFeedSpecVideo`` (``video_id``,
    ``thumbnail_url``, ``adlabels``) and ``AdAssetFeedSpecAssetCustomizationRule``
    (``customization_spec``, ``video_label``, ``priority``, ``is_default``) name the fields; Meta's
    "Placement Asset Customization" guide says the object story names only the page (the videos
    go in the feed: ``video_data`` beside ``asset_feed_spec.videos`` answers 1443048), that
    ``SINGLE_VIDEO`` rules need ``video_label`` and that a feed needs at least two rules.
    """
    labelled = [
        {
            "video_id": video.video_id,
            "thumbnail_url": video.thumbnail_url,
            "adlabels": [{"name": str(video.placement)}],
        }
        for video in videos
    ]
    feed = _placement_feed(
        spec,
        plan,
        ad_format="SINGLE_VIDEO",
        media_key="videos",
        media=labelled,
        label_key="video_label",
    )
    return _placement_creative(spec, account, plan, feed)


def _placement_creative(
    spec: CampaignSpec, account: AccountConfig, plan: AdPlan, feed: dict[str, Any]
) -> GraphCall:
    """A placement pair's creative: the page alone in the story, the cuts in ``feed``."""
    return GraphCall(
        "POST",
        f"{account.ad_account_id}/adcreatives",
        {
            "name": object_names(spec, plan.index)["creative"],
            "object_story_spec": _story(account),
            "asset_feed_spec": feed,
            **creative_controls(spec),
        },
        "creative",
    )


def _placement_feed(
    spec: CampaignSpec,
    plan: AdPlan,
    *,
    ad_format: str,
    media_key: str,
    media: list[dict[str, Any]],
    label_key: str,
) -> dict[str, Any]:
    """A placement pair's ``asset_feed_spec``: its two labelled cuts, the ad's texts, a rule for
    Stories/Reels and a default rule for Feed (videos or images alike)."""
    feed: dict[str, Any] = {
        "ad_formats": [ad_format],
        "optimization_type": "PLACEMENT",
        media_key: media,
        "bodies": [{"text": plan.primary_text}],
        "titles": [{"text": plan.headline}],
        "link_urls": [{"website_url": spec.link}],
        "call_to_action_types": [spec.call_to_action],
        "asset_customization_rules": [
            {
                "customization_spec": VERTICAL_PLACEMENTS,
                label_key: {"name": str(Placement.VERTICAL)},
                "priority": 1,
            },
            {
                "customization_spec": FEED_PLACEMENTS,
                label_key: {"name": str(Placement.FEED)},
                "priority": 2,
                "is_default": True,
            },
        ],
    }
    if spec.description:  # one description: it "cannot be customized per placement" (the guide)
        feed["descriptions"] = [{"text": spec.description}]
    return feed


def asset_groups(
    spec: CampaignSpec, video_ids: Sequence[str], image_hashes: Sequence[str] = ()
) -> dict[str, Any]:
    """A flexible ad's ``creative_asset_groups_spec``: one group of every video and every text,
    one call to action ("Get started with the flexible ad format": ``groups`` of ``videos``
    ``{video_id}``, ``texts`` ``{text, text_type}``, ``call_to_action``; at most 5 texts per
    text_type, which ``build_spec`` holds the campaign file to).

    Why not ``asset_feed_spec`` (the SDK's ``AdAssetFeedSpec``: ``videos``, ``bodies``,
    ``titles``)? Without customization rules that is dynamic creative, which Meta runs only in an
    ad set created with ``is_dynamic_creative`` (fixed at creation) and as its one ad; the flexible
    ad format is what Meta documents for several assets in a Sales ad, and it leaves AdBee's
    Advantage+ ad set as it is. ``asset_feed_spec`` serves placement pairs, where its rules pin
    each cut to its placements (``placement_creative_call``)."""
    texts = [{"text": text, "text_type": "primary_text"} for text in spec.primary_texts]
    texts += [{"text": text, "text_type": "headline"} for text in spec.headlines]
    if spec.description:
        texts.append({"text": spec.description, "text_type": "description"})
    group: dict[str, Any] = {
        # Files of the same bytes are one Meta video (meta.services.shared_videos): listed once.
        "videos": [{"video_id": video_id} for video_id in dict.fromkeys(video_ids)],
        "texts": texts,
        "call_to_action": {"type": spec.call_to_action, "value": {"link": spec.link}},
    }
    if image_hashes:  # the guide's images: [{hash}]; one image is one hash (its bytes' md5)
        group["images"] = [{"hash": digest} for digest in dict.fromkeys(image_hashes)]
    return {"groups": [group]}


def ad_call(
    spec: CampaignSpec,
    account: AccountConfig,
    *,
    adset_id: str,
    creative_id: str,
    ad_index: int = 1,
    flexible_videos: Sequence[str] = (),
    flexible_images: Sequence[str] = (),
) -> GraphCall:
    """One ad. A flexible ad (``flexible_videos``: every video id of the campaign) carries its
    ``creative_asset_groups_spec`` on the ad itself, where Meta's flexible ad format guide puts
    it (``POST /act_<id>/ads``), beside the creative made from its first video."""
    params: dict[str, Any] = {
        "name": object_names(spec, ad_index)["ad"],
        "adset_id": adset_id,
        "creative": {"creative_id": creative_id},
        "status": "PAUSED",
    }
    if flexible_videos:
        params["creative_asset_groups_spec"] = asset_groups(spec, flexible_videos, flexible_images)
    return GraphCall("POST", f"{account.ad_account_id}/ads", params, "ad")


def video_upload_calls(
    spec: CampaignSpec,
    account: AccountConfig,
    size: int,
    campaign_id: int | str = DRY_RUN_ID,
    *,
    video: VideoPlan | None = None,
) -> list[GraphCall]:
    """The chunked upload as the uploader sends it (``meta.graph.upload``'s own param builders;
    transfer repeats per server-chosen window). Only ids Meta or the database assign are
    placeholders; the title is the very one the real run sends, but for the AdBee id."""
    upload = video or spec.uploads()[0]
    edge = f"{account.ad_account_id}/advideos"
    title = video_title(upload_name(spec, upload), campaign_id)
    transfer: dict[str, Any] = dict(transfer_params("<from start>", "<window start>"))
    transfer["video_file_chunk"] = f"<bytes of {upload.path.name}>"
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
    spec: CampaignSpec,
    account: AccountConfig,
    video_size: int | Sequence[int],
    image_hashes: Sequence[str] = (),
) -> list[GraphCall]:
    """Every request of a creation, in order, with placeholders for ids Meta would return.

    ``video_size`` is the size of each video, in the order of ``spec.videos`` (one int for one);
    ``image_hashes`` the md5 of each of ``spec.images``: the very hash Meta will answer (an ad
    image's hash is the md5 of its bytes), so an image ad's creative is shown as it will be sent.
    Each video is uploaded; each ad gets its creative after its videos, then the campaign, the
    ad set and every ad (a flexible ad with every video in its asset groups).
    """
    sizes = [video_size] if isinstance(video_size, int) else list(video_size)
    uploads, plans = spec.uploads(), spec.ads()
    size_of = dict(zip((v.index for v in uploads), sizes, strict=True))
    # "(video 2 of 3)" while every ad shows one video; "(ad 2 of 3)" once ads group videos.
    unit, count = ("video", len(uploads)) if len(plans) == len(uploads) else ("ad", len(plans))

    def tag(text: str, index: int, what: str = unit, total: int = count) -> str:
        return f"{text} ({what} {index} of {total})" if total > 1 else text

    def video_id(video: VideoPlan) -> str:
        return f"<video_id {video.index}>" if len(uploads) > 1 else "<video_id>"

    calls = [
        GraphCall(
            "GET",
            f"{account.ad_account_id}/minimum_budgets",
            {},
            "Meta's minimum daily budget (read by the check before anything is sent; "
            "cached for a day)",
        )
    ]
    hashes = dict(zip(spec.images, image_hashes, strict=False))
    for plan in plans:
        if plan.image_path is not None:
            upload = image_upload_call(account, plan)
            calls.append(replace(upload, label=tag(upload.label, plan.index)))
            digest = hashes.get(plan.image_path, f"<image_hash {plan.index}>")
            if plan.feed_image is not None:  # an image placement pair: both cuts, one creative
                upload = image_upload_call(account, plan, plan.feed_image)
                calls.append(replace(upload, label=tag(upload.label, plan.index)))
                creative = image_placement_creative_call(
                    spec,
                    account,
                    vertical_hash=digest,
                    feed_hash=hashes.get(plan.feed_image, f"<image_hash {plan.index} feed>"),
                    ad=plan,
                )
            else:
                creative = image_creative_call(spec, account, image_hash=digest, ad=plan)
            calls.append(replace(creative, label=tag(creative.label, plan.index)))
            continue
        for video in plan.videos:
            for call in video_upload_calls(spec, account, size_of[video.index], video=video):
                calls.append(
                    replace(call, label=tag(call.label, video.index, "video", len(uploads)))
                )
        for number, image in enumerate(plan.group_images, start=1):
            upload = image_upload_call(account, replace(plan, image_path=image))
            calls.append(
                replace(upload, label=tag(upload.label, number, "image", len(spec.images)))
            )
        uploaded = [
            UploadedVideo(video_id(v), "<preferred thumbnail uri>", v.placement)
            for v in plan.videos
        ]
        creative = creative_call(
            spec,
            account,
            video_id=uploaded[0].video_id,
            thumbnail_url=uploaded[0].thumbnail_url,
            ad=plan,
            videos=uploaded,
        )
        calls.append(replace(creative, label=tag(creative.label, plan.index)))
    calls += [campaign_call(spec, account), adset_call(spec, account, "<campaign_id>")]
    for plan in plans:
        creative_id = f"<creative_id {plan.index}>" if len(plans) > 1 else "<creative_id>"
        flexible = [video_id(v) for v in plan.videos] if plan.format is AdFormat.FLEXIBLE else []
        group_images = [
            hashes.get(image, f"<image_hash {number}>")
            for number, image in enumerate(plan.group_images, start=1)
        ]
        ad = ad_call(
            spec,
            account,
            adset_id="<adset_id>",
            creative_id=creative_id,
            ad_index=plan.index,
            flexible_videos=flexible,
            flexible_images=group_images,
        )
        calls.append(replace(ad, label=tag(ad.label, plan.index)))
    return calls
