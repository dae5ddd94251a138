"""The Graph emulator's creative controls and ``validate_only``, through the real SDK.

The tables the emulator checks against were generated from facebook-business
(``sandbox.graph_emulator.schema``); the first test holds them to the installed SDK, so an SDK
upgrade that adds a creative feature fails here until the table is regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adcreative import AdCreative
from facebook_business.adobjects.adcreativecontextualmultiads import AdCreativeContextualMultiAds
from facebook_business.adobjects.adcreativedegreesoffreedomspec import (
    AdCreativeDegreesOfFreedomSpec,
)
from facebook_business.adobjects.adcreativefeaturedetails import AdCreativeFeatureDetails
from facebook_business.adobjects.adcreativefeaturesspec import AdCreativeFeaturesSpec
from facebook_business.adobjects.adcreativeformattransformationspec import (
    AdCreativeFormatTransformationSpec,
)
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign

from sandbox.graph_emulator import GraphEmulator, schema
from sandbox_tests.test_graph_emulator import (  # the emulator fixtures and request helpers
    ACT,
    FakeClock,
    acct,
    adset_params,
    api,
    campaign_params,
    clock,
    creative_params,
    emu,
    post,
    ready_video,
    sdk_error,
    video_file,
)

__all__ = ["acct", "api", "clock", "emu", "video_file"]  # fixtures pytest finds by name
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings


def _values(holder: type) -> frozenset[str]:
    return frozenset(
        value
        for key, value in vars(holder).items()
        if not key.startswith("_") and isinstance(value, str)
    )


def _fields(cls: Any) -> frozenset[str]:
    return _values(cls.Field)


def test_the_tables_are_the_installed_sdks() -> None:
    assert _fields(AdCreativeFeaturesSpec) == schema.CREATIVE_FEATURES
    assert _fields(AdCreativeFeatureDetails) == schema.CREATIVE_FEATURE_DETAIL_KEYS
    assert _fields(AdCreativeDegreesOfFreedomSpec) == schema.DEGREES_OF_FREEDOM_KEYS
    assert _fields(AdCreativeContextualMultiAds) == schema.CONTEXTUAL_MULTI_ADS_KEYS
    assert _fields(AdCreativeFormatTransformationSpec) == schema.FORMAT_TRANSFORMATION_KEYS
    for kind, cls in (
        ("campaign", Campaign),
        ("adset", AdSet),
        ("ad", Ad),
        ("adcreative", AdCreative),
    ):
        assert _values(cls.ExecutionOptions) == schema.EXECUTION_OPTIONS[kind]


def _read(creative_id: str) -> dict[str, Any]:
    fields = ["degrees_of_freedom_spec", "contextual_multi_ads", "format_transformation_spec"]
    return dict(AdCreative(creative_id).api_get(fields=[*fields, "url_tags"]).export_all_data())


def test_a_creative_that_says_nothing_gets_metas_default_enrolment(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = ready_video(emu, clock, video_file)
    creative = acct.create_ad_creative(params=creative_params(video_id))
    read = _read(creative["id"])
    features = read["degrees_of_freedom_spec"]["creative_features_spec"]
    assert features["music_generation"] == {"enroll_status": "OPT_IN"}
    assert set(features) == {
        f for f in schema.CREATIVE_FEATURES if not f.startswith("standard_enhancements")
    }
    assert read["contextual_multi_ads"] == {"enroll_status": "OPT_IN"}
    assert {"format": "carousel", "data_source": []} in read["format_transformation_spec"]


def test_opt_outs_are_stored_and_read_back(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = ready_video(emu, clock, video_file)
    params = {
        **creative_params(video_id),
        "degrees_of_freedom_spec": {
            "creative_features_spec": {"text_generation": {"enroll_status": "OPT_OUT"}}
        },
        "contextual_multi_ads": {"enroll_status": "OPT_OUT"},
        "format_transformation_spec": [{"format": "carousel", "data_source": ["none"]}],
        "url_tags": "utm_source=meta&utm_campaign=Launch%20SG",
    }
    read = _read(acct.create_ad_creative(params=params)["id"])
    features = read["degrees_of_freedom_spec"]["creative_features_spec"]
    assert features["text_generation"] == {"enroll_status": "OPT_OUT"}
    assert features["music_generation"] == {"enroll_status": "OPT_IN"}  # not named: enrolled
    assert read["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    assert read["format_transformation_spec"] == [{"format": "carousel", "data_source": ["none"]}]
    assert read["url_tags"] == "utm_source=meta&utm_campaign=Launch%20SG"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            {"degrees_of_freedom_spec": {"creative_features_spec": {"made_up": {}}}},
            '"made_up"',
        ),
        (
            {
                "degrees_of_freedom_spec": {
                    "creative_features_spec": {"audio": {"enroll_status": "MAYBE"}}
                }
            },
            "enroll_status",
        ),
        ({"degrees_of_freedom_spec": {"bananas": 1}}, '"bananas"'),
        ({"contextual_multi_ads": {"enroll_status": "NO"}}, "contextual_multi_ads"),
        ({"format_transformation_spec": [{"format": "carousel", "data_source": ["x"]}]}, "data"),
        ({"format_transformation_spec": [{"data_source": ["none"]}]}, "format"),
    ],
)
def test_creative_controls_are_validated(
    emu: GraphEmulator,
    clock: FakeClock,
    acct: AdAccount,
    video_file: Path,
    extra: dict[str, Any],
    fragment: str,
) -> None:
    video_id = ready_video(emu, clock, video_file)
    error = sdk_error(acct.create_ad_creative, params={**creative_params(video_id), **extra})
    assert error.api_error_code() == 100
    assert fragment in (error.api_error_message() + str(error.body()))
    assert emu.objects("adcreative") == []


def test_the_enhancements_bundle_is_refused(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = ready_video(emu, clock, video_file)
    bundle = {"creative_features_spec": {"standard_enhancements": {"enroll_status": "OPT_OUT"}}}
    params = {**creative_params(video_id), "degrees_of_freedom_spec": bundle}
    assert sdk_error(acct.create_ad_creative, params=params).api_error_subcode() == 3858504


def test_validate_only_validates_every_write_and_changes_nothing(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    check = {"execution_options": ["validate_only"]}
    campaign_id = acct.create_campaign(params=campaign_params())["id"]
    adset_id = acct.create_ad_set(params=adset_params(campaign_id))["id"]
    video_id = ready_video(emu, clock, video_file)
    # Creates: Meta's answer is a bare success (the wire JSON, not the SDK's wrapper), and
    # nothing is added.
    for edge, params in (
        ("adsets", adset_params(campaign_id)),
        ("adcreatives", creative_params(video_id)),
    ):
        form = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
        reply = post(emu, f"{ACT}/{edge}", **form, execution_options='["validate_only"]')
        assert reply.status_code == 200 and reply.json() == {"success": True}
    assert len(emu.objects("adset")) == 1 and emu.objects("adcreative") == []
    # Still validated in full: a bad value is refused as it would be without the option.
    refused = sdk_error(
        acct.create_ad_set, params={**adset_params(campaign_id), **check, "billing_event": "X"}
    )
    assert "billing_event" in refused.api_error_message()
    # Updates: validated, not applied.
    only = '["validate_only"]'
    reply = post(emu, campaign_id, daily_budget=9000, execution_options=only)
    assert reply.json() == {"success": True}
    assert Campaign(campaign_id).api_get(fields=["daily_budget"])["daily_budget"] == "5000"
    assert post(emu, campaign_id, status="BANANAS", execution_options=only).status_code == 400
    assert post(emu, adset_id, status="ACTIVE", execution_options=only).json() == {"success": True}
    assert AdSet(adset_id).api_get(fields=["status"])["status"] == "PAUSED"
    # An option the node type does not know is refused (the SDK's ExecutionOptions enums).
    unknown = post(emu, campaign_id, status="PAUSED", execution_options='["x"]')
    assert unknown.status_code == 400 and "execution_options" in unknown.text
