"""Property-based tests (hypothesis): parsers and money/time conversions never crash.

Whatever arrives (any unicode text, numbers, nested YAML values, forged modal states, button
values), the answer is a value or the parser's own error with a message, never an exception
that would surface as a traceback, and values that come out are sound: money in exact minor
units, times aware and in UTC, specs storable and sendable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.command_text import Subcommand, parse_command_text
from handlers.forms import parse_action_value, parse_campaign_form
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionValueError
from meta.domain.accounts import load_accounts
from meta.domain.errors import ValidationError
from meta.domain.money import MoneyError, format_minor, parse_amount, to_minor
from meta.domain.spec import build_spec
from meta.domain.times import TimeParseError, format_local, parse_local_time, to_meta
from meta.domain.yaml_files import YamlFileError, load_yaml_text
from tests.reliability.conftest import ROOT, campaign_body

pytestmark = pytest.mark.reliability

_ACCOUNTS = load_accounts(ROOT / "configs" / "accounts.yaml")

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=200)


@PROPERTY
@given(st.one_of(ANY_TEXT, st.integers(), st.floats(), st.decimals(), st.booleans(), st.none()))
def test_any_amount_is_minor_units_or_a_money_error(value: object) -> None:
    try:
        amount = parse_amount(value)
        minor = to_minor(amount, "SGD")
    except MoneyError as exc:
        assert str(exc)
        return
    assert amount > 0 and minor == amount * 100 and minor < 10**14
    assert format_minor(minor, "SGD").startswith("SGD ")


@PROPERTY
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**9), places=2))
def test_two_decimal_amounts_round_trip_exactly(amount: Decimal) -> None:
    minor = to_minor(parse_amount(str(amount)), "SGD")
    assert Decimal(minor) / 100 == amount
    assert parse_amount(format_minor(minor, "SGD").split(" ")[1]) == amount


@PROPERTY
@given(
    st.one_of(ANY_TEXT, st.integers(), st.floats(), st.datetimes(timezones=st.timezones())),
    st.sampled_from(["Asia/Singapore", "America/Los_Angeles", "Europe/Berlin", "UTC"]),
)
def test_any_time_is_an_aware_utc_datetime_or_a_time_error(value: object, tz: str) -> None:
    try:
        when = parse_local_time(value, tz)
    except TimeParseError as exc:
        assert str(exc)
        return
    assert when.tzinfo is UTC
    if datetime(1971, 1, 1, tzinfo=UTC) < when < datetime(9998, 1, 1, tzinfo=UTC):
        assert parse_local_time(to_meta(when, tz), tz) == when.replace(microsecond=0)
        assert format_local(when, tz)


@PROPERTY
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_local_wall_time_means_the_same_instant_in_every_form(naive: datetime) -> None:
    naive = naive.replace(second=0, microsecond=0)
    try:
        when = parse_local_time(naive.strftime("%Y-%m-%d %H:%M"), "America/Los_Angeles")
    except TimeParseError as exc:  # DST gap or overlap: refused, never guessed
        assert "clocks go" in str(exc)
        return
    for text in (
        naive.strftime("%Y-%m-%dT%H:%M"),
        naive.isoformat(),
        naive.strftime("%Y-%m-%d %H:%M:%S"),
    ):
        assert parse_local_time(text, "America/Los_Angeles") == when
    assert parse_local_time(when.timestamp(), "UTC") == when
    assert abs(when - naive.replace(tzinfo=UTC)) <= timedelta(hours=8)


@PROPERTY
@given(ANY_TEXT)
def test_any_yaml_text_is_data_or_a_yaml_error(text: str) -> None:
    try:
        load_yaml_text(text, source="campaign.yaml")
    except YamlFileError as exc:
        assert str(exc).startswith("campaign.yaml: ")


yaml_scalars = st.one_of(
    ANY_TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


@PROPERTY
@given(
    st.dictionaries(st.sampled_from([*campaign_body().keys(), "extra"]), yaml_values, max_size=12)
)
def test_any_campaign_mapping_is_a_spec_or_field_problems(overrides: dict[str, Any]) -> None:
    raw = campaign_body(**overrides)
    try:
        spec = build_spec(
            raw,
            accounts=_ACCOUNTS,
            now=datetime.now(UTC),
            base_dir=ROOT,
            check_video=None,
        )
    except ValidationError as exc:
        assert exc.problems and all(p.field and p.message for p in exc.problems)
        return
    assert spec.daily_budget_minor > 0 and spec.start_time.tzinfo is not None
    json.dumps(spec.to_json())  # storable
    spec.name.encode("utf-8")  # sendable: no half surrogate pairs


@PROPERTY
@given(st.one_of(ANY_TEXT, st.none(), st.integers(), st.lists(ANY_TEXT)))
def test_any_command_text_parses_to_a_request_never_an_exception(text: object) -> None:
    request = parse_command_text(text)
    assert request.subcommand in Subcommand
    if request.campaign_id is not None:
        assert 0 < request.campaign_id < 2**63
    if request.note:
        assert len(request.note) < 200


@PROPERTY
@given(st.one_of(ANY_TEXT, st.none(), st.integers()))
def test_any_button_value_is_metadata_or_a_value_error(value: object) -> None:
    try:
        meta = parse_action_value(value)
    except ActionValueError:
        return
    assert meta.campaign_id > 0


json_values = st.recursive(
    st.one_of(ANY_TEXT, st.integers(), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=20,
)


@PROPERTY
@given(st.dictionaries(st.sampled_from([*map(str, B), "junk"]), json_values, max_size=14))
def test_any_modal_state_parses_to_a_form(state: dict[str, Any]) -> None:
    form = parse_campaign_form(state)
    form.problems()
    form.to_request()
