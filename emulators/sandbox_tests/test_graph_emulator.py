"""The Graph API emulator against the real, unmodified facebook_business SDK and raw requests.

Covers the whole video-ad chain (chunked upload -> processing -> thumbnails -> creative ->
campaign -> ad set -> ad -> Advantage+ state), every validation rule with its Meta
code/subcode, auth, routing errors, fault injection, rate-limit headers, batch, paging and
the status machine. A fake clock drives processing/review so nothing sleeps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.advideo import AdVideo
from facebook_business.adobjects.campaign import Campaign
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from sandbox.graph_emulator import Fault, GraphEmulator
from tests.media import META_ACCEPTED_FORMATS, make_test_image, make_test_video

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings

TOKEN = "TEST_TOKEN"
ACT = "act_1234567890"
PAGE = "1122334455"
PIXEL = "5566778899"
IG = "17841400000000000"
VID = "998877665544"
VERSION = "v26.0"
REPO = Path(__file__).resolve().parents[2]


class FakeClock:
    """Settable epoch clock so processing and review advance without sleeping."""

    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[GraphEmulator]:
    with GraphEmulator(clock=clock) as emulator:
        emulator.add_token(TOKEN)
        emulator.add_token("OLD_TOKEN", expired=True)
        emulator.add_account(
            ACT,
            currency="SGD",
            timezone_name="Asia/Singapore",
            page_ids=[PAGE],
            pixel_ids=[PIXEL],
            instagram_user_ids=[IG],
            verified_identity_ids=[VID],
            name="iFLYTEK Singapore",
        )
        emulator.add_account("act_999", currency="MYR", page_ids=["777"], pixel_ids=["888"])
        emulator.video_processing_seconds = 2.0
        emulator.ad_review_seconds = 1.0
        yield emulator


@pytest.fixture
def api(emu: GraphEmulator) -> FacebookAdsApi:
    api = FacebookAdsApi.init(access_token=TOKEN, api_version=VERSION, crash_log=False)
    api._session.GRAPH = emu.url
    return api


@pytest.fixture
def acct(api: FacebookAdsApi) -> AdAccount:
    return AdAccount(ACT)


@pytest.fixture(scope="module")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "ad.mp4"
    return make_test_video(path, seconds=1.0, width=320, height=568, fps=24)


# -- helpers ------------------------------------------------------------------------------


def url(emu: GraphEmulator, path: str) -> str:
    return f"{emu.url}/{VERSION}/{path}"


def post(emu: GraphEmulator, path: str, **data: Any) -> requests.Response:
    data.setdefault("access_token", TOKEN)
    files = data.pop("files", None)
    return requests.post(url(emu, path), data=data, files=files, timeout=10)


def get(emu: GraphEmulator, path: str, **params: Any) -> requests.Response:
    params.setdefault("access_token", TOKEN)
    return requests.get(url(emu, path), params=params, timeout=10)


def chunked_upload(emu: GraphEmulator, data: bytes) -> str:
    start = post(emu, f"{ACT}/advideos", upload_phase="start", file_size=len(data)).json()
    session, video_id = start["upload_session_id"], start["video_id"]
    s, e = int(start["start_offset"]), int(start["end_offset"])
    while s != e:
        reply = post(
            emu,
            f"{ACT}/advideos",
            upload_phase="transfer",
            upload_session_id=session,
            start_offset=s,
            files={"video_file_chunk": ("ad.mp4", data[s:e])},
        ).json()
        s, e = int(reply["start_offset"]), int(reply["end_offset"])
    done = post(emu, f"{ACT}/advideos", upload_phase="finish", upload_session_id=session)
    assert done.json() == {"success": True}
    return str(video_id)


def ready_video(emu: GraphEmulator, clock: FakeClock, video_file: Path) -> str:
    video_id = chunked_upload(emu, video_file.read_bytes())
    clock.advance(emu.video_processing_seconds)
    return video_id


def campaign_params(**over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": "AdBee SG sales",
        "objective": "OUTCOME_SALES",
        "status": "PAUSED",
        "special_ad_categories": [],
        "buying_type": "AUCTION",
        "daily_budget": 5000,
        "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
    }
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def adset_params(campaign_id: str, **over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": "AdBee SG ad set",
        "campaign_id": campaign_id,
        "status": "PAUSED",
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "OFFSITE_CONVERSIONS",
        "promoted_object": {"pixel_id": PIXEL, "custom_event_type": "PURCHASE"},
        "targeting": {
            "geo_locations": {"countries": ["SG"]},
            "targeting_automation": {"advantage_audience": 1},
        },
        "start_time": "2026-11-01T07:00:00+0800",
        "regional_regulated_categories": ["SINGAPORE_UNIVERSAL"],
        "regional_regulation_identities": {
            "singapore_universal_beneficiary": VID,
            "singapore_universal_payer": VID,
        },
    }
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def creative_params(video_id: str, **video_over: Any) -> dict[str, Any]:
    video_data: dict[str, Any] = {
        "video_id": video_id,
        "image_url": "https://cdn.example/thumb.jpg",
        "message": "Translate 60 languages offline.",
        "title": "iFLYTEK Translator",
        "link_description": "Free shipping in SG",
        "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop.example/sg"}},
    }
    video_data.update(video_over)
    video_data = {k: v for k, v in video_data.items() if v is not None}
    return {
        "name": "AdBee creative",
        "object_story_spec": {"page_id": PAGE, "instagram_user_id": IG, "video_data": video_data},
    }


def ad_params(adset_id: str, creative_id: str) -> dict[str, Any]:
    return {
        "name": "AdBee ad",
        "adset_id": adset_id,
        "creative": {"creative_id": creative_id},
        "status": "PAUSED",
    }


def sdk_error(call: Any, *args: Any, **kwargs: Any) -> FacebookRequestError:
    with pytest.raises(FacebookRequestError) as info:
        call(*args, **kwargs)
    return info.value


# -- happy path ---------------------------------------------------------------------------


def test_full_chain_reaches_advantage_plus_sales(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    emu.chunk_size = 8192  # several server-chosen windows for a ~20 KB clip
    data = video_file.read_bytes()
    video_id = chunked_upload(emu, data)
    transfers = [r for r in emu.requests if r.files.get("video_file_chunk")]
    assert len(transfers) == -(-len(data) // 8192)

    status = get(emu, video_id, fields="status,picture").json()
    assert status["status"]["video_status"] == "processing"
    assert "picture" not in status
    assert get(emu, f"{video_id}/thumbnails").json() == {"data": []}
    clock.advance(1.0)
    assert get(emu, video_id, fields="status").json()["status"]["processing_progress"] == 50
    clock.advance(1.0)
    ready = get(emu, video_id, fields="status,length,picture").json()
    assert ready["status"]["video_status"] == "ready"
    assert ready["length"] == pytest.approx(1.0, abs=0.1)
    thumbs = get(emu, f"{video_id}/thumbnails").json()["data"]
    preferred = next(t for t in thumbs if t["is_preferred"])
    assert requests.get(preferred["uri"], timeout=5).headers["Content-Type"] == "image/jpeg"

    creative = acct.create_ad_creative(params=creative_params(video_id, image_url=preferred["uri"]))
    campaign = acct.create_campaign(params=campaign_params(), fields=["name", "effective_status"])
    assert campaign["effective_status"] == "PAUSED" and campaign["name"] == "AdBee SG sales"
    adset = acct.create_ad_set(params=adset_params(campaign["id"]))
    ad = acct.create_ad(params=ad_params(adset["id"], creative["id"]), fields=["effective_status"])
    assert ad["effective_status"] == "PENDING_REVIEW"
    assert all(x["id"].isdigit() for x in (creative, campaign, adset, ad))

    read = Campaign(campaign["id"]).api_get(
        fields=["advantage_state_info", "smart_promotion_type", "daily_budget", "created_time"]
    )
    assert read["advantage_state_info"].export_all_data() == {
        "advantage_state": "ADVANTAGE_PLUS_SALES",
        "advantage_budget_state": "ENABLED",
        "advantage_audience_state": "ENABLED",
        "advantage_placement_state": "ENABLED",
    }
    assert read["smart_promotion_type"] == "GUIDED_CREATION"
    assert read["daily_budget"] == "5000"
    assert read["created_time"].endswith("+0800")

    clock.advance(1.0)
    for object_id in (campaign["id"], adset["id"], ad["id"]):
        assert get(emu, object_id, fields="effective_status").json()["effective_status"] == "PAUSED"
        assert post(emu, object_id, status="ACTIVE").json() == {"success": True}
    assert get(emu, ad["id"], fields="effective_status").json()["effective_status"] == "ACTIVE"
    Campaign(campaign["id"]).api_update(params={"status": "PAUSED"})
    assert AdSet(adset["id"]).api_get(fields=["effective_status"])["effective_status"] == (
        "CAMPAIGN_PAUSED"
    )
    assert get(emu, ad["id"], fields="effective_status").json()["effective_status"] == (
        "CAMPAIGN_PAUSED"
    )
    assert emu.get_object(ad["id"])["creative_id"] == creative["id"]


def test_placement_targeting_disables_advantage_plus(emu: GraphEmulator, acct: AdAccount) -> None:
    campaign = acct.create_campaign(params=campaign_params())
    targeting = {
        "geo_locations": {"countries": ["MY"]},
        "targeting_automation": {"advantage_audience": 1},
        "publisher_platforms": ["facebook"],
    }
    acct.create_ad_set(params=adset_params(campaign["id"], targeting=targeting))
    info = Campaign(campaign["id"]).api_get(fields=["advantage_state_info", "smart_promotion_type"])
    assert info["advantage_state_info"]["advantage_placement_state"] == "DISABLED"
    assert info["advantage_state_info"]["advantage_state"] == "DISABLED"
    assert "smart_promotion_type" not in info


def test_each_advantage_lever_is_reported_on_its_own(emu: GraphEmulator, acct: AdAccount) -> None:
    """Meta's Advantage+ guide: budget on the campaign, Advantage+ audience, no placement limits."""

    def levers(campaign_id: str) -> dict[str, str]:
        return (
            Campaign(campaign_id)
            .api_get(fields=["advantage_state_info"])["advantage_state_info"]
            .export_all_data()
        )

    # Ad-set budget (no campaign budget): the budget lever is off, the others stay on.
    abo = acct.create_campaign(
        params=campaign_params(
            daily_budget=None, bid_strategy=None, is_adset_budget_sharing_enabled=False
        )
    )
    acct.create_ad_set(
        params=adset_params(abo["id"], daily_budget=5000, bid_strategy="LOWEST_COST_WITHOUT_CAP")
    )
    assert levers(abo["id"]) == {
        "advantage_state": "DISABLED",
        "advantage_budget_state": "DISABLED",
        "advantage_audience_state": "ENABLED",
        "advantage_placement_state": "ENABLED",
    }

    # Advantage+ audience off with detailed targeting: only the audience lever is off.
    narrow = acct.create_campaign(params=campaign_params())
    targeting = {
        "geo_locations": {"countries": ["SG"]},
        "targeting_automation": {"advantage_audience": 0},
        "age_min": 30,
        "age_max": 45,
    }
    acct.create_ad_set(params=adset_params(narrow["id"], targeting=targeting))
    state = levers(narrow["id"])
    assert state["advantage_audience_state"] == "DISABLED"
    assert (state["advantage_budget_state"], state["advantage_placement_state"]) == (
        "ENABLED",
        "ENABLED",
    )

    # An edit in Ads Manager that restricts placements flips the classification on the next read.
    full = acct.create_campaign(params=campaign_params())
    adset = acct.create_ad_set(params=adset_params(full["id"]))
    assert levers(full["id"])["advantage_state"] == "ADVANTAGE_PLUS_SALES"
    emu.edit_object(
        adset["id"],
        targeting={
            "geo_locations": {"countries": ["SG"]},
            "targeting_automation": {"advantage_audience": 1},
            "device_platforms": ["mobile"],
        },
    )
    assert levers(full["id"])["advantage_placement_state"] == "DISABLED"
    assert levers(full["id"])["advantage_state"] == "DISABLED"


def test_sdk_advideo_chunked_upload_and_wait(
    emu: GraphEmulator,
    clock: FakeClock,
    api: FacebookAdsApi,
    video_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AdVideo.remote_create always goes chunked to the hard-coded graph-video host."""
    import facebook_business.video_uploader as uploader

    def send(self: Any, path: Any) -> Any:
        return self._api.call(
            "POST", path, params=self._params, files=self._files, url_override=emu.url
        )

    monkeypatch.setattr(uploader.VideoUploadRequest, "send", send)
    emu.chunk_size = 10_000
    emu.video_processing_seconds = 0
    video = AdVideo(parent_id=ACT)
    video[AdVideo.Field.filepath] = str(video_file)
    video.remote_create()
    video.waitUntilEncodingReady(interval=0.01, timeout=2)
    stored = emu.get_object(video["id"])
    assert stored["video_status"] == "ready" and stored["title"] == "ad.mp4"


def test_sdk_simple_upload_and_413_for_oversized(
    emu: GraphEmulator, acct: AdAccount, video_file: Path
) -> None:
    video = acct.create_ad_video(params={"source": str(video_file), "title": "simple"})
    assert emu.get_object(video["id"])["title"] == "simple"
    emu.max_simple_upload_bytes = 1000
    reply = post(emu, f"{ACT}/advideos", files={"source": ("big.mp4", b"x" * 2000)})
    assert reply.status_code == 413 and reply.content == b""


def test_chunk_offset_mismatch_gives_resume_window(emu: GraphEmulator, video_file: Path) -> None:
    emu.chunk_size = 10_000
    data = video_file.read_bytes()
    start = post(emu, f"{ACT}/advideos", upload_phase="start", file_size=len(data)).json()
    assert start["start_offset"] == "0" and start["end_offset"] == "10000"
    bad = post(
        emu,
        f"{ACT}/advideos",
        upload_phase="transfer",
        upload_session_id=start["upload_session_id"],
        start_offset=5000,
        files={"video_file_chunk": ("ad.mp4", data[5000:10000])},
    )
    error = bad.json()["error"]
    assert error["error_subcode"] == 1363037
    assert error["error_data"] == {"start_offset": "0", "end_offset": "10000"}
    early = post(
        emu, f"{ACT}/advideos", upload_phase="finish", upload_session_id=start["upload_session_id"]
    )
    assert early.json()["error"]["code"] == 6001


def test_garbage_upload_ends_in_processing_error(emu: GraphEmulator, clock: FakeClock) -> None:
    video_id = post(emu, f"{ACT}/advideos", files={"source": ("x.mp4", b"not a video")}).json()[
        "id"
    ]
    clock.advance(5)
    status = get(emu, video_id, fields="status").json()["status"]
    assert status["video_status"] == "error"
    assert status["processing_phase"]["errors"][0]["message"]


@pytest.mark.parametrize("name", sorted(META_ACCEPTED_FORMATS))
def test_processing_takes_every_format_on_metas_list(
    emu: GraphEmulator, clock: FakeClock, tmp_path: Path, name: str
) -> None:
    """Meta's upload formats (MKV, WebM, AVI, TS, 3GP, GIF, ProRes/MJPEG MOV, AV1) are processed."""
    kwargs = META_ACCEPTED_FORMATS[name]
    data = make_test_video(tmp_path / name, **kwargs).read_bytes()  # type: ignore[arg-type]
    video_id = chunked_upload(emu, data)
    clock.advance(emu.video_processing_seconds)
    node = get(emu, video_id, fields="status,length,format").json()
    assert node["status"]["video_status"] == "ready", node
    assert node["length"] == pytest.approx(1.0, abs=0.05)
    size = (node["format"][0]["width"], node["format"][0]["height"])
    assert size == (kwargs.get("width", 360), kwargs.get("height", 640))


def test_processing_refuses_what_is_not_a_video_format_meta_lists(
    emu: GraphEmulator, clock: FakeClock, tmp_path: Path
) -> None:
    from sandbox.graph_emulator.media import THUMBNAIL_JPEG

    mxf = make_test_video(tmp_path / "master.mxf", codec="mpeg2video", container="mxf")
    for name, data in (("still.jpg", THUMBNAIL_JPEG), ("master.mxf", mxf.read_bytes())):
        video_id = post(emu, f"{ACT}/advideos", files={"source": (name, data)}).json()["id"]
        clock.advance(emu.video_processing_seconds)
        status = get(emu, video_id, fields="status").json()["status"]
        assert status["video_status"] == "error", name


def test_fail_video_processing_next(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    emu.fail_video_processing_next = True
    video_id = ready_video(emu, clock, video_file)
    assert get(emu, video_id, fields="status").json()["status"]["video_status"] == "error"
    assert emu.fail_video_processing_next is False
    error = sdk_error(acct.create_ad_creative, params=creative_params(video_id))
    assert error.api_error_code() == 100


# -- campaign validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "code", "subcode", "fragment"),
    [
        ({"special_ad_categories": None}, 100, None, "special_ad_categories is required"),
        ({"name": None}, 100, None, "name is required"),
        ({"objective": "CONVERSIONS"}, 100, None, "Invalid parameter"),
        ({"objective": "SALES"}, 100, None, "must be one of"),
        ({"status": "ARCHIVED"}, 100, None, "must be one of"),
        ({"smart_promotion_type": "AUTOMATED_SHOPPING_ADS"}, 100, None, "Invalid parameter"),
        ({"existing_customer_budget_percentage": 20}, 100, None, "Invalid parameter"),
        ({"daily_budget": "12.50"}, 100, None, "integer"),
        ({"special_ad_categories": ["CARS"]}, 100, None, "special_ad_categories[0]"),
        ({"daily_budget": None, "bid_strategy": None}, 100, 4834011, "Invalid parameter"),
    ],
)
def test_campaign_validation(
    acct: AdAccount, over: dict[str, Any], code: int, subcode: int | None, fragment: str
) -> None:
    error = sdk_error(acct.create_campaign, params=campaign_params(**over))
    assert (error.api_error_code(), error.api_error_subcode()) == (code, subcode)
    assert fragment in error.api_error_message()
    assert error.http_status() == 400


def test_budget_too_low_per_currency(emu: GraphEmulator, acct: AdAccount) -> None:
    error = sdk_error(acct.create_campaign, params=campaign_params(daily_budget=134))
    assert error.api_error_subcode() == 1885272
    assert error.body()["error"]["error_user_title"] == "Budget Too Low"
    assert "SGD1.35" in error.body()["error"]["error_user_msg"]
    assert acct.create_campaign(params=campaign_params(daily_budget=135))["id"]
    emu.min_daily_budgets["SGD"] = 1000
    assert sdk_error(acct.create_campaign, params=campaign_params(daily_budget=999))
    minimums = acct.get_minimum_budgets()
    assert minimums[0]["currency"] == "SGD" and minimums[0]["min_daily_budget_imp"] == 1000


def test_validate_only_creates_nothing(emu: GraphEmulator, acct: AdAccount) -> None:
    reply = acct.create_campaign(params=campaign_params(execution_options=["validate_only"]))
    assert reply.get("id") is None
    assert emu.objects("campaign") == []


# -- ad set validation --------------------------------------------------------------------


@pytest.fixture
def cbo_campaign(acct: AdAccount) -> str:
    return str(acct.create_campaign(params=campaign_params())["id"])


EU_TARGETING = {
    "geo_locations": {"countries": ["DE"]},
    "targeting_automation": {"advantage_audience": 1},
}


@pytest.mark.parametrize(
    ("over", "subcode", "fragment"),
    [
        ({"name": None}, None, "name is required"),
        ({"targeting": None}, None, "targeting is required"),
        ({"billing_event": "BANANAS"}, None, "must be one of"),
        ({"campaign_id": "424242"}, 33, "does not exist"),
        ({"daily_budget": 5000}, 1885621, "Invalid parameter"),
        ({"existing_customer_budget_percentage": 30}, None, "Invalid parameter"),
        (
            {"targeting": {"geo_locations": {"countries": ["SG"]}}},
            1870227,
            "Invalid parameter",
        ),
        ({"regional_regulated_categories": None}, 3858550, "Invalid parameter"),
        (
            {
                "regional_regulation_identities": {
                    "singapore_universal_beneficiary": "111",
                    "singapore_universal_payer": VID,
                }
            },
            3858550,
            "Invalid parameter",
        ),
        (
            {"promoted_object": {"pixel_id": "123", "custom_event_type": "PURCHASE"}},
            None,
            "Invalid",
        ),
        ({"promoted_object": {"pixel_id": PIXEL, "custom_event_type": "ADD_TO_CART"}}, None, "Inv"),
        ({"start_time": "2026-11-01T07:00:00"}, None, "Invalid parameter"),
        ({"end_time": "2026-10-01T07:00:00+0800"}, None, "Invalid parameter"),
        ({"targeting": {"geo_locations": {}}}, None, "Invalid parameter"),
    ],
)
def test_adset_validation(
    acct: AdAccount, cbo_campaign: str, over: dict[str, Any], subcode: int | None, fragment: str
) -> None:
    params = {**adset_params(cbo_campaign), **over}
    params = {k: v for k, v in params.items() if v is not None}
    error = sdk_error(acct.create_ad_set, params=params)
    assert (error.api_error_code(), error.api_error_subcode()) == (100, subcode)
    assert fragment in error.api_error_message()


def test_adset_in_other_account_campaign_is_33(emu: GraphEmulator, acct: AdAccount) -> None:
    other = post(
        emu,
        "act_999/campaigns",
        **{k: json.dumps(v) if isinstance(v, list) else v for k, v in campaign_params().items()},
    ).json()["id"]
    error = sdk_error(acct.create_ad_set, params=adset_params(other))
    assert error.api_error_subcode() == 33


def test_dsa_errors_carry_blame_specs_as_json_string(acct: AdAccount, cbo_campaign: str) -> None:
    error = sdk_error(acct.create_ad_set, params=adset_params(cbo_campaign, targeting=EU_TARGETING))
    assert error.api_error_subcode() == 3858081
    assert error.api_error_type() == "FacebookApiException"
    assert isinstance(error.body()["error"]["error_data"], str)
    assert error.api_blame_field_specs() == [["dsa_beneficiary"]]
    error = sdk_error(
        acct.create_ad_set,
        params=adset_params(cbo_campaign, targeting=EU_TARGETING, dsa_beneficiary="iFLYTEK"),
    )
    assert error.api_error_subcode() == 3858079
    ok = acct.create_ad_set(
        params=adset_params(
            cbo_campaign, targeting=EU_TARGETING, dsa_beneficiary="iFLYTEK", dsa_payor="iFLYTEK"
        )
    )
    assert ok["id"]


def test_default_bid_strategy_trap_needs_bid_amount(acct: AdAccount) -> None:
    campaign = acct.create_campaign(params=campaign_params(bid_strategy=None))
    error = sdk_error(acct.create_ad_set, params=adset_params(campaign["id"]))
    assert error.api_error_subcode() == 1815857
    assert acct.create_ad_set(params=adset_params(campaign["id"], bid_amount=300))["id"]


def test_abo_adset_budget_minimum(acct: AdAccount) -> None:
    campaign = acct.create_campaign(
        params=campaign_params(
            daily_budget=None, bid_strategy=None, is_adset_budget_sharing_enabled=False
        )
    )
    error = sdk_error(acct.create_ad_set, params=adset_params(campaign["id"], daily_budget=100))
    assert error.api_error_subcode() == 1885272
    assert "ad set budget must be more than SGD1.35" in error.body()["error"]["error_user_msg"]
    assert acct.create_ad_set(params=adset_params(campaign["id"], daily_budget=200))["id"]


# -- creative / ad validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "subcode", "fragment"),
    [
        ({"image_url": None}, 1443226, "Invalid parameter"),
        ({"image_hash": "abc"}, 1443226, "Invalid parameter"),
        ({"link": "https://shop.example"}, None, 'Invalid keys "link"'),
        ({"description": "x"}, None, 'Invalid keys "description"'),
        (
            {"call_to_action": {"type": "SHOP_NOWW", "value": {"link": "https://a.b"}}},
            None,
            "one of",
        ),
        ({"call_to_action": {"type": "SHOP_NOW", "value": {"link": "shop.example"}}}, None, "Inv"),
        ({"call_to_action": {"type": "SHOP_NOW"}}, None, "Invalid parameter"),
    ],
)
def test_creative_validation(
    emu: GraphEmulator,
    clock: FakeClock,
    acct: AdAccount,
    video_file: Path,
    over: dict[str, Any],
    subcode: int | None,
    fragment: str,
) -> None:
    video_id = ready_video(emu, clock, video_file)
    error = sdk_error(acct.create_ad_creative, params=creative_params(video_id, **over))
    assert (error.api_error_code(), error.api_error_subcode()) == (100, subcode)
    assert fragment in error.api_error_message()


def test_creative_identity_page_and_video_rules(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = chunked_upload(emu, video_file.read_bytes())
    not_ready = sdk_error(acct.create_ad_creative, params=creative_params(video_id))
    assert not_ready.body()["error"]["error_user_title"] == "Video Not Ready"
    clock.advance(2)
    params = creative_params(video_id)
    params["object_story_spec"]["instagram_actor_id"] = IG
    assert (
        "instagram_actor_id"
        in sdk_error(acct.create_ad_creative, params=params).api_error_message()
    )
    params = creative_params(video_id)
    params["object_story_spec"]["page_id"] = "777"
    assert sdk_error(acct.create_ad_creative, params=params).api_error_code() == 100
    params = creative_params("31337")
    assert sdk_error(acct.create_ad_creative, params=params).api_error_code() == 100
    image = post(
        emu, f"{ACT}/adimages", files={"thumb.jpg": ("thumb.jpg", make_test_image())}
    ).json()
    digest = image["images"]["thumb.jpg"]["hash"]
    ok = acct.create_ad_creative(
        params=creative_params(video_id, image_url=None, image_hash=digest)
    )
    assert ok["id"]
    changed = post(emu, ok["id"], body="new").json()["error"]
    assert changed["error_user_title"] == "Creative Can't Be Edited"
    assert post(emu, ok["id"], name="renamed").json() == {"success": True}


def test_ad_validation(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, cbo_campaign: str, video_file: Path
) -> None:
    adset = acct.create_ad_set(params=adset_params(cbo_campaign))
    creative = acct.create_ad_creative(params=creative_params(ready_video(emu, clock, video_file)))
    base = {"name": "ad", "adset_id": adset["id"], "creative": {"creative_id": creative["id"]}}
    assert sdk_error(acct.create_ad, params={**base, "adset_id": "5"}).api_error_subcode() == 33
    bad_creative = {**base, "creative": {"creative_id": cbo_campaign}}
    assert sdk_error(acct.create_ad, params=bad_creative).api_error_subcode() == 33
    assert (
        "must be one of"
        in sdk_error(acct.create_ad, params={**base, "status": "DELETED"}).api_error_message()
    )
    assert (
        "name is required"
        in sdk_error(
            acct.create_ad, params={k: v for k, v in base.items() if k != "name"}
        ).api_error_message()
    )


# -- auth and routing ---------------------------------------------------------------------


def test_tokens_and_appsecret_proof(emu: GraphEmulator) -> None:
    bad = get(emu, ACT, access_token="nope").json()["error"]
    assert (bad["code"], bad["error_subcode"], bad["type"]) == (190, 467, "OAuthException")
    expired = get(emu, ACT, access_token="OLD_TOKEN").json()["error"]
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    missing = requests.get(url(emu, ACT), timeout=5).json()["error"]
    assert missing["code"] == 104
    header = requests.get(url(emu, ACT), headers={"Authorization": f"OAuth {TOKEN}"}, timeout=5)
    assert header.json()["id"] == ACT

    emu.app_secret = "s3cret"
    assert "appsecret_proof" in get(emu, ACT).json()["error"]["message"]
    wrong = get(emu, ACT, appsecret_proof="00").json()["error"]
    assert (wrong["code"], wrong["type"]) == (100, "GraphMethodException")
    api = FacebookAdsApi.init(
        app_secret="s3cret", access_token=TOKEN, api_version=VERSION, crash_log=False
    )
    api._session.GRAPH = emu.url
    assert AdAccount(ACT).api_get(fields=["currency"])["currency"] == "SGD"


def test_unknown_object_field_and_version(emu: GraphEmulator, acct: AdAccount) -> None:
    error = sdk_error(Campaign("4242").api_get, fields=["name"])
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 33)
    assert error.api_error_type() == "GraphMethodException"
    assert error.api_error_message().startswith(
        "Unsupported get request. Object with ID '4242' does not exist"
    )
    assert "Unsupported post request" in post(emu, "4242", name="x").json()["error"]["message"]
    campaign = acct.create_campaign(params=campaign_params())
    error = sdk_error(Campaign(campaign["id"]).api_get, fields=["name", "colour"])
    assert error.api_error_message() == (
        "(#100) Tried accessing nonexisting field (colour) on node type (AdCampaignGroup)"
    )
    old = requests.get(f"{emu.url}/v21.0/{ACT}", params={"access_token": TOKEN}, timeout=5)
    assert old.json()["error"]["code"] == 2635
    assert (
        requests.get(f"{emu.url}/v99.0/{ACT}", params={"access_token": TOKEN}, timeout=5).json()[
            "error"
        ]["code"]
        == 2500
    )
    assert (
        requests.get(f"{emu.url}/{ACT}", params={"access_token": TOKEN}, timeout=5).json()["error"][
            "code"
        ]
        == 2500
    )
    for version in ("v24.0", "v26.0"):
        assert (
            requests.get(
                f"{emu.url}/{version}/{ACT}/", params={"access_token": TOKEN}, timeout=5
            ).headers["facebook-api-version"]
            == version
        )


def _epoch(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def _version_answer(emu: GraphEmulator, version: str) -> dict:
    return requests.get(
        f"{emu.url}/{version}/{ACT}", params={"access_token": TOKEN}, timeout=5
    ).json()


def test_versions_follow_metas_calendar_on_the_emulators_clock(
    emu: GraphEmulator, clock: FakeClock
) -> None:
    """Meta's Marketing API version history: v24.0 expires 2026-11-10, v27.0 out 2026-11-04."""
    clock.t = _epoch("2026-11-09T23:59:00")
    assert "error" not in _version_answer(emu, "v24.0")
    assert "error" not in _version_answer(emu, "v27.0")

    clock.t = _epoch("2026-11-10T00:00:00")
    error = _version_answer(emu, "v24.0")["error"]
    assert error["code"] == 2635 and error["type"] == "OAuthException"
    assert error["message"] == (
        "(#2635) You are calling a deprecated version of the Ads API. "
        "Please update to the latest version: v27.0."
    )
    assert _version_answer(emu, "v22.0")["error"]["code"] == 2635
    assert _version_answer(emu, "v19.0")["error"]["code"] == 2635
    for current in ("v25.0", "v26.0", "v27.0"):
        assert "error" not in _version_answer(emu, current), current
    assert _version_answer(emu, "v28.0")["error"]["code"] == 2500  # not released

    clock.t = _epoch("2026-11-03T12:00:00")
    assert _version_answer(emu, "v27.0")["error"]["code"] == 2500  # released the next day
    clock.t = _epoch("2027-02-23T00:00:00")
    assert _version_answer(emu, "v25.0")["error"]["code"] == 2635


# -- faults and rate limits ---------------------------------------------------------------


def test_transient_fault_then_success(
    emu: GraphEmulator, acct: AdAccount, cbo_campaign: str
) -> None:
    emu.inject(
        Fault(
            code=2,
            times=1,
            path_contains="/adsets",
            method="POST",
            http_status=503,
            is_transient=True,
        )
    )
    error = sdk_error(acct.create_ad_set, params=adset_params(cbo_campaign))
    assert error.api_transient_error() is True and error.http_status() == 503
    assert error.api_error_code() == 2
    assert acct.create_ad_set(params=adset_params(cbo_campaign))["id"]
    assert len(emu.objects("adset")) == 1


def test_a_skipping_fault_lets_the_first_matches_through_then_fires(emu: GraphEmulator) -> None:
    fault = emu.inject(Fault(code=1, skip=2, path_contains=ACT))
    assert [get(emu, ACT).status_code for _ in range(4)] == [200, 200, 500, 200]
    assert (fault.skipped, fault.fired) == (2, 1)


def test_throttle_fault_sets_regain_header(emu: GraphEmulator, acct: AdAccount) -> None:
    emu.inject(Fault(code=80004, subcode=2446079, times=1, regain_minutes=3))
    error = sdk_error(acct.api_get, fields=["name"])
    assert (error.api_error_code(), error.api_error_subcode()) == (80004, 2446079)
    usage = json.loads(error.http_headers()["X-Business-Use-Case-Usage"])
    assert usage["1234567890"][0]["estimated_time_to_regain_access"] == 3
    assert usage["1234567890"][0]["type"] == "ads_management"
    ok = get(emu, ACT, fields="name")
    assert (
        json.loads(ok.headers["X-Business-Use-Case-Usage"])["1234567890"][0][
            "estimated_time_to_regain_access"
        ]
        == 0
    )
    assert {"X-Ad-Account-Usage", "X-App-Usage", "x-fb-trace-id"} <= set(ok.headers)


def test_enforced_regain_blocks_until_time_passes(emu: GraphEmulator, clock: FakeClock) -> None:
    emu.inject(Fault(code=80004, times=1, regain_minutes=1, enforce_regain=True))
    assert get(emu, ACT).json()["error"]["code"] == 80004
    assert get(emu, ACT).json()["error"]["code"] == 80004
    clock.advance(61)
    assert get(emu, ACT).json()["id"] == ACT


def test_rate_fault_is_seeded(emu: GraphEmulator) -> None:
    def run() -> list[int]:
        emu.clear_faults()
        emu.seed(7)
        emu.inject(Fault(code=1, rate=0.3, path_contains=ACT))
        return [get(emu, ACT).status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert 500 in first and 200 in first


def test_drop_connection_applies_the_write(emu: GraphEmulator) -> None:
    emu.inject(Fault(drop_connection=True, times=1, path_contains="/campaigns"))
    params = {k: json.dumps(v) if isinstance(v, list) else v for k, v in campaign_params().items()}
    with pytest.raises(requests.ConnectionError):
        post(emu, f"{ACT}/campaigns", **params)
    assert len(emu.objects("campaign")) == 1  # the create happened: reconcile, don't re-post


def test_empty_body_fault(emu: GraphEmulator) -> None:
    emu.inject(Fault(http_status=413, empty_body=True, path_contains="/advideos"))
    reply = post(emu, f"{ACT}/advideos", files={"source": ("a.mp4", b"x")})
    assert (reply.status_code, reply.content) == (413, b"")


def test_score_limiter_and_mutation_qps(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount
) -> None:
    emu.max_score = 5
    assert get(emu, ACT).status_code == 200
    assert post(emu, "4242", name="x").status_code == 400  # unknown object: no account charge
    acct.create_campaign(params=campaign_params())  # 1 + 3 = 4
    assert get(emu, ACT).status_code == 200  # score 5 == max: still allowed
    blocked = get(emu, ACT)
    assert (blocked.json()["error"]["code"], blocked.json()["error"]["error_subcode"]) == (
        17,
        2446079,
    )
    usage = json.loads(blocked.headers["X-Business-Use-Case-Usage"])["1234567890"][0]
    assert usage["estimated_time_to_regain_access"] == 1
    clock.advance(400)
    assert get(emu, ACT).status_code == 200
    emu.max_score = 9000
    emu.max_mutation_qps = 1
    assert acct.create_campaign(params=campaign_params())["id"]
    error = sdk_error(acct.create_campaign, params=campaign_params())
    assert (error.api_error_code(), error.api_error_subcode()) == (613, 5044001)


# -- batch, paging, status machine --------------------------------------------------------


def test_batch_with_result_substitution(emu: GraphEmulator) -> None:
    body = "&".join(
        f"{k}={requests.utils.quote(json.dumps(v) if isinstance(v, list) else str(v))}"
        for k, v in campaign_params().items()
    )
    batch = [
        {"method": "POST", "relative_url": f"{ACT}/campaigns", "body": body, "name": "camp"},
        {"method": "GET", "relative_url": "{result=camp:$.id}?fields=name,objective"},
        {"method": "GET", "relative_url": "4242"},
    ]
    reply = requests.post(
        f"{emu.url}/{VERSION}/",
        data={"access_token": TOKEN, "batch": json.dumps(batch)},
        timeout=10,
    ).json()
    assert reply[0] is None  # referenced result omitted by default
    assert reply[1]["code"] == 200
    assert json.loads(reply[1]["body"])["objective"] == "OUTCOME_SALES"
    assert reply[2]["code"] == 400 and json.loads(reply[2]["body"])["error"]["error_subcode"] == 33
    assert {"name": "Content-Type", "value": "application/json; charset=UTF-8"} in reply[1][
        "headers"
    ]
    assert [r.via_batch for r in emu.requests].count(True) == 3
    too_many = [{"method": "GET", "relative_url": ACT}] * 51
    error = requests.post(
        f"{emu.url}/{VERSION}/",
        data={"access_token": TOKEN, "batch": json.dumps(too_many)},
        timeout=10,
    ).json()["error"]
    assert error["code"] == 100


def _batch(emu: GraphEmulator, items: list[dict[str, Any]], **extra: str) -> list[Any]:
    return list(
        requests.post(
            f"{emu.url}/{VERSION}/",
            data={"access_token": TOKEN, "batch": json.dumps(items), **extra},
            timeout=10,
        ).json()
    )


def _new_campaign(emu: GraphEmulator, name: str) -> str:
    return str(post(emu, f"{ACT}/campaigns", **_form(campaign_params(name=name))).json()["id"])


def _form(params: dict[str, Any]) -> dict[str, str]:
    return {k: json.dumps(v) if isinstance(v, list | dict) else str(v) for k, v in params.items()}


def test_each_batch_operation_counts_against_the_mutation_limit(emu: GraphEmulator) -> None:
    """Batch Requests, Limitations: "Each call within the batch is counted separately" (§6)."""
    ids = [_new_campaign(emu, f"c{i}") for i in range(4)]
    emu.max_mutation_qps = 3
    items = [{"method": "POST", "relative_url": i, "body": "name=renamed"} for i in ids]
    reply = _batch(emu, items, include_headers="false")
    codes = [json.loads(item["body"]).get("error", {}).get("error_subcode") for item in reply]
    assert codes == [None, None, None, 5044001]
    assert all("headers" not in item for item in reply)  # include_headers=false


def test_depends_on_runs_an_operation_only_after_its_dependency_succeeded(
    emu: GraphEmulator,
) -> None:
    campaign = _new_campaign(emu, "chain")
    items = [
        {"method": "POST", "relative_url": "4242", "body": "status=ACTIVE", "name": "ad"},
        {"method": "POST", "relative_url": campaign, "body": "status=ACTIVE", "depends_on": "ad"},
    ]
    first, second = _batch(emu, items)
    assert first["code"] == 400 and second["code"] == 400
    assert "depends on operation" in json.loads(second["body"])["error"]["message"]
    assert emu.get_object(campaign)["status"] == "PAUSED"  # type: ignore[index]


def test_a_dropped_operation_answers_null_after_meta_applied_it(emu: GraphEmulator) -> None:
    """Items hit by a dropped connection come back null (§6); a write inside was applied."""
    campaign = _new_campaign(emu, "lost")
    emu.inject(Fault(drop_connection=True, times=1, method="POST", path_contains=f"/{campaign}"))
    reply = _batch(emu, [{"method": "POST", "relative_url": campaign, "body": "name=seen"}])
    assert reply == [None]
    assert emu.get_object(campaign)["name"] == "seen"  # type: ignore[index]


def test_an_active_ad_set_with_a_future_start_reads_active_and_delivers_nothing_before_it(
    emu: GraphEmulator, clock: FakeClock
) -> None:
    """A scheduled ad set (docs/scheduling.md): ACTIVE everywhere, start_time in an hour.

    The SDK's AdSet.EffectiveStatus has no SCHEDULED, so Meta reads ACTIVE; Ads Manager's
    "Scheduled" is the start time in the future, and nothing is delivered before it.
    """
    campaign = _new_campaign(emu, "armed")
    start = datetime.fromtimestamp(clock() + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    adset = str(
        post(emu, f"{ACT}/adsets", **_form(adset_params(campaign, start_time=start))).json()["id"]
    )
    for node in (adset, campaign):
        assert post(emu, node, status="ACTIVE").json() == {"success": True}
    fields = "effective_status,start_time"
    assert get(emu, adset, fields=fields).json()["effective_status"] == "ACTIVE"
    clock.advance(1800)
    assert emu.get_object(adset)["effective_status"] == "ACTIVE"  # type: ignore[index]
    assert get(emu, f"{campaign}/insights", fields="impressions").json()["data"] == []


def test_sdk_batch(emu: GraphEmulator, api: FacebookAdsApi, acct: AdAccount) -> None:
    results: list[Any] = []
    batch = api.new_batch()
    for i in range(3):
        acct.create_campaign(
            params=campaign_params(name=f"c{i}"),
            batch=batch,
            success=lambda r: results.append(r.json()),
            failure=lambda r: results.append(r.error()),
        )
    acct.create_campaign(
        params=campaign_params(daily_budget=1),
        batch=batch,
        success=results.append,
        failure=lambda r: results.append(r.error()),
    )
    assert batch.execute() is None
    assert [r["id"].isdigit() for r in results[:3]] == [True, True, True]
    assert results[3].api_error_subcode() == 1885272


def test_edge_paging_and_deleted_filtering(emu: GraphEmulator, acct: AdAccount) -> None:
    ids = [acct.create_campaign(params=campaign_params(name=f"c{i}"))["id"] for i in range(5)]
    emu.page_size = 2
    listed = [c["id"] for c in acct.get_campaigns(fields=["name"])]
    assert listed == list(reversed(ids))
    assert sum(1 for r in emu.requests if r.path.endswith("/campaigns") and r.method == "GET") == 3
    Campaign(ids[0]).api_delete()
    assert ids[0] not in [c["id"] for c in acct.get_campaigns()]
    deleted = acct.get_campaigns(params={"effective_status": ["DELETED"]})
    assert [c["id"] for c in deleted] == [ids[0]]
    assert emu.get_object(ids[0])["effective_status"] == "DELETED"
    assert get(emu, ids[0], fields="status").json()["status"] == "DELETED"


def test_review_disapproval_and_status_overrides(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    campaign_id = acct.create_campaign(params=campaign_params(status="ACTIVE"))["id"]
    adset = acct.create_ad_set(params=adset_params(campaign_id, status="ACTIVE"))
    creative = acct.create_ad_creative(params=creative_params(ready_video(emu, clock, video_file)))
    emu.disapprove_next_ad(reason="Your ad makes misleading claims.")
    params = {
        "name": "a",
        "adset_id": adset["id"],
        "creative": {"creative_id": creative["id"]},
        "status": "ACTIVE",
    }
    bad = acct.create_ad(params=params)
    good = acct.create_ad(params=params)
    clock.advance(1)
    fields = "effective_status,ad_review_feedback,issues_info"
    read = get(emu, bad["id"], fields=fields).json()
    assert read["effective_status"] == "DISAPPROVED"
    assert read["ad_review_feedback"]["global"] == {
        "Unacceptable Business Practices": "Your ad makes misleading claims."
    }
    assert read["issues_info"][0]["error_message"] == "Your ad makes misleading claims."
    assert get(emu, good["id"], fields=fields).json() == {
        "effective_status": "ACTIVE",
        "id": good["id"],
    }
    AdSet(adset["id"]).api_update(params={"status": "PAUSED"})
    assert get(emu, good["id"], fields="effective_status").json()["effective_status"] == (
        "ADSET_PAUSED"
    )
    emu.set_status(
        good["id"],
        effective_status="WITH_ISSUES",
        issues_info=[
            {"level": "AD", "error_code": 1815869, "error_summary": "Ad post is not available"}
        ],
    )
    assert get(emu, good["id"], fields=fields).json()["issues_info"][0]["error_code"] == 1815869
    Campaign(campaign_id).api_delete()
    assert emu.objects("ad") == []
    assert len(emu.objects("ad", include_deleted=True)) == 2


def test_a_placement_disapproval_reads_back_in_the_sdks_placement_specific_shape(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    """SDK ``AdgroupReviewFeedback``: placement_specific is {placement: {policy: reason}}."""
    from facebook_business.adobjects.ad import Ad
    from facebook_business.adobjects.adgroupplacementspecificreviewfeedback import (
        AdgroupPlacementSpecificReviewFeedback,
    )

    campaign_id = acct.create_campaign(params=campaign_params())["id"]
    adset = acct.create_ad_set(params=adset_params(campaign_id))
    creative = acct.create_ad_creative(params=creative_params(ready_video(emu, clock, video_file)))
    with pytest.raises(ValueError, match="placement must be one of"):
        emu.disapprove_next_ad(placement="instagram_reels")  # not a review placement
    emu.disapprove_next_ad(
        reason="Ads may not show before-and-after images.",
        policy="Personal Health",
        placement="instagram",
    )
    ad = acct.create_ad(
        params={"name": "a", "adset_id": adset["id"], "creative": {"creative_id": creative["id"]}}
    )
    clock.advance(1)
    read = Ad(ad["id"]).api_get(fields=["effective_status", "ad_review_feedback"])
    feedback = read["ad_review_feedback"]
    assert read["effective_status"] == "DISAPPROVED"
    assert isinstance(feedback["placement_specific"], AdgroupPlacementSpecificReviewFeedback)
    assert feedback.export_all_data() == {
        "placement_specific": {
            "instagram": {"Personal Health": "Ads may not show before-and-after images."}
        }
    }
    assert set(feedback["placement_specific"]) <= set(
        AdgroupPlacementSpecificReviewFeedback._field_types
    )
    for reasons in feedback["placement_specific"].values():
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in reasons.items())


def test_latency_and_reset(emu: GraphEmulator, acct: AdAccount) -> None:
    emu.latency_ms = 60
    began = time.monotonic()
    get(emu, ACT)
    assert time.monotonic() - began >= 0.06
    emu.latency_ms = 0
    acct.create_campaign(params=campaign_params())
    emu.reset()
    assert emu.objects("campaign") == [] and emu.requests == []
    assert get(emu, ACT).status_code == 200  # tokens and accounts survive reset()


def test_cli_with_example_seed(tmp_path: Path) -> None:
    seed = REPO / "emulators" / "sandbox" / "graph_seed.example.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.graph_emulator", "--port", "0", "--seed", str(seed)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "emulators"), str(REPO)])},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.strip().rsplit(" ", 1)[-1]
        reply = requests.get(
            f"{base}/v26.0/act_1234567890",
            params={"access_token": "EMULATOR_TOKEN", "fields": "currency"},
            timeout=5,
        )
        assert reply.json() == {"currency": "SGD", "id": "act_1234567890"}
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_the_example_seed_knows_every_account_of_the_example_accounts_file() -> None:
    """A hand-run CLI or bot reads configs/accounts.yaml; against the standalone emulator started
    with the example seed, every account it names must exist there with its page and pixel
    (``python -m bot create --sheet configs/launches.example.csv`` uses iflytek-my too)."""
    import yaml

    seed = yaml.safe_load((REPO / "emulators/sandbox/graph_seed.example.yaml").read_text())
    accounts = yaml.safe_load((REPO / "configs/accounts.yaml").read_text())["accounts"]
    seeded = {a["id"]: a for a in seed["accounts"]}
    for key, account in accounts.items():
        found = seeded.get(account["ad_account_id"])
        assert found is not None, f"{key}: {account['ad_account_id']} is not in the example seed"
        assert account["page_id"] in found["page_ids"], key
        assert account["pixel_id"] in found["pixel_ids"], key
        assert (found["currency"], found["timezone_name"]) == (
            account["currency"],
            account["timezone"],
        ), key


def test_other_edges_deletes_and_wire_options(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = ready_video(emu, clock, video_file)
    campaign = acct.create_campaign(params=campaign_params())
    adset = acct.create_ad_set(
        params=adset_params(campaign["id"], start_time=str(int(clock.t) + 3600))
    )
    assert get(emu, adset["id"], fields="start_time", date_format="U").json()["start_time"] == (
        int(clock.t) + 3600
    )
    creative = acct.create_ad_creative(params=creative_params(video_id))
    for edge, expected in (
        ("adsets", adset["id"]),
        ("adcreatives", creative["id"]),
        ("advideos", video_id),
    ):
        assert [x["id"] for x in get(emu, f"{ACT}/{edge}").json()["data"]] == [expected]
    assert [x["id"] for x in get(emu, f"{campaign['id']}/adsets").json()["data"]] == [adset["id"]]

    tw = adset_params(
        campaign["id"],
        targeting={
            "geo_locations": {"countries": ["TW"]},
            "targeting_automation": {"advantage_audience": 0},
        },
    )
    assert sdk_error(acct.create_ad_set, params=tw).api_error_subcode() == 3858498

    gone = requests.delete(
        url(emu, f"{ACT}/advideos"), params={"access_token": TOKEN, "video_id": video_id}, timeout=5
    )
    assert gone.json() == {"success": True}
    assert emu.objects("advideo") == []

    hidden = get(emu, "4242", suppress_http_code="1")
    assert hidden.status_code == 200 and hidden.json()["error"]["error_subcode"] == 33
    assert get(emu, adset["id"], method="delete").json() == {"success": True}
    assert emu.get_object(adset["id"])["effective_status"] == "DELETED"

    emu.in_process_seconds = 5
    fresh = acct.create_campaign(params=campaign_params(), fields=["effective_status"])
    assert fresh["effective_status"] == "IN_PROCESS"
    clock.advance(5)
    assert get(emu, fresh["id"], fields="effective_status").json()["effective_status"] == "PAUSED"

    broken = requests.post(
        url(emu, f"{ACT}/campaigns"),
        data=b"--x\r\nno-headers",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=5,
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == 100
    assert emu.requests[-1].status == 400


def test_fault_paths_match_whole_segments_and_threads_are_safe(
    emu: GraphEmulator, acct: AdAccount, cbo_campaign: str
) -> None:
    fault = emu.inject(Fault(code=1, times=1, path_contains="/ads", method="POST"))
    assert acct.create_ad_set(params=adset_params(cbo_campaign))["id"]  # /adsets untouched
    assert fault.fired == 0

    params = {k: json.dumps(v) if isinstance(v, list) else v for k, v in campaign_params().items()}
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(
            pool.map(lambda _: post(emu, f"{ACT}/campaigns", **params).json(), range(24))
        )
    ids = {r["id"] for r in replies}
    assert len(ids) == 24 and len(emu.objects("campaign")) == 25


def test_ad_previews_per_placement_and_the_shareable_link(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    from facebook_business.adobjects.ad import Ad
    from facebook_business.adobjects.adpreview import AdPreview

    from sandbox.graph_emulator import schema

    # The emulator's table is the SDK's generated enum, not a hand-copied list.
    sdk_formats = {v for k, v in vars(AdPreview.AdFormat).items() if not k.startswith("_")}
    assert sdk_formats == schema.AD_PREVIEW_FORMATS
    video_id = ready_video(emu, clock, video_file)
    thumb = get(emu, f"{video_id}/thumbnails").json()["data"][0]["uri"]
    creative = acct.create_ad_creative(params=creative_params(video_id, image_url=thumb))
    campaign = acct.create_campaign(params=campaign_params())
    adset = acct.create_ad_set(params=adset_params(campaign["id"]))
    ad = acct.create_ad(params=ad_params(adset["id"], creative["id"]))
    link = Ad(ad["id"]).api_get(fields=["preview_shareable_link"])["preview_shareable_link"]
    assert link.startswith("https://")
    bodies = {}
    for ad_format in ("MOBILE_FEED_STANDARD", "INSTAGRAM_REELS", "INSTAGRAM_STORY"):
        previews = Ad(ad["id"]).get_previews(params={"ad_format": ad_format})
        bodies[ad_format] = previews[0]["body"]
        assert bodies[ad_format].startswith('<iframe src="https://')
    assert len(set(bodies.values())) == 3, "one preview per placement"
    creative_preview = get(emu, f"{creative['id']}/previews", ad_format="INSTAGRAM_STORY")
    assert "<iframe" in creative_preview.json()["data"][0]["body"]

    missing = get(emu, f"{ad['id']}/previews").json()["error"]
    assert missing["code"] == 100 and "ad_format is required" in missing["message"]
    wrong = get(emu, f"{ad['id']}/previews", ad_format="REELS").json()["error"]
    assert wrong["code"] == 100 and "must be one of" in wrong["message"]
    assert "INSTAGRAM_REELS" in wrong["message"]


def test_a_fault_turns_an_enhancement_back_on_after_creation(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> None:
    video_id = ready_video(emu, clock, video_file)
    thumb = get(emu, f"{video_id}/thumbnails").json()["data"][0]["uri"]
    params = creative_params(video_id, image_url=thumb)
    params["degrees_of_freedom_spec"] = {
        "creative_features_spec": {"text_optimizations": {"enroll_status": "OPT_OUT"}}
    }
    params["contextual_multi_ads"] = {"enroll_status": "OPT_OUT"}
    creative = acct.create_ad_creative(params=params)["id"]
    emu.flip_enhancement_on(creative, "text_optimizations", multi_advertiser=True)
    read = get(emu, creative, fields="degrees_of_freedom_spec,contextual_multi_ads").json()
    features = read["degrees_of_freedom_spec"]["creative_features_spec"]
    assert features["text_optimizations"] == {"enroll_status": "OPT_IN"}
    assert read["contextual_multi_ads"] == {"enroll_status": "OPT_IN"}
    with pytest.raises(KeyError):
        emu.flip_enhancement_on(video_id, "music")
    with pytest.raises(ValueError, match="flip"):
        emu.flip_enhancement_on(creative)
