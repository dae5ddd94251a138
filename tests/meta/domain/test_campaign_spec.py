"""An ad-ops person writes a campaign file; every mistake is named by its field before Meta sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from meta.domain.accounts import load_accounts
from meta.domain.errors import ValidationError
from meta.domain.spec import CampaignSpec, build_spec

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 14:00 in Singapore


@pytest.fixture(scope="module")
def accounts():
    return load_accounts(ROOT / "configs" / "accounts.yaml")


def request(**overrides):
    raw = {
        "account": "iflytek-sg",
        "name": "AINOTE2 launch SG",
        "daily_budget": 50,
        "start_time": "2026-12-03 20:00",
        "countries": ["SG"],
        "video": "creatives/ainote2.mp4",
        "primary_text": "Meet AINOTE 2",
        "headline": "AINOTE 2 is here",
        "link": "https://shop.example.com/sg/ainote2",
        "call_to_action": "SHOP_NOW",
    }
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def build(accounts, **overrides) -> CampaignSpec:
    return build_spec(request(**overrides), accounts=accounts, now=NOW, base_dir=ROOT)


def problems(accounts, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        build(accounts, **overrides)
    return caught.value.by_field()


def test_a_good_request_becomes_minor_units_and_utc(accounts):
    spec = build(accounts)
    assert spec.daily_budget_minor == 5000
    assert spec.currency == "SGD"
    assert spec.start_time == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert spec.countries == ("SG",)
    assert spec.video_path == ROOT / "creatives" / "ainote2.mp4"
    assert CampaignSpec.from_json(spec.to_json()) == spec


def test_the_malaysian_account_counts_in_ringgit(accounts):
    spec = build(accounts, account="iflytek-my", countries=["MY"], daily_budget="120.50")
    assert (spec.currency, spec.daily_budget_minor) == ("MYR", 12050)


def test_a_start_time_with_an_offset_is_taken_as_given(accounts):
    spec = build(accounts, start_time="2026-12-03T20:00:00+09:00")
    assert spec.start_time == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"account": "nope"}, "account", "unknown account 'nope'"),
        ({"daily_budget": 1}, "daily_budget", "below Meta's minimum of SGD 1.35"),
        ({"daily_budget": 5000}, "daily_budget", "above this account's limit of SGD 2,000.00"),
        ({"daily_budget": "fifty"}, "daily_budget", "is not a number"),
        ({"daily_budget": "10.001"}, "daily_budget", "at most 2 decimal places"),
        ({"daily_budget": -5}, "daily_budget", "greater than zero"),
        ({"start_time": "2026-11-01 20:00"}, "start_time", "is in the past"),
        ({"start_time": "next tuesday"}, "start_time", "is not a date and time"),
        ({"end_time": "2026-12-03 22:00"}, "end_time", "at least 24 hours after"),
        ({"link": "shop.example.com"}, "link", "is not a web address"),
        ({"link": "javascript:alert(1)"}, "link", "is not a web address"),
        ({"link": "http://localhost/x"}, "link", "is not a public website domain"),
        ({"headline": "x" * 300}, "headline", "Meta allows at most 255"),
        ({"primary_text": "y" * 2300}, "primary_text", "Meta allows at most 2200"),
        ({"call_to_action": "CLICK_HERE"}, "call_to_action", "unknown call to action"),
        ({"countries": ["SGP"]}, "countries", "not a two-letter country code"),
        ({"countries": []}, "countries", "required"),
        ({"video": "creatives/missing.mp4"}, "video", "file not found"),
        ({"name": "   "}, "name", "required"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_each_bad_value_is_named_by_its_field(accounts, overrides, field, words):
    assert words in problems(accounts, **overrides)[field]


def test_targeting_the_eu_needs_dsa_declarations(accounts):
    assert "dsa_beneficiary" in problems(accounts, countries=["SG", "DE"])["countries"]


def test_targeting_singapore_needs_verified_identities(accounts):
    found = problems(accounts, account="iflytek-my", countries=["SG"], daily_budget=20)
    assert "singapore_beneficiary" in found["countries"]


def test_all_problems_are_reported_at_once(accounts):
    found = problems(accounts, daily_budget=0, link="nope", call_to_action="X")
    assert set(found) == {"daily_budget", "link", "call_to_action"}


def test_long_texts_within_limits_only_warn(accounts):
    spec = build(accounts, primary_text="z" * 200)
    assert any("primary_text is 200 characters" in w for w in spec.warnings)
