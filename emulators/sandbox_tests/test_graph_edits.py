"""The rules Meta applies to edits of live objects, as the Graph emulator enforces them.

An agency's edits ("raise the budget", "extend it a week", "fix the text") hit these rules; AdBee's
edit service is tested against them, so each is checked here first, through the real SDK or raw
requests (sources in emulators/docs/platform-facts.md §4a).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign

from sandbox.graph_emulator import GraphEmulator
from sandbox_tests.test_graph_emulator import (  # the emulator fixtures and request helpers
    ACT,
    TOKEN,
    VERSION,
    FakeClock,
    acct,
    ad_params,
    adset_params,
    api,
    campaign_params,
    chunked_upload,
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


@pytest.fixture
def cbo(acct: AdAccount) -> tuple[str, str]:
    """A campaign with its budget on the campaign (CBO) and one ad set under it."""
    campaign = str(acct.create_campaign(params=campaign_params())["id"])
    adset = str(acct.create_ad_set(params=adset_params(campaign))["id"])
    return campaign, adset


def _error(emu: GraphEmulator, path: str, **data: Any) -> dict[str, Any]:
    body = post(emu, path, **data).json()
    assert "error" in body, body
    return dict(body["error"])


# -- creatives are immutable ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        {"object_story_spec": json.dumps({"page_id": "1122334455", "video_data": {}})},
        {"url_tags": "utm_source=meta"},
        {"body": "A fixed typo"},
        {"title": "New headline"},
    ],
)
def test_a_creative_s_content_cannot_be_changed(
    emu: GraphEmulator,
    clock: FakeClock,
    acct: AdAccount,
    video_file: Path,
    content: dict[str, Any],
) -> None:
    creative = acct.create_ad_creative(params=creative_params(ready_video(emu, clock, video_file)))
    error = _error(emu, creative["id"], **content)
    assert error["error_user_title"] == "Creative Can't Be Edited"
    with_validate_only = _error(
        emu, creative["id"], execution_options=json.dumps(["validate_only"]), **content
    )
    assert with_validate_only["error_user_title"] == "Creative Can't Be Edited"
    assert post(emu, creative["id"], name="renamed").json() == {"success": True}


def test_a_new_creative_is_swapped_into_the_ad_instead(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, cbo: tuple[str, str], video_file: Path
) -> None:
    video = ready_video(emu, clock, video_file)
    old = acct.create_ad_creative(params=creative_params(video))["id"]
    ad = acct.create_ad(params=ad_params(cbo[1], old))["id"]
    new = acct.create_ad_creative(params=creative_params(video, message="A fixed typo"))["id"]
    assert post(emu, ad, creative=json.dumps({"creative_id": new})).json() == {"success": True}
    assert emu.get_object(ad)["creative_id"] == new
    assert emu.get_object(ad)["effective_status"] == "PENDING_REVIEW"
    assert emu.get_object(old)["status"] == "ACTIVE"  # Meta keeps the old creative


def test_a_new_video_is_no_creative_until_meta_processed_it_even_when_only_validated(
    emu: GraphEmulator, acct: AdAccount, video_file: Path
) -> None:
    """An edit's new video: its creative (validated or made) waits for ``status.video_status``
    ``ready`` (meta-api.md §10.4; Meta answers "Video Not Ready" meanwhile)."""
    video = chunked_upload(emu, video_file.read_bytes())  # still processing
    for extra in ({"execution_options": json.dumps(["validate_only"])}, {}):
        params = {
            k: json.dumps(v) if isinstance(v, dict) else v
            for k, v in creative_params(video).items()
        }
        error = _error(emu, f"{ACT}/adcreatives", **params, **extra)
        assert "still processing" in str(error.get("error_user_msg")), error
    assert emu.objects("adcreative") == []


def test_a_creative_an_ad_shows_cannot_be_deleted_until_the_ad_is_switched_back(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, cbo: tuple[str, str], video_file: Path
) -> None:
    """The undo of an edit points each ad back first, then deletes the unused new creative:
    Meta refuses to delete a creative "currently in use for existing adgroups" (a public
    report, facebook-php-business-sdk#385)."""
    video = ready_video(emu, clock, video_file)
    old = acct.create_ad_creative(params=creative_params(video))["id"]
    new = acct.create_ad_creative(params=creative_params(video, message="A fixed typo"))["id"]
    ad = acct.create_ad(params=ad_params(cbo[1], new))["id"]
    refused = requests.delete(
        f"{emu.url}/{VERSION}/{new}", params={"access_token": TOKEN}, timeout=10
    ).json()
    assert "in use" in str(refused["error"]["message"]), refused
    assert post(emu, ad, creative=json.dumps({"creative_id": old})).json() == {"success": True}
    done = requests.delete(
        f"{emu.url}/{VERSION}/{new}", params={"access_token": TOKEN}, timeout=10
    ).json()
    assert done == {"success": True}


# -- budgets ----------------------------------------------------------------------------------


def test_a_cbo_budget_lives_on_the_campaign_only(emu: GraphEmulator, cbo: tuple[str, str]) -> None:
    campaign, adset = cbo
    refused = sdk_error(AdSet(adset).api_update, params={"daily_budget": 8000})
    assert (refused.api_error_code(), refused.api_error_subcode()) == (100, 1885621)
    also_when_validating = _error(
        emu, adset, daily_budget=8000, execution_options=json.dumps(["validate_only"])
    )
    assert also_when_validating["error_subcode"] == 1885621
    Campaign(campaign).api_update(params={"daily_budget": 8000})
    assert emu.get_object(campaign)["daily_budget"] == 8000


def test_a_budget_changes_at_most_four_times_an_hour(
    emu: GraphEmulator, clock: FakeClock, cbo: tuple[str, str]
) -> None:
    campaign = cbo[0]
    for amount in (6000, 7000, 8000, 9000):
        assert post(emu, campaign, daily_budget=amount).json() == {"success": True}
        clock.advance(60)
    fifth = _error(emu, campaign, daily_budget=10000)
    assert (fifth["code"], fifth["error_subcode"]) == (613, 1487632)
    validated = _error(
        emu, campaign, daily_budget=10000, execution_options=json.dumps(["validate_only"])
    )
    assert validated["error_subcode"] == 1487632
    assert emu.get_object(campaign)["daily_budget"] == 9000
    assert post(emu, campaign, daily_budget=9000).json() == {"success": True}  # not a change
    assert post(emu, campaign, name="renamed").json() == {"success": True}
    clock.advance(3600 - 4 * 60 + 1)  # the first change is now more than an hour old
    assert post(emu, campaign, daily_budget=10000).json() == {"success": True}


def test_validating_a_budget_change_does_not_count_as_one(
    emu: GraphEmulator, cbo: tuple[str, str]
) -> None:
    campaign = cbo[0]
    for amount in (6000, 7000, 8000, 9000, 9500, 9900):
        checked = post(
            emu, campaign, daily_budget=amount, execution_options=json.dumps(["validate_only"])
        )
        assert checked.json() == {"success": True}
    assert post(emu, campaign, daily_budget=6000).json() == {"success": True}


# -- end times ---------------------------------------------------------------------------------


def test_an_end_time_must_be_after_the_start_and_in_the_future(
    emu: GraphEmulator, clock: FakeClock, cbo: tuple[str, str]
) -> None:
    adset = cbo[1]  # starts 2026-11-01 07:00 +08:00; the clock reads 2026-09-21
    before_start = _error(emu, adset, end_time="2026-10-30T07:00:00+0800")
    assert before_start["error_user_title"] == "End Time Before Start Time"
    clock.t = 1_794_000_000.0  # 2026-11-06
    past = _error(emu, adset, end_time="2026-11-05T07:00:00+0800")
    assert past["error_user_title"] == "End Time In The Past"
    assert past["code"] == 100
    assert post(emu, adset, end_time="2026-11-30T23:59:00+0800").json() == {"success": True}
    campaign_past = _error(emu, cbo[0], stop_time="2026-11-05T07:00:00+0800")
    assert campaign_past["error_user_title"] == "End Time In The Past"


# -- archived and deleted objects --------------------------------------------------------------


@pytest.mark.parametrize("status", ["ARCHIVED", "DELETED"])
def test_archived_or_deleted_objects_refuse_changes(
    emu: GraphEmulator, cbo: tuple[str, str], status: str
) -> None:
    campaign, adset = cbo
    assert post(emu, campaign, status=status).json() == {"success": True}
    budget = _error(emu, campaign, daily_budget=9000)
    assert budget["error_user_title"] == "Can't Edit Archived or Deleted Object"
    validated = _error(
        emu, campaign, daily_budget=9000, execution_options=json.dumps(["validate_only"])
    )
    assert validated["error_user_title"] == "Can't Edit Archived or Deleted Object"
    if status == "DELETED":  # the ad set went with its campaign
        end = _error(emu, adset, end_time="2026-12-30T23:59:00+0800")
        assert end["error_user_title"] == "Can't Edit Archived or Deleted Object"
        assert _error(emu, campaign, status="ACTIVE")["error_user_title"].startswith("Can't Edit")
    assert post(emu, campaign, name="kept for the record").json() == {"success": True}
