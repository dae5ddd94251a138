"""Money and time conversions hold for any input (property-based)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meta.domain.money import MoneyError, format_minor, parse_amount, to_minor
from meta.domain.times import TimeParseError, parse_local_time, to_meta


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["SGD", "USD", "MYR"]))
def test_minor_units_round_trip_through_the_printed_amount(minor, currency):
    text = format_minor(minor, currency).split(" ", 1)[1]
    assert to_minor(parse_amount(text), currency) == minor


@given(st.integers(min_value=1, max_value=10**9))
def test_yen_has_no_minor_unit(amount):
    assert to_minor(Decimal(amount), "JPY") == amount


@given(st.text(max_size=30))
def test_any_text_is_either_an_amount_or_a_clear_error(text):
    try:
        assert parse_amount(text) > 0
    except MoneyError as exc:
        assert str(exc)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)),
    st.sampled_from(
        ["Asia/Singapore", "Asia/Kuala_Lumpur", "America/Los_Angeles", "Europe/Berlin"]
    ),
)
def test_local_time_survives_the_trip_to_meta_and_back(naive, tz):
    naive = naive.replace(second=0, microsecond=0)
    try:
        utc = parse_local_time(naive.strftime("%Y-%m-%d %H:%M"), tz)
    except TimeParseError:
        return  # a DST gap or overlap: refused, never guessed
    assert parse_local_time(to_meta(utc, tz), tz) == utc
    assert utc.tzinfo is UTC


def test_a_wall_time_in_the_dst_gap_is_refused():
    with pytest.raises(TimeParseError, match="does not exist"):
        parse_local_time("2027-03-14 02:30", "America/Los_Angeles")


def test_an_ambiguous_wall_time_is_refused():
    with pytest.raises(TimeParseError, match="happens twice"):
        parse_local_time("2026-11-01 01:30", "America/Los_Angeles")


def test_los_angeles_summer_and_winter_offsets():
    summer = parse_local_time("2027-07-01 09:00", "America/Los_Angeles")
    winter = parse_local_time("2027-01-01 09:00", "America/Los_Angeles")
    assert summer.hour == 16 and winter.hour == 17
    assert summer - winter > timedelta(days=180)
