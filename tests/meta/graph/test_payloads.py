"""The four objects carry exactly what an Advantage+ Sales video campaign needs (meta-api.md §1-§3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from facebook_business.adobjects.adcreativefeaturesspec import AdCreativeFeaturesSpec

from meta.domain.accounts import load_accounts
from meta.domain.creative import CreativePolicy
from meta.domain.spec import build_spec
from meta.graph.payloads import ad_call, adset_call, campaign_call, creative_call, dry_run_calls

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def accounts():
    return load_accounts(ROOT / "configs" / "accounts.yaml")


@pytest.fixture(scope="module")
def spec(accounts):
    raw = {
        "account": "iflytek-sg",
        "name": "AINOTE2 launch SG",
        "daily_budget": 50,
        "start_time": "2026-12-03 20:00",
        "countries": ["SG", "MY"],
        "video": "creatives/ainote2.mp4",
        "primary_text": "Meet AINOTE 2",
        "headline": "AINOTE 2 is here",
        "description": "Free shipping",
        "link": "https://shop.example.com/sg/ainote2",
        "call_to_action": "SHOP_NOW",
    }
    return build_spec(raw, accounts=accounts, now=NOW, base_dir=ROOT)


@pytest.fixture(scope="module")
def account(accounts):
    return accounts.get("iflytek-sg")


def test_the_campaign_holds_the_budget_and_a_capless_bid_strategy(spec, account):
    call = campaign_call(spec, account)
    assert (call.method, call.path) == ("POST", "act_1234567890/campaigns")
    assert call.params == {
        "name": "iflytek-sg_AINOTE2 launch SG_20261203",  # the account's naming template
        "objective": "OUTCOME_SALES",
        "status": "PAUSED",
        "special_ad_categories": [],
        "buying_type": "AUCTION",
        "daily_budget": 5000,
        "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
    }
    assert "smart_promotion_type" not in call.params


def test_the_ad_set_optimises_purchases_with_advantage_audience_and_sg_declarations(spec, account):
    params = adset_call(spec, account, "111").params
    assert params["campaign_id"] == "111"
    assert params["status"] == "PAUSED"
    assert params["billing_event"] == "IMPRESSIONS"
    assert params["optimization_goal"] == "OFFSITE_CONVERSIONS"
    assert params["promoted_object"] == {"pixel_id": "5566778899", "custom_event_type": "PURCHASE"}
    assert params["targeting"] == {
        "geo_locations": {"countries": ["SG", "MY"]},
        "targeting_automation": {"advantage_audience": 1},
    }
    assert params["start_time"] == "2026-12-03T20:00:00+0800"
    assert params["regional_regulated_categories"] == ["SINGAPORE_UNIVERSAL"]
    assert params["regional_regulation_identities"] == {
        "singapore_universal_beneficiary": "998877665544",
        "singapore_universal_payer": "998877665544",
    }
    # Advantage+ placements means no placement keys and no ad-set budget under CBO.
    for key in ("publisher_platforms", "device_platforms", "daily_budget", "lifetime_budget"):
        assert key not in params and key not in params["targeting"]
    assert "dsa_payor" not in params


def test_the_creative_is_video_data_with_thumbnail_and_cta_link(spec, account):
    params = creative_call(spec, account, video_id="V1", thumbnail_url="https://t/1.jpg").params
    story = params["object_story_spec"]
    assert story["page_id"] == "1122334455"
    assert story["instagram_user_id"] == "17841400000000000"
    assert story["video_data"] == {
        "video_id": "V1",
        "image_url": "https://t/1.jpg",
        "message": "Meet AINOTE 2",
        "title": "AINOTE 2 is here",
        "link_description": "Free shipping",
        "call_to_action": {
            "type": "SHOP_NOW",
            "value": {"link": "https://shop.example.com/sg/ainote2"},
        },
    }


def test_the_creative_opts_out_of_every_feature_the_sdk_knows_and_carries_the_utms(spec, account):
    params = creative_call(spec, account, video_id="V1", thumbnail_url="https://t/1.jpg").params
    features = params["degrees_of_freedom_spec"]["creative_features_spec"]
    sdk = {
        v
        for k, v in vars(AdCreativeFeaturesSpec.Field).items()
        if not k.startswith("_") and isinstance(v, str)
    }
    assert set(features) == sdk - {"standard_enhancements", "standard_enhancements_catalog"}
    assert {f["enroll_status"] for f in features.values()} == {"OPT_OUT"}
    assert params["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    assert {"format": "carousel", "data_source": ["none"]} in params["format_transformation_spec"]
    assert params["url_tags"] == (
        "utm_source=meta&utm_medium=paid&utm_campaign=iflytek-sg_AINOTE2%20launch%20SG_20261203"
        "&utm_content=iflytek-sg_AINOTE2%20launch%20SG_20261203%20%7C%20ainote2"
    )
    assert params["name"] == "iflytek-sg_AINOTE2 launch SG_20261203 - creative"


def test_meta_defaults_sends_no_feature_choices_but_still_the_multi_advertiser_one(spec, account):
    relaxed = replace(spec, creative=CreativePolicy(enhancements="meta_defaults"))
    params = creative_call(relaxed, account, video_id="V1", thumbnail_url="https://t/1.jpg").params
    assert "degrees_of_freedom_spec" not in params and "format_transformation_spec" not in params
    assert params["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    chosen = replace(spec, creative=CreativePolicy(enhancements={"music_generation": "OPT_IN"}))
    features = creative_call(chosen, account, video_id="V", thumbnail_url="https://t/1").params[
        "degrees_of_freedom_spec"
    ]["creative_features_spec"]
    assert features["music_generation"] == {"enroll_status": "OPT_IN"}
    assert features["text_generation"] == {"enroll_status": "OPT_OUT"}


def test_the_ad_links_ad_set_and_creative_paused(spec, account):
    params = ad_call(spec, account, adset_id="A", creative_id="C").params
    assert params["adset_id"] == "A"
    assert params["creative"] == {"creative_id": "C"}
    assert params["status"] == "PAUSED"


def test_the_dry_run_lists_the_budget_read_upload_then_four_creates(spec, account):
    calls = dry_run_calls(spec, account, 1000)
    labels = [c.label for c in calls]
    assert calls[0].path == f"{account.ad_account_id}/minimum_budgets"
    assert labels[1] == "video upload start"
    assert labels[-4:] == ["creative", "campaign", "ad set", "ad"]
