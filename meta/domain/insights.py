"""What Meta's Insights say about a campaign, as typed daily rows: the domain side of reports.

Meta sends money as decimal strings in the account currency's major units and omits days without
delivery; here money is an ``int`` in the currency's minor unit (Meta's offset table,
``meta.domain.money``) and every day of the asked range is present, zeros included, so a campaign
that never ran reads as zeros rather than as nothing. Dates are the ad account's local dates
(Meta reports days in the account's time zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from meta.domain.money import offset

# Meta's default since the 2026-01-12 removal of the 7-day and 28-day view windows.
DEFAULT_ATTRIBUTION: tuple[str, ...] = ("7d_click", "1d_view")
# Purchase action types, best first: omni_purchase dedupes pixel, app and offline purchases;
# the pixel type is what a pixel-only account reports; "purchase" is the legacy alias.
PURCHASE_ACTION_TYPES: tuple[str, ...] = (
    "omni_purchase",
    "offsite_conversion.fb_pixel_purchase",
    "purchase",
)
MAX_RANGE_DAYS = 90  # one report covers at most this many days (AdBee's limit, not Meta's)


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of the account's local dates."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise ValueError("since must be on or before until")

    def days(self) -> list[date]:
        count = (self.until - self.since).days + 1
        return [self.since + timedelta(days=i) for i in range(count)]

    @property
    def label(self) -> str:
        """``2026-12-01`` or ``2026-12-01 to 2026-12-07``."""
        if self.since == self.until:
            return self.since.isoformat()
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    def to_graph(self) -> dict[str, str]:
        """Graph's ``time_range`` value."""
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


@dataclass(frozen=True)
class DailyInsight:
    """One local day of one campaign (money in minor units of ``currency``)."""

    day: date
    spend_minor: int = 0
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    purchases: int = 0
    purchase_value_minor: int = 0

    @property
    def ctr(self) -> float | None:
        """Clicks per impression, in percent (None without impressions)."""
        return self.clicks * 100.0 / self.impressions if self.impressions else None

    @property
    def roas(self) -> float | None:
        """Purchase value per unit spent (None without spend)."""
        return self.purchase_value_minor / self.spend_minor if self.spend_minor else None

    @property
    def cost_per_purchase_minor(self) -> int | None:
        return round(self.spend_minor / self.purchases) if self.purchases else None


@dataclass(frozen=True)
class CampaignInsights:
    """A campaign's days over ``range``, in ``currency`` and ``timezone``, under ``attribution``."""

    campaign_id: str | None
    currency: str
    timezone: str
    range: DateRange
    attribution: tuple[str, ...]
    days: tuple[DailyInsight, ...] = field(default_factory=tuple)
    # Reach summed over days over-counts people reached on several days; Meta's own figure for
    # the whole range (None when it was not read) is what the totals show.
    range_reach: int | None = None

    @property
    def totals(self) -> DailyInsight:
        """The whole range as one row (``day`` is the range start)."""
        total = DailyInsight(day=self.range.since)
        for d in self.days:
            total = DailyInsight(
                day=total.day,
                spend_minor=total.spend_minor + d.spend_minor,
                impressions=total.impressions + d.impressions,
                reach=total.reach + d.reach,
                clicks=total.clicks + d.clicks,
                purchases=total.purchases + d.purchases,
                purchase_value_minor=total.purchase_value_minor + d.purchase_value_minor,
            )
        if self.range_reach is not None:
            total = replace(total, reach=self.range_reach)
        return total

    @property
    def attribution_label(self) -> str:
        """``7-day click, 1-day view``."""
        return ", ".join(_window_label(w) for w in self.attribution)

    @property
    def ran(self) -> bool:
        return any(d.impressions or d.spend_minor for d in self.days)


def _window_label(window: str) -> str:
    number, _, kind = window.partition("d_")
    if number.isdigit() and kind in ("click", "view"):
        return f"{number}-day {kind}"
    return window


def major_to_minor(value: Any, currency: str) -> int:
    """Meta's decimal string in major units (``"12.34"``) to minor units, rounded half up."""
    try:
        amount = Decimal(str(value).strip() or "0")
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    return int((amount * offset(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _count(value: Any) -> int:
    try:
        return int(Decimal(str(value or "0")))
    except InvalidOperation:
        return 0


def _action_amount(
    entries: Sequence[Mapping[str, Any]] | None, windows: Sequence[str], amount: Any
) -> tuple[int | None, Any]:
    """The first purchase type present and its figure under ``windows``.

    With windows asked for, each entry carries one key per window (omitted when zero) and
    ``value`` for the account's default setting; the sum of the asked windows is the figure.
    """
    by_type = {str(e.get("action_type")): e for e in entries or () if isinstance(e, Mapping)}
    for kind in PURCHASE_ACTION_TYPES:
        entry = by_type.get(kind)
        if entry is None:
            continue
        present = [w for w in windows if w in entry]
        if present:
            return 1, sum((amount(entry[w]) for w in present), amount("0"))
        return 1, amount(entry.get("value", "0"))
    return None, amount("0")


def parse_row(
    row: Mapping[str, Any], currency: str, windows: Sequence[str] = DEFAULT_ATTRIBUTION
) -> DailyInsight:
    """One Graph insights row (``time_increment=1``) as a ``DailyInsight``."""
    _, purchases = _action_amount(row.get("actions"), windows, _count)
    _, value = _action_amount(
        row.get("action_values"), windows, lambda v: major_to_minor(v, currency)
    )
    return DailyInsight(
        day=date.fromisoformat(str(row["date_start"])),
        spend_minor=major_to_minor(row.get("spend", "0"), currency),
        impressions=_count(row.get("impressions")),
        reach=_count(row.get("reach")),
        clicks=_count(row.get("clicks")),
        purchases=int(purchases),
        purchase_value_minor=int(value),
    )


def fill_days(rows: Iterable[DailyInsight], span: DateRange) -> tuple[DailyInsight, ...]:
    """Every day of ``span``, Meta's rows where it sent one and zeros elsewhere."""
    by_day: dict[date, DailyInsight] = {}
    for row in rows:
        if span.since <= row.day <= span.until:
            by_day[row.day] = row
    return tuple(by_day.get(day, DailyInsight(day=day)) for day in span.days())
