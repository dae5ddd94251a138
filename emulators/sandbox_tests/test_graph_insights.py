"""The emulator's Insights edge, read with raw requests and the real SDK.

A campaign goes live on a fake clock; days pass without sleeping; the rows follow its budget and
status history, and every Meta rule the product relies on (paging, async runs, attribution
windows, field validation, the insights throttle) answers the way Graph answers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.campaign import Campaign

from sandbox.graph_emulator import GraphEmulator, InsightsScenario
from sandbox_tests import test_graph_emulator as base
from sandbox_tests.test_graph_emulator import (
    ACT,
    FakeClock,
    adset_params,
    campaign_params,
    creative_params,
    get,
    post,
    ready_video,
)

# The Graph emulator suite's fixtures, shared (same emulator, account and fake clock).
clock, emu, api, acct, video_file = base.clock, base.emu, base.api, base.acct, base.video_file

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
SGT = ZoneInfo("Asia/Singapore")
DAY = 86400.0


def _chain(emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video: Path) -> dict[str, str]:
    """Campaign + ad set + ad, all PAUSED, ad reviewed: ready to go live."""
    video_id = ready_video(emu, clock, video)
    creative = acct.create_ad_creative(params=creative_params(video_id))
    campaign = acct.create_campaign(params=campaign_params())
    start = datetime.fromtimestamp(clock.t, SGT).strftime("%Y-%m-%dT%H:%M:%S%z")
    adset = acct.create_ad_set(params=adset_params(campaign["id"], start_time=start))
    ad = acct.create_ad(
        params={
            "name": "AdBee ad",
            "adset_id": adset["id"],
            "creative": {"creative_id": creative["id"]},
            "status": "PAUSED",
        }
    )
    clock.advance(emu.ad_review_seconds)
    return {"campaign": campaign["id"], "adset": adset["id"], "ad": ad["id"]}


def _go_live(emu: GraphEmulator, ids: dict[str, str]) -> None:
    for key in ("campaign", "adset", "ad"):
        assert post(emu, ids[key], status="ACTIVE").json() == {"success": True}


@pytest.fixture
def chain(
    emu: GraphEmulator,
    clock: FakeClock,
    acct: AdAccount,
    video_file: Path,
) -> dict[str, str]:
    # Start at local midnight so "days" are whole days.
    local = datetime.fromtimestamp(clock.t, SGT)
    clock.t = datetime(local.year, local.month, local.day, tzinfo=SGT).timestamp() + DAY
    return _chain(emu, clock, acct, video_file)


def _days(clock: FakeClock, back: int, forward: int = 0) -> str:
    today = datetime.fromtimestamp(clock.t, SGT).date()
    since = today - timedelta(days=back)
    return json.dumps(
        {"since": since.isoformat(), "until": (today + timedelta(forward)).isoformat()}
    )


FIELDS = "campaign_id,spend,impressions,reach,clicks,ctr,actions,action_values"


def test_campaign_that_never_ran_has_no_rows(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    clock.advance(3 * DAY)
    body = get(emu, f"{chain['campaign']}/insights", fields=FIELDS, time_increment=1).json()
    assert body == {"data": []}


def test_live_days_follow_the_budget_deterministically(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    _go_live(emu, chain)
    clock.advance(3 * DAY + 6 * 3600)  # three whole days and a quarter of today
    params = {"fields": FIELDS, "time_increment": 1, "time_range": _days(clock, 5)}
    rows = get(emu, f"{chain['campaign']}/insights", **params).json()["data"]
    assert [r["date_start"] for r in rows] == [r["date_stop"] for r in rows]
    assert len(rows) == 4  # nothing before the launch day, a partial row for today
    whole = [float(r["spend"]) for r in rows[:3]]
    assert all(0.85 * 50 <= s <= 1.10 * 50 for s in whole), whole  # SGD 50 a day
    assert float(rows[3]["spend"]) < 0.3 * 50
    assert all(r["spend"].count(".") == 1 and len(r["spend"].split(".")[1]) == 2 for r in rows)
    first = rows[0]
    assert int(first["reach"]) <= int(first["impressions"])
    ctr = int(first["clicks"]) * 100 / int(first["impressions"])
    assert float(first["ctr"]) == pytest.approx(ctr, rel=1e-4)
    purchases = {a["action_type"]: a for a in first["actions"]}
    assert purchases["omni_purchase"]["value"] == purchases["purchase"]["value"]
    values = {a["action_type"]: float(a["value"]) for a in first["action_values"]}
    assert values["omni_purchase"] > 0
    again = get(emu, f"{chain['campaign']}/insights", **params).json()["data"]
    assert again == rows


def test_pause_stops_spend_and_the_sdk_reads_the_same_rows(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str], api: object
) -> None:
    _go_live(emu, chain)
    clock.advance(DAY)
    post(emu, chain["campaign"], status="PAUSED")
    clock.advance(2 * DAY)
    rows = Campaign(chain["campaign"]).get_insights(
        params={"time_increment": 1, "time_range": json.loads(_days(clock, 5))},
        fields=["spend", "impressions"],
    )
    assert len(list(rows)) == 1


def test_fields_are_checked_against_the_sdk_list(emu: GraphEmulator, chain: dict[str, str]) -> None:
    reply = get(emu, f"{chain['campaign']}/insights", fields="spend,purchases_value")
    error = reply.json()["error"]
    assert reply.status_code == 400 and error["code"] == 100
    assert error["message"].startswith("(#100) fields[1] must be one of the following values:")


def test_removed_view_windows_are_refused_and_others_split_actions(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    for removed in ("7d_view", "28d_view"):
        error = get(
            emu,
            f"{chain['campaign']}/insights",
            fields="actions",
            action_attribution_windows=json.dumps(["7d_click", removed]),
        ).json()["error"]
        assert error["code"] == 100
        assert "action_attribution_windows[1] must be one of" in error["message"]
        assert "7d_view" not in error["message"].split(":", 1)[1].split(", ")
    _go_live(emu, chain)
    clock.advance(2 * DAY)
    rows = get(
        emu,
        f"{chain['campaign']}/insights",
        fields="actions",
        time_range=_days(clock, 3),
        time_increment=1,
        action_attribution_windows='["7d_click","1d_view"]',
    ).json()["data"]
    purchase = next(a for a in rows[0]["actions"] if a["action_type"] == "omni_purchase")
    assert int(purchase["value"]) == int(purchase.get("7d_click", 0)) + int(
        purchase.get("1d_view", 0)
    )


def test_paging_with_after_cursors(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    _go_live(emu, chain)
    clock.advance(5 * DAY)
    params = {"fields": "spend", "time_increment": 1, "time_range": _days(clock, 6), "limit": 2}
    first = get(emu, f"{chain['campaign']}/insights", **params).json()
    assert len(first["data"]) == 2 and "next" in first["paging"]
    seen = list(first["data"])
    page = first
    while "next" in page.get("paging", {}):
        after = page["paging"]["cursors"]["after"]
        page = get(emu, f"{chain['campaign']}/insights", **params, after=after).json()
        seen += page["data"]
    everything = get(emu, f"{chain['campaign']}/insights", **{**params, "limit": 50}).json()
    assert seen == everything["data"] and len(seen) == 5  # five whole days, none before


def test_async_report_run_for_the_account(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    emu.insights_async_seconds = 10
    _go_live(emu, chain)
    clock.advance(2 * DAY)
    run = post(
        emu,
        f"{ACT}/insights",
        level="campaign",
        fields="campaign_id,spend",
        time_increment=1,
        date_preset="last_7d",
    ).json()["report_run_id"]
    status = get(emu, run).json()
    assert status["async_status"] == "Job Not Started" and status["async_percent_completion"] == 0
    early = get(emu, f"{run}/insights").json()["error"]
    assert early["code"] == 100
    clock.advance(5)
    assert get(emu, run, fields="async_status,async_percent_completion").json() == {
        "id": run,
        "async_status": "Job Running",
        "async_percent_completion": 50,
    }
    clock.advance(5)
    assert get(emu, run).json()["async_status"] == "Job Completed"
    rows = get(emu, f"{run}/insights").json()["data"]
    assert {r["campaign_id"] for r in rows} == {chain["campaign"]} and len(rows) == 2
    emu.fail_next_report_run()
    failed = post(emu, f"{ACT}/insights", fields="spend").json()["report_run_id"]
    clock.advance(10)
    body = get(emu, failed, fields="async_status,error_code,error_message").json()
    assert body["async_status"] == "Job Failed" and body["error_code"] == 2


def test_insights_throttle_header_and_80000(emu: GraphEmulator, chain: dict[str, str]) -> None:
    reply = get(emu, f"{chain['campaign']}/insights", fields="spend")
    throttle = json.loads(reply.headers["x-fb-ads-insights-throttle"])
    assert set(throttle) == {"app_id_util_pct", "acc_id_util_pct", "ads_api_access_tier"}
    assert 0 < throttle["acc_id_util_pct"] < 1
    emu.insights_throttle_pct = 100
    refused = get(emu, f"{chain['campaign']}/insights", fields="spend")
    error = refused.json()["error"]
    assert (error["code"], error["error_subcode"]) == (80000, 2446079)
    usage = json.loads(refused.headers["X-Business-Use-Case-Usage"])
    assert usage[ACT.removeprefix("act_")][0]["type"] == "ads_insights"


@pytest.mark.parametrize(
    ("scenario", "low", "high", "purchases"),
    [
        (InsightsScenario.OVERSPEND, 1.75, 2.0, True),
        (InsightsScenario.UNDERSPEND, 0.2, 0.4, True),
        (InsightsScenario.SPEND_WITHOUT_PURCHASE, 0.8, 1.1, False),
    ],
)
def test_scenarios_bend_the_numbers(
    emu: GraphEmulator,
    clock: FakeClock,
    chain: dict[str, str],
    scenario: InsightsScenario,
    low: float,
    high: float,
    purchases: bool,
) -> None:
    _go_live(emu, chain)
    emu.set_insights_scenario(chain["campaign"], scenario)
    clock.advance(DAY)
    rows = get(
        emu, f"{chain['campaign']}/insights", fields="spend,actions", date_preset="yesterday"
    ).json()["data"]
    assert low * 50 <= float(rows[0]["spend"]) <= high * 50
    kinds = {a["action_type"] for a in rows[0].get("actions", [])}
    assert ("omni_purchase" in kinds) is purchases


def test_no_delivery_scenario_has_no_rows(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    _go_live(emu, chain)
    emu.set_insights_scenario(chain["campaign"], "no_delivery")
    clock.advance(DAY)
    assert get(emu, f"{chain['campaign']}/insights", date_preset="yesterday").json() == {"data": []}


def test_account_disabled_and_spend_cap_stop_delivery(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    _go_live(emu, chain)
    clock.advance(DAY)
    cap = emu.reach_spend_cap(ACT)
    account = get(emu, ACT, fields="spend_cap,amount_spent,account_status").json()
    assert account["spend_cap"] == account["amount_spent"] == str(cap) and cap > 4000
    clock.advance(DAY)
    assert get(emu, f"{chain['campaign']}/insights", date_preset="yesterday").json() == {"data": []}
    emu.disable_account(ACT)
    account = get(emu, ACT, fields="account_status,disable_reason").json()
    assert (account["account_status"], account["disable_reason"]) == (2, 1)


def test_backdated_delivery_fills_past_days(
    emu: GraphEmulator, clock: FakeClock, chain: dict[str, str]
) -> None:
    _go_live(emu, chain)
    emu.backdate_delivery(chain["campaign"], clock.t - 3 * DAY)
    rows = get(
        emu,
        f"{chain['campaign']}/insights",
        fields="spend",
        time_increment=1,
        date_preset="last_7d",
    ).json()["data"]
    assert len(rows) == 3
