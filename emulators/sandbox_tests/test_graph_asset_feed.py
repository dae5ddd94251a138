"""Several assets in one ad, as strict as Meta: placement asset customization
(``asset_feed_spec`` with ``asset_customization_rules``), dynamic creative, the flexible ad
format (``creative_asset_groups_spec`` on the ad) and the known traps (1443048, 2446173, an
immutable ``is_dynamic_creative``). Sources are cited in ``sandbox.graph_emulator.asset_feed``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adassetcustomizationrulecustomizationspec import (
    AdAssetCustomizationRuleCustomizationSpec,
)
from facebook_business.adobjects.adassetfeedspec import AdAssetFeedSpec
from facebook_business.adobjects.adassetfeedspecassetcustomizationrule import (
    AdAssetFeedSpecAssetCustomizationRule,
)
from facebook_business.adobjects.adassetfeedspecassetlabel import AdAssetFeedSpecAssetLabel
from facebook_business.adobjects.adassetfeedspecbody import AdAssetFeedSpecBody
from facebook_business.adobjects.adassetfeedspecimage import AdAssetFeedSpecImage
from facebook_business.adobjects.adassetfeedspeclinkurl import AdAssetFeedSpecLinkURL
from facebook_business.adobjects.adassetfeedspecvideo import AdAssetFeedSpecVideo
from facebook_business.adobjects.adcreative import AdCreative
from facebook_business.adobjects.adcreativeassetgroupsspec import AdCreativeAssetGroupsSpec
from facebook_business.adobjects.adset import AdSet

from sandbox.graph_emulator import GraphEmulator, schema
from sandbox_tests.test_graph_creative_controls import _fields, _values
from sandbox_tests.test_graph_emulator import (  # the emulator fixtures and request helpers
    ACT,
    IG,
    PAGE,
    FakeClock,
    acct,
    adset_params,
    api,
    campaign_params,
    cbo_campaign,
    clock,
    creative_params,
    emu,
    post,
    ready_video,
    sdk_error,
    video_file,
)
from tests.media import make_test_image

__all__ = ["acct", "api", "cbo_campaign", "clock", "emu", "video_file"]  # pytest fixtures
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings

LINK = "https://shop.example/sg"
STORIES = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["story", "facebook_reels"],
    "instagram_positions": ["story", "reels"],
}
FEED = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["feed"],
    "instagram_positions": ["stream"],
}


def test_the_tables_are_the_installed_sdks() -> None:
    assert _fields(AdAssetFeedSpec) == schema.ASSET_FEED_SPEC_KEYS
    assert _values(AdAssetFeedSpec.CallToActionTypes) == schema.ASSET_FEED_CTA_TYPES
    assert _fields(AdAssetFeedSpecVideo) == schema.ASSET_FEED_VIDEO_KEYS
    assert _fields(AdAssetFeedSpecImage) == schema.ASSET_FEED_IMAGE_KEYS
    assert _fields(AdAssetFeedSpecBody) == schema.ASSET_FEED_TEXT_KEYS
    assert _fields(AdAssetFeedSpecLinkURL) == schema.ASSET_FEED_LINK_URL_KEYS
    assert _fields(AdAssetFeedSpecAssetCustomizationRule) == schema.ASSET_CUSTOMIZATION_RULE_KEYS
    assert _fields(AdAssetCustomizationRuleCustomizationSpec) == schema.CUSTOMIZATION_SPEC_KEYS
    assert _fields(AdAssetFeedSpecAssetLabel) == schema.ASSET_LABEL_KEYS
    assert _fields(AdCreativeAssetGroupsSpec) == schema.ASSET_GROUPS_SPEC_KEYS


def placement_creative(vertical: str, feed: str) -> dict[str, Any]:
    """One ad, two cuts: the vertical video in Stories/Reels, the other in Feed."""
    return {
        "name": "AdBee pair",
        "object_story_spec": {"page_id": PAGE, "instagram_user_id": IG},
        "asset_feed_spec": {
            "ad_formats": ["SINGLE_VIDEO"],
            "optimization_type": "PLACEMENT",
            "videos": [
                {
                    "video_id": vertical,
                    "thumbnail_url": "https://cdn.example/v.jpg",
                    "adlabels": [{"name": "vertical"}],
                },
                {
                    "video_id": feed,
                    "thumbnail_url": "https://cdn.example/f.jpg",
                    "adlabels": [{"name": "feed"}],
                },
            ],
            "bodies": [{"text": "Translate 60 languages offline."}],
            "titles": [{"text": "iFLYTEK Translator"}],
            "link_urls": [{"website_url": LINK}],
            "call_to_action_types": ["SHOP_NOW"],
            "asset_customization_rules": [
                {"customization_spec": STORIES, "video_label": {"name": "vertical"}, "priority": 1},
                {"customization_spec": FEED, "video_label": {"name": "feed"}, "priority": 2},
            ],
        },
    }


@pytest.fixture
def two_videos(emu: GraphEmulator, clock: FakeClock, video_file: Path) -> tuple[str, str]:
    return ready_video(emu, clock, video_file), ready_video(emu, clock, video_file)


def test_a_placement_pair_is_one_creative_and_one_ad(
    acct: AdAccount, cbo_campaign: str, two_videos: tuple[str, str]
) -> None:
    creative = acct.create_ad_creative(params=placement_creative(*two_videos))
    read = AdCreative(creative["id"]).api_get(fields=["asset_feed_spec", "object_type"])
    assert read["object_type"] == "VIDEO"
    rules = read["asset_feed_spec"]["asset_customization_rules"]
    assert [rule["video_label"]["name"] for rule in rules] == ["vertical", "feed"]
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    ad = acct.create_ad(
        params={
            "name": "pair",
            "adset_id": adset["id"],
            "creative": {"creative_id": creative["id"]},
        }
    )
    assert ad["id"]


def _without(params: dict[str, Any], change: Any) -> dict[str, Any]:
    params = copy.deepcopy(params)
    change(params["asset_feed_spec"])
    return params


@pytest.mark.parametrize(
    ("change", "subcode", "fragment"),
    [
        (lambda f: f["asset_customization_rules"].pop(), None, "at least two"),
        (
            lambda f: f["asset_customization_rules"][0].update(video_label={"name": "vert"}),
            2446173,
            "'vert'",
        ),
        (
            lambda f: f["asset_customization_rules"][1]["customization_spec"].pop(
                "instagram_positions"
            ),
            None,
            "instagram_positions] is required",
        ),
        (
            lambda f: f["asset_customization_rules"][1]["customization_spec"].update(
                instagram_positions=["timeline"]
            ),
            None,
            "must be one of",
        ),
        (lambda f: f["asset_customization_rules"][0].pop("video_label"), None, "video_label"),
        (lambda f: f["asset_customization_rules"][0].pop("customization_spec"), None, "required"),
        (lambda f: f.update(bodies=[{"text": f"body {n}"} for n in range(6)]), None, "at most 5"),
        (lambda f: f.update(call_to_action_types=["SHOP_NOWW"]), None, "must be one of"),
        (lambda f: f.update(ad_formats=[]), None, "ad_formats] is required"),
        (lambda f: f["videos"][0].update(length=3), None, 'Invalid keys "length"'),
        (lambda f: f.update(videos_v2=[]), None, 'Invalid keys "videos_v2"'),
    ],
)
def test_placement_customization_is_checked_like_meta(
    acct: AdAccount,
    two_videos: tuple[str, str],
    change: Any,
    subcode: int | None,
    fragment: str,
) -> None:
    params = _without(placement_creative(*two_videos), change)
    error = sdk_error(acct.create_ad_creative, params=params)
    assert (error.api_error_code(), error.api_error_subcode()) == (100, subcode)
    assert fragment in error.body()["error"].get("error_user_msg", error.api_error_message())


def test_video_data_beside_asset_feed_videos_is_1443048(
    acct: AdAccount, two_videos: tuple[str, str]
) -> None:
    params = placement_creative(*two_videos)
    params["object_story_spec"]["video_data"] = creative_params(two_videos[0])["object_story_spec"][
        "video_data"
    ]
    assert sdk_error(acct.create_ad_creative, params=params).api_error_subcode() == 1443048


def test_eleven_media_are_too_many(emu: GraphEmulator, acct: AdAccount) -> None:
    hashes = []
    for n in range(11):
        picture = make_test_image(width=600, height=600, colour=(n, n, n))  # 11 hashes
        image = post(emu, f"{ACT}/adimages", files={f"{n}.jpg": (f"{n}.jpg", picture)})
        hashes.append(image.json()["images"][f"{n}.jpg"]["hash"])
    params = {
        "name": "too many",
        "object_story_spec": {"page_id": PAGE},
        "asset_feed_spec": {
            "ad_formats": ["SINGLE_IMAGE"],
            "images": [{"hash": h} for h in hashes],
            "link_urls": [{"website_url": LINK}],
            "call_to_action_types": ["SHOP_NOW"],
        },
    }
    assert (
        "at most 10"
        in sdk_error(acct.create_ad_creative, params=params).body()["error"]["error_user_msg"]
    )
    params["asset_feed_spec"]["images"] = params["asset_feed_spec"]["images"][:10]
    assert acct.create_ad_creative(params=params)["id"]


def test_dynamic_creative_needs_a_dynamic_ad_set_chosen_at_creation(
    acct: AdAccount, cbo_campaign: str, two_videos: tuple[str, str]
) -> None:
    params = placement_creative(*two_videos)
    del params["asset_feed_spec"]["asset_customization_rules"]
    del params["asset_feed_spec"]["optimization_type"]
    creative = acct.create_ad_creative(params=params)  # several assets, no rules: dynamic
    plain = acct.create_ad_set(params=adset_params(cbo_campaign))
    ad = {"name": "dco", "creative": {"creative_id": creative["id"]}}
    refused = sdk_error(acct.create_ad, params={**ad, "adset_id": plain["id"]})
    assert "is_dynamic_creative" in refused.body()["error"]["error_user_msg"]
    dynamic = acct.create_ad_set(params=adset_params(cbo_campaign, is_dynamic_creative=True))
    assert acct.create_ad(params={**ad, "adset_id": dynamic["id"]})["id"]
    full = sdk_error(acct.create_ad, params={**ad, "adset_id": dynamic["id"]})
    assert "only one ad" in full.body()["error"]["error_user_msg"]
    assert AdSet(dynamic["id"]).api_get(fields=["is_dynamic_creative"])["is_dynamic_creative"]
    immutable = sdk_error(AdSet(plain["id"]).api_update, params={"is_dynamic_creative": True})
    assert "can't be changed" in immutable.body()["error"]["error_user_msg"]


def flexible_ad(adset_id: str, creative_id: str, videos: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": "flexible",
        "adset_id": adset_id,
        "creative": {"creative_id": creative_id},
        "status": "PAUSED",
        "creative_asset_groups_spec": {
            "groups": [
                {
                    "videos": [{"video_id": v} for v in videos],
                    "texts": [
                        {"text": "Translate offline.", "text_type": "primary_text"},
                        {"text": "60 languages.", "text_type": "primary_text"},
                        {"text": "iFLYTEK Translator", "text_type": "headline"},
                    ],
                    "call_to_action": {"type": "SHOP_NOW", "value": {"link": LINK}},
                }
            ]
        },
    }


def test_a_flexible_ad_groups_the_videos_and_texts(
    emu: GraphEmulator,
    clock: FakeClock,
    acct: AdAccount,
    cbo_campaign: str,
    two_videos: tuple[str, str],
) -> None:
    creative = acct.create_ad_creative(params=creative_params(two_videos[0]))
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    ad = acct.create_ad(params=flexible_ad(adset["id"], creative["id"], two_videos))
    read = Ad(ad["id"]).api_get(fields=["creative_asset_groups_spec"])
    (group,) = read["creative_asset_groups_spec"]["groups"]
    assert [v["video_id"] for v in group["videos"]] == list(two_videos)
    assert group["group_uuid"]


def _group(params: dict[str, Any]) -> dict[str, Any]:
    return params["creative_asset_groups_spec"]["groups"][0]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda g: g["texts"].extend(
                {"text": f"headline {n}", "text_type": "headline"} for n in range(5)
            ),
            "no more than 5 texts per text_type",
        ),
        (lambda g: g.pop("videos"), "at least 1 image or video"),
        (lambda g: g["texts"].append({"text": "x", "text_type": "caption"}), "must be one of"),
        (lambda g: g["videos"].append({"video_id": "31337"}), "does not exist"),
    ],
)
def test_flexible_format_limits(
    acct: AdAccount,
    cbo_campaign: str,
    two_videos: tuple[str, str],
    change: Any,
    fragment: str,
) -> None:
    creative = acct.create_ad_creative(params=creative_params(two_videos[0]))
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    params = flexible_ad(adset["id"], creative["id"], two_videos)
    change(_group(params))
    error = sdk_error(acct.create_ad, params=params)
    assert fragment in error.body()["error"].get("error_user_msg", error.api_error_message())


def test_flexible_groups_share_one_call_to_action_type(
    acct: AdAccount, cbo_campaign: str, two_videos: tuple[str, str]
) -> None:
    creative = acct.create_ad_creative(params=creative_params(two_videos[0]))
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    params = flexible_ad(adset["id"], creative["id"], two_videos[:1])
    second = copy.deepcopy(_group(params))
    second["call_to_action"]["type"] = "LEARN_MORE"
    params["creative_asset_groups_spec"]["groups"].append(second)
    error = sdk_error(acct.create_ad, params=params)
    assert "same type" in error.body()["error"]["error_user_msg"]


def test_flexible_format_is_for_sales_and_app_promotion_only(
    acct: AdAccount, two_videos: tuple[str, str]
) -> None:
    creative = acct.create_ad_creative(params=creative_params(two_videos[0]))
    traffic = acct.create_campaign(params=campaign_params(objective="OUTCOME_TRAFFIC"))
    adset = acct.create_ad_set(
        params=adset_params(traffic["id"], optimization_goal="LINK_CLICKS", promoted_object=None)
    )
    error = sdk_error(acct.create_ad, params=flexible_ad(adset["id"], creative["id"], two_videos))
    assert "OUTCOME_SALES" in error.body()["error"]["error_user_msg"]


def test_a_flexible_ads_groups_are_sent_again_with_a_new_creative(
    acct: AdAccount, cbo_campaign: str, two_videos: tuple[str, str]
) -> None:
    """``Ad.api_update`` takes ``creative_asset_groups_spec`` (SDK param_types): checked as on
    create and stored; a refused one changes nothing."""
    creative = acct.create_ad_creative(params=creative_params(two_videos[0]))
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    ad = acct.create_ad(params=flexible_ad(adset["id"], creative["id"], two_videos))
    other = acct.create_ad_creative(params=creative_params(two_videos[0]))
    update = flexible_ad(adset["id"], other["id"], two_videos[:1])
    bad = copy.deepcopy(update)
    _group(bad).pop("videos")
    error = sdk_error(
        Ad(ad["id"]).api_update,
        params={k: bad[k] for k in ("creative", "creative_asset_groups_spec")},
    )
    assert "at least 1 image or video" in error.body()["error"]["error_user_msg"]
    assert Ad(ad["id"]).api_get(fields=["creative"])["creative"]["id"] == creative["id"]

    Ad(ad["id"]).api_update(
        params={k: update[k] for k in ("creative", "creative_asset_groups_spec")}
    )
    read = Ad(ad["id"]).api_get(fields=["creative", "creative_asset_groups_spec"])
    assert read["creative"]["id"] == other["id"]
    (group,) = read["creative_asset_groups_spec"]["groups"]
    assert [v["video_id"] for v in group["videos"]] == [two_videos[0]]
