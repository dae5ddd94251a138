"""The time range of a report as a user types it: ``today``, ``yesterday``, ``7d``, ``30d``,
``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``, in the ad account's local dates.

Checked before anything is sent to Meta, with a message that says what to type instead: a future
day, a reversed range, more than ``MAX_RANGE_DAYS`` days, or a day older than Meta keeps
(37 months, marketing-api/insights "Limits") are refused here, not by Meta.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from meta.domain.errors import AdBeeError
from meta.domain.insights import MAX_RANGE_DAYS, DateRange

DEFAULT_RANGE = "7d"
RANGE_HELP = "`today`, `yesterday`, `7d`, `30d`, `2026-12-01` or `2026-12-01..2026-12-07`"
_DAYS = re.compile(r"^(\d{1,3})d$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_SPAN = re.compile(rf"^({_DATE})(?:\.\.({_DATE}))?$")
# Meta keeps 37 months of insights; a day is about 30.4 of them.
OLDEST_DAYS = 37 * 30


class ReportRangeError(AdBeeError):
    """A range the user typed that AdBee will not ask Meta for; the message says why."""


def looks_like_range(text: str) -> bool:
    """True for anything shaped like a range (so ``/campaign report Summer 7d`` splits right),
    valid or not: ``2026-13-45`` is still a range, to be refused with its own message."""
    word = text.strip().lower()
    return word in ("today", "yesterday") or bool(_DAYS.match(word) or _SPAN.match(word))


def parse_report_range(text: str | None, today: date) -> DateRange:
    """``text`` (None or empty: the last 7 days) as dates of the account's calendar.

    ``Nd`` is the N days ending today (today's numbers are still growing).
    """
    word = (text or DEFAULT_RANGE).strip().lower()
    if word == "today":
        return DateRange(today, today)
    if word == "yesterday":
        day = today - timedelta(days=1)
        return DateRange(day, day)
    days = _DAYS.match(word)
    if days:
        count = int(days.group(1))
        if not 1 <= count <= MAX_RANGE_DAYS:
            raise ReportRangeError(
                f"`{word}`: a report covers 1 to {MAX_RANGE_DAYS} days, e.g. `7d` or `30d`."
            )
        return DateRange(today - timedelta(days=count - 1), today)
    span = _SPAN.match(word)
    if not span:
        raise ReportRangeError(f"`{text}` is not a time range; use {RANGE_HELP}.")
    since = _day(span.group(1))
    until = _day(span.group(2)) if span.group(2) else since
    if since > until:
        raise ReportRangeError(
            f"`{word}` ends before it starts; write the earlier day first, "
            f"e.g. `{until.isoformat()}..{since.isoformat()}`."
        )
    if until > today:
        raise ReportRangeError(
            f"`{word}` reaches into the future: today is {today.isoformat()} in the ad "
            "account's time zone, and Meta has no numbers after it."
        )
    if (until - since).days + 1 > MAX_RANGE_DAYS:
        raise ReportRangeError(
            f"`{word}` covers {(until - since).days + 1} days; a report covers at most "
            f"{MAX_RANGE_DAYS}. Split it, e.g. by month."
        )
    if (today - since).days > OLDEST_DAYS:
        raise ReportRangeError(
            f"`{word}` starts more than 37 months ago; Meta keeps insights for 37 months."
        )
    return DateRange(since, until)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportRangeError(
            f"`{text}` is not a date on the calendar; write YYYY-MM-DD."
        ) from None
