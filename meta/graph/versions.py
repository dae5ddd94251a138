"""Meta's Marketing API version calendar, and the warning AdBee gives before a version expires.

Every Graph call names a version (``META_API_VERSION``); once Meta expires it, every call fails
with error 2635 and nothing AdBee does works. Meta publishes release and expiration dates ahead,
so AdBee can warn ``EXPIRY_WARNING`` before the date instead of failing on it.

Source: Meta's "Marketing API version history" table
(developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions,
read 2026-12-01). The Marketing API dates differ from the Graph API's (Graph API versions live
about two years, Marketing API versions about one); AdBee calls the Marketing API, so these are
the ones that apply. ``None`` means Meta has not announced the expiry yet ("TBD").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The version the installed facebook-business SDK (26.0.x) was generated for; a test keeps the two
# equal, so upgrading the SDK also means choosing the new default here (and checking its dates).
DEFAULT_API_VERSION = "v26.0"
EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class ApiVersion:
    released: date
    expires: date | None  # None: not announced yet


CALENDAR: dict[str, ApiVersion] = {
    "v27.0": ApiVersion(date(2026, 11, 4), None),
    "v26.0": ApiVersion(date(2026, 7, 29), None),
    "v25.0": ApiVersion(date(2026, 2, 18), date(2027, 2, 23)),
    "v24.0": ApiVersion(date(2025, 10, 8), date(2026, 11, 10)),
    "v23.0": ApiVersion(date(2025, 5, 29), date(2026, 6, 9)),
    "v22.0": ApiVersion(date(2025, 1, 21), date(2026, 2, 19)),
    "v21.0": ApiVersion(date(2024, 10, 2), date(2025, 9, 9)),
    "v20.0": ApiVersion(date(2024, 5, 21), date(2025, 5, 6)),
}


def version_warning(version: str, today: date) -> str | None:
    """What to tell the operator about ``version`` on ``today``; None when all is well.

    Said in ``python -m bot health`` and in the start-up log, so the version gets changed before
    Meta turns it off, not after every campaign has failed with 2635.
    """
    entry = CALENDAR.get(version)
    if entry is None:
        return (
            f"META_API_VERSION={version} is not in AdBee's calendar of Meta API versions, so AdBee "
            "cannot tell when Meta expires it; check Meta's Marketing API version history and "
            f"prefer a listed version such as {DEFAULT_API_VERSION}."
        )
    if entry.released > today:
        return (
            f"META_API_VERSION={version} is only released on {entry.released.isoformat()}; until "
            f"then Meta refuses calls to it. Use {DEFAULT_API_VERSION}."
        )
    if entry.expires is None:
        return None
    newer = _newest_current(today)
    if entry.expires <= today:
        return (
            f"META_API_VERSION={version} expired on {entry.expires.isoformat()}: Meta refuses every "
            f"call to it (error 2635). Set META_API_VERSION={newer} and restart AdBee."
        )
    if entry.expires - today <= EXPIRY_WARNING:
        days = (entry.expires - today).days
        return (
            f"META_API_VERSION={version} expires on {entry.expires.isoformat()} (in {days} "
            f"day{'s' if days != 1 else ''}); after that Meta refuses every call (error 2635). "
            f"Set META_API_VERSION={newer} and restart AdBee before then."
        )
    return None


def _newest_current(today: date) -> str:
    """The newest version released by ``today`` (the one to move to)."""
    released = [
        (entry.released, name) for name, entry in CALENDAR.items() if entry.released <= today
    ]
    return max(released)[1] if released else DEFAULT_API_VERSION
