"""The Graph API emulator's rules for regulated markets, minimum budgets and video titles, held to
Meta's (cited in ``sandbox/graph_emulator/validation.py`` and ``video.py``) through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from meta.domain.countries import DSA_COUNTRIES
from sandbox.graph_emulator import GraphEmulator
from sandbox.graph_emulator.validation import DSA_REGULATED
from sandbox_tests.test_graph_emulator import (
    ACT,
    IG,
    PAGE,
    PIXEL,
    TOKEN,
    VERSION,
    VID,
    adset_params,
    campaign_params,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings
TW_ID = "887766554433"


@pytest.fixture
def emu() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        emulator.add_token(TOKEN)
        emulator.add_account(
            ACT,
            currency="SGD",
            timezone_name="Asia/Singapore",
            page_ids=[PAGE],
            pixel_ids=[PIXEL],
            instagram_user_ids=[IG],
            verified_identity_ids=[VID, TW_ID],
        )
        yield emulator


@pytest.fixture
def acct(emu: GraphEmulator) -> AdAccount:
    api = FacebookAdsApi.init(access_token=TOKEN, api_version=VERSION, crash_log=False)
    api._session.GRAPH = emu.url
    return AdAccount(ACT, api=api)


def refused(call, *args, **kwargs) -> FacebookRequestError:  # type: ignore[no-untyped-def]
    with pytest.raises(FacebookRequestError) as info:
        call(*args, **kwargs)
    return info.value


def test_product_and_emulator_agree_on_metas_dsa_list() -> None:
    # Two independent encodings of Meta's rule (EU + its territories with an own ISO code).
    assert DSA_COUNTRIES == DSA_REGULATED
    assert {"RE", "GF", "GP", "MQ", "YT", "MF", "AX"} <= DSA_REGULATED
    assert not {"IS", "LI", "NO", "CH", "GB"} & DSA_REGULATED
    assert len(DSA_REGULATED) == 27 + 7


@pytest.mark.parametrize("country", ["RE", "MF", "AX"])
def test_an_outermost_region_needs_the_dsa_names(acct: AdAccount, country: str) -> None:
    campaign = acct.create_campaign(params=campaign_params())["id"]
    targeting = {
        "geo_locations": {"countries": [country]},
        "targeting_automation": {"advantage_audience": 1},
    }
    params = adset_params(
        campaign,
        targeting=targeting,
        regional_regulated_categories=None,
        regional_regulation_identities=None,
    )
    assert refused(acct.create_ad_set, params=params).api_error_subcode() == 3858081


def test_taiwan_needs_taiwan_universal_with_both_ids(acct: AdAccount) -> None:
    campaign = acct.create_campaign(params=campaign_params())["id"]
    targeting = {
        "geo_locations": {"countries": ["TW"]},
        "targeting_automation": {"advantage_audience": 1},
    }
    error = refused(
        acct.create_ad_set,
        params=adset_params(
            campaign,
            targeting=targeting,
            regional_regulated_categories=None,
            regional_regulation_identities=None,
        ),
    )
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 3858498)
    made = acct.create_ad_set(
        params=adset_params(
            campaign,
            targeting=targeting,
            regional_regulated_categories=["TAIWAN_UNIVERSAL"],
            regional_regulation_identities={
                "taiwan_universal_beneficiary": TW_ID,
                "taiwan_universal_payer": TW_ID,
            },
        )
    )
    assert made["id"]


def test_minimum_budgets_serves_the_floor_it_enforces_on_ad_sets(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    emu.min_daily_budgets = {**emu.min_daily_budgets, "SGD": 400}
    [row] = [r for r in acct.get_minimum_budgets() if r["currency"] == "SGD"]
    assert row["min_daily_budget_imp"] == 400
    assert set(row.keys()) >= {
        "min_daily_budget_imp",
        "min_daily_budget_high_freq",
        "min_daily_budget_low_freq",
        "min_daily_budget_video_views",
    }
    # A campaign budget funds its ad sets: SGD 6.00 covers one at SGD 4.00, not two.
    campaign = acct.create_campaign(params=campaign_params(daily_budget=600))["id"]
    assert acct.create_ad_set(params=adset_params(campaign))["id"]
    error = refused(acct.create_ad_set, params=adset_params(campaign, name="second"))
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 1885272)
    assert "SGD8.00" in error.body()["error"]["error_user_msg"]
    assert error.api_blame_field_specs() == [["daily_budget"]]


def _start(emu: GraphEmulator, title: str) -> requests.Response:
    return requests.post(
        f"{emu.url}/{VERSION}/{ACT}/advideos",
        data={"access_token": TOKEN, "upload_phase": "start", "file_size": 10, "title": title},
        timeout=10,
    )


def test_a_video_title_must_be_less_than_255_utf16_units(emu: GraphEmulator) -> None:
    assert _start(emu, "t" * 254).status_code == 200
    too_long = _start(emu, "t" * 255)
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == 100
    # 127 emoji are 127 characters but 254 UTF-16 units; one more is over the limit.
    assert _start(emu, "🎬" * 127).status_code == 200
    assert _start(emu, "🎬" * 127 + "t").status_code == 400
