"""Paged and expanded reads as strict as Graph: what a sync of many campaigns relies on.

Graph's "Paginated Results" page: ``before``/``after`` cursors, ``limit`` ("some edges may also
have a maximum on the limit value for performance reasons. In all cases, the API returns the
correct pagination links"), and the end of the list is the absence of ``next``, never a short
page. Field expansion ("Field Expansion" guide): an edge named in ``fields`` is a nested,
paged request of its own with ``.limit(n)``. Each HTTP request is one call against the ad
account's score, however much it expands (Marketing API "Rate Limiting": a read is 1 point).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount

from sandbox.graph_emulator import GraphEmulator
from sandbox_tests.test_graph_emulator import (  # the emulator fixtures and request helpers
    ACT,
    TOKEN,
    FakeClock,
    acct,
    adset_params,
    api,
    campaign_params,
    clock,
    creative_params,
    emu,
    get,
    ready_video,
    video_file,
)

__all__ = ["acct", "api", "clock", "emu", "video_file"]  # fixtures pytest finds by name
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings


def campaigns(acct: AdAccount, count: int) -> list[str]:
    return [acct.create_campaign(params=campaign_params(name=f"c{i}"))["id"] for i in range(count)]


def follow(emu: GraphEmulator, first: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of an edge, following ``paging.next`` URLs as Graph hands them out."""
    items, page = list(first["data"]), first
    while page.get("paging", {}).get("next"):
        page = requests.get(page["paging"]["next"], timeout=10).json()
        items += page["data"]
    return items


def score(response: requests.Response, emu: GraphEmulator) -> int:
    usage = json.loads(response.headers["X-Ad-Account-Usage"])
    return round(usage["acc_id_util_pct"] * emu.max_score / 100)


def test_a_limit_above_the_edge_maximum_is_capped_with_a_next_link_to_the_rest(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    emu.max_page_size = 4
    ids = campaigns(acct, 10)
    first = get(emu, f"{ACT}/campaigns", fields="name", limit=500).json()
    assert len(first["data"]) == 4
    assert "limit=4" in first["paging"]["next"]
    listed = [c["id"] for c in follow(emu, first)]
    assert sorted(listed) == sorted(ids) and len(listed) == 10


def test_before_and_after_cursors_page_both_ways(emu: GraphEmulator, acct: AdAccount) -> None:
    campaigns(acct, 6)
    first = get(emu, f"{ACT}/campaigns", limit=2).json()
    assert "previous" not in first["paging"]
    second = get(emu, f"{ACT}/campaigns", limit=2, after=first["paging"]["cursors"]["after"]).json()
    assert "previous" in second["paging"]
    back = get(emu, f"{ACT}/campaigns", limit=2, before=second["paging"]["cursors"]["before"])
    assert [c["id"] for c in back.json()["data"]] == [c["id"] for c in first["data"]]
    previous = requests.get(second["paging"]["previous"], timeout=10).json()
    assert [c["id"] for c in previous["data"]] == [c["id"] for c in first["data"]]
    last = get(emu, f"{ACT}/campaigns", limit=4, after=first["paging"]["cursors"]["after"]).json()
    assert len(last["data"]) == 4 and "next" not in last["paging"]


def test_a_broken_cursor_is_refused(emu: GraphEmulator, acct: AdAccount) -> None:
    campaigns(acct, 1)
    error = get(emu, f"{ACT}/campaigns", after="not-a-cursor!").json()["error"]
    assert error["code"] == 100


@pytest.fixture
def campaign_with_ads(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path
) -> tuple[str, list[str]]:
    campaign_id = acct.create_campaign(params=campaign_params())["id"]
    adset = acct.create_ad_set(params=adset_params(campaign_id))
    creative = acct.create_ad_creative(params=creative_params(ready_video(emu, clock, video_file)))
    ads = [
        acct.create_ad(
            params={
                "name": f"ad {i}",
                "adset_id": adset["id"],
                "creative": {"creative_id": creative["id"]},
                "status": "PAUSED",
            }
        )["id"]
        for i in range(30)
    ]
    return campaign_id, ads


def test_an_expanded_edge_is_paged_by_default_and_limit_modifier_widens_it(
    emu: GraphEmulator, campaign_with_ads: tuple[str, list[str]]
) -> None:
    campaign_id, ads = campaign_with_ads
    plain = get(emu, campaign_id, fields="name,ads{effective_status}").json()
    assert len(plain["ads"]["data"]) == emu.page_size == 25
    nested_next = plain["ads"]["paging"]["next"]
    assert f"/{campaign_id}/ads?" in nested_next
    rest = requests.get(nested_next, timeout=10).json()
    assert len(rest["data"]) == 5 and "next" not in rest["paging"]
    assert {a["id"] for a in plain["ads"]["data"] + rest["data"]} == set(ads)
    assert rest["data"][0]["effective_status"]

    wide = get(emu, campaign_id, fields="ads.limit(50){effective_status}").json()
    assert len(wide["ads"]["data"]) == 30 and "next" not in wide["ads"]["paging"]
    trailing = get(emu, campaign_id, fields="ads{id}.limit(3)").json()
    assert len(trailing["ads"]["data"]) == 3


def test_expansion_inside_an_account_edge_read_and_its_cost_is_one_call_per_request(
    emu: GraphEmulator, acct: AdAccount, campaign_with_ads: tuple[str, list[str]]
) -> None:
    campaign_id, _ = campaign_with_ads
    campaigns(acct, 4)
    before = get(emu, f"{ACT}/campaigns", fields="id", limit=1)
    fields = "name,adsets{effective_status},ads.limit(50){effective_status,creative{url_tags}}"
    first = get(emu, f"{ACT}/campaigns", fields=fields, limit=3)
    assert score(first, emu) - score(before, emu) == 1
    everything = follow(emu, first.json())
    [ours] = [c for c in everything if c["id"] == campaign_id]
    assert len(ours["ads"]["data"]) == 30
    assert "creative" in ours["ads"]["data"][0]
    last = get(emu, f"{ACT}/campaigns", fields="id", limit=1)
    assert score(last, emu) - score(first, emu) == 2  # the expanded read's second page, this one


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ("ads.limit(x){id}", "limit"),
        ("ads.limit(3", "Syntax error"),
        ("ads{id", "Syntax error"),
        ("ads{id}}", "Syntax error"),
        ("ads.sort(name){id}", "sort"),
    ],
)
def test_malformed_field_expansion_is_refused(
    emu: GraphEmulator, acct: AdAccount, fields: str, words: str
) -> None:
    campaign_id = campaigns(acct, 1)[0]
    error = get(emu, campaign_id, fields=fields).json()["error"]
    assert error["code"] == 100 and words in error["message"]


@pytest.mark.parametrize(
    "filtering",
    [
        "id IN 1,2",  # not JSON
        json.dumps({"field": "id", "operator": "IN", "value": ["1"]}),  # not an array
        json.dumps([{"field": "id", "value": ["1"]}]),  # no operator
        json.dumps([{"field": "id", "operator": "IN", "value": "1"}]),  # IN takes a list
        json.dumps([{"field": "id", "operator": "LIKE", "value": "1"}]),  # not Meta's
        json.dumps([{"field": "id", "operator": "IN_RANGE", "value": [1]}]),  # a pair
        json.dumps(["id"]),  # not a filter object
    ],
)
def test_malformed_filtering_is_refused_before_anything_is_read(
    emu: GraphEmulator, acct: AdAccount, filtering: str
) -> None:
    campaigns(acct, 1)
    error = get(emu, f"{ACT}/campaigns", filtering=filtering).json()["error"]
    assert error["code"] == 100 and "filtering" in error["message"].lower()


def test_filtering_on_ids_and_statuses_selects_deleted_ones_only_when_asked(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    ids = campaigns(acct, 5)
    requests.delete(f"{emu.url}/v26.0/{ids[1]}", params={"access_token": TOKEN}, timeout=10)
    wanted = ids[:3]
    by_id = [{"field": "id", "operator": "IN", "value": wanted}]
    plain = get(emu, f"{ACT}/campaigns", filtering=json.dumps(by_id)).json()["data"]
    assert sorted(c["id"] for c in plain) == sorted([ids[0], ids[2]])
    statuses = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"]
    with_deleted = [*by_id, {"field": "effective_status", "operator": "IN", "value": statuses}]
    shown = get(
        emu, f"{ACT}/campaigns", fields="effective_status", filtering=json.dumps(with_deleted)
    ).json()["data"]
    assert sorted(c["id"] for c in shown) == sorted(wanted)
    assert {c["id"]: c["effective_status"] for c in shown}[ids[1]] == "DELETED"


def test_multi_id_reads_are_refused_on_v26_and_capped_at_50_ids_before(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    ids = campaigns(acct, 3)
    params = {"access_token": TOKEN, "ids": ",".join(ids), "fields": "name"}
    refused = requests.get(f"{emu.url}/v26.0/", params=params, timeout=10).json()["error"]
    assert refused["code"] == 100 and "ids" in refused["message"]
    answered = requests.get(f"{emu.url}/v25.0/", params=params, timeout=10).json()
    assert sorted(answered) == sorted(ids) and answered[ids[0]]["name"] == "c0"
    too_many = {**params, "ids": ",".join([*ids, *(str(n) for n in range(48))])}
    error = requests.get(f"{emu.url}/v25.0/", params=too_many, timeout=10).json()["error"]
    assert error["code"] == 100 and "50" in error["message"]
