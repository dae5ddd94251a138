"""Start and end times: typed in the ad account's timezone, stored in UTC, sent with an offset.

Using ``zoneinfo`` keeps DST right for accounts in zones that have it; a wall-clock time that does
not exist (spring-forward gap) or is ambiguous (fall-back) is refused rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class TimeParseError(ValueError):
    """The time cannot be understood; the message is meant for the user."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeParseError(
            f"unknown timezone {name!r}; use an IANA name like Asia/Singapore"
        ) from None


def parse_local_time(value: object, tz_name: str) -> datetime:
    """Parse a time typed by a user; naive times are in the account timezone. Returns UTC."""
    tz = zone(tz_name)
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        else:
            text = str(value).strip()
            parsed = _parse_text(text)
        if parsed.tzinfo is None:
            return localize(parsed, tz).astimezone(UTC)
        return parsed.astimezone(UTC)
    except TimeParseError:
        raise
    except (OverflowError, ValueError, OSError):  # NaN, year 0/10000, timestamps out of range
        shown = str(value)[:40]
        raise TimeParseError(
            f"{shown!r} is not a usable date and time; write it like 2026-12-03 20:00"
        ) from None


def _parse_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise TimeParseError(f"{text!r} is not a date and time; write it like 2026-12-03 20:00")


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach a zone to a wall-clock time, refusing times DST makes missing or ambiguous."""
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    roundtrip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != naive:
        raise TimeParseError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (clocks go forward); "
            "pick another time"
        )
    if early.utcoffset() != late.utcoffset():
        raise TimeParseError(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {tz.key} (clocks go back); pick another time"
        )
    return early


def to_meta(value: datetime, tz_name: str) -> str:
    """Meta's ISO-8601 form with the account's own UTC offset, e.g. 2026-12-03T20:00:00+0800."""
    return value.astimezone(zone(tz_name)).strftime("%Y-%m-%dT%H:%M:%S%z")


def format_local(value: datetime, tz_name: str) -> str:
    """A time as people in the account's timezone read it: 'Thu 3 Dec 2026, 20:00 SGT'."""
    local = value.astimezone(zone(tz_name))
    abbrev = local.tzname() or tz_name
    if abbrev.startswith(("+", "-")):
        abbrev = {"Asia/Singapore": "SGT", "Asia/Kuala_Lumpur": "MYT"}.get(tz_name, f"UTC{abbrev}")
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {abbrev}"


def humanize_delta(delta: timedelta) -> str:
    """'in 2 days', 'in 3 hours', '5 minutes ago' — for "activates ..." and "late by ..." texts."""
    seconds = int(delta.total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = seconds // size
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    raise AssertionError("unreachable")
