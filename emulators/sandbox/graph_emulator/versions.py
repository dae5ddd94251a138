"""Which ``/vNN.0/`` prefixes the emulator answers, by Meta's Marketing API version calendar.

Source: Meta's "Marketing API version history" table
(developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions,
read 2026-12-01): release and expiration dates per version; "TBD" expiries are ``None``. Kept
apart from AdBee's own copy (``meta.graph.versions``) on purpose: the emulator is the judge and must
not move when the product's table does.

Measured against the emulator's clock, so a test can step over an expiry date. An expired
version (or one older than the table) answers 2635 shaped as Meta does: code 2635, type
``OAuthException``, "(#2635) You are calling a deprecated version of the Ads API. Please update
to the latest version: vNN.0." A version not yet released is an unknown path component (2500),
as any other unknown first segment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

# version major -> (released, expires or None)
CALENDAR: dict[int, tuple[date, date | None]] = {
    27: (date(2026, 11, 4), None),
    26: (date(2026, 7, 29), None),
    25: (date(2026, 2, 18), date(2027, 2, 23)),
    24: (date(2025, 10, 8), date(2026, 11, 10)),
    23: (date(2025, 5, 29), date(2026, 6, 9)),
    22: (date(2025, 1, 21), date(2026, 2, 19)),
    21: (date(2024, 10, 2), date(2025, 9, 9)),
    20: (date(2024, 5, 21), date(2025, 5, 6)),
}
_OLDEST = min(CALENDAR)


def _day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


def latest(now: float) -> int:
    """The newest version released at ``now``."""
    today = _day(now)
    return max(major for major, (released, _) in CALENDAR.items() if released <= today)


def is_expired(major: int, now: float) -> bool:
    """Older than the table, or past its expiration date (the date itself is the first day off)."""
    if major < _OLDEST:
        return True
    entry = CALENDAR.get(major)
    if entry is None:
        return False
    expires = entry[1]
    return expires is not None and _day(now) >= expires


def is_released(major: int, now: float) -> bool:
    entry = CALENDAR.get(major)
    return entry is not None and entry[0] <= _day(now)
