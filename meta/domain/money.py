"""Money as Meta wants it: integers in the currency's minor unit, per Meta's offset table.

Meta's offsets differ from ISO-4217 for a few currencies (HUF, TWD use offset 1), so the table is
Meta's, not ``babel``'s.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, DecimalException, InvalidOperation

# Meta "currency offset" table (marketing-api/currencies): 1 means no minor unit.
_OFFSET_ONE = frozenset(
    {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}
)
SUPPORTED_CURRENCIES = frozenset(
    {"SGD", "USD", "MYR", "EUR", "GBP", "AUD", "HKD", "INR", "THB", "PHP", "NZD", "CAD"}
    | _OFFSET_ONE
)

# AdBee's OFFLINE ESTIMATE of the daily floor, in minor units: used only when Meta's own figure
# (``GET act_<id>/minimum_budgets``, see ``meta.domain.minimum_budgets``) cannot be read, e.g. by the
# offline ``validate``. No authoritative table exists (meta-api.md §7); MYR 4.12 is from a real
# 1885272 message, the others are guesses. Every message built on it says so.
MIN_DAILY_BUDGET_MINOR: dict[str, int] = {"SGD": 135, "USD": 100, "MYR": 412}
_DEFAULT_MIN_USD_CENTS = 100
# No daily budget comes near a trillion; bigger numbers are typos or attacks, and would overflow
# the decimal context further down.
MAX_AMOUNT = Decimal(10) ** 12


class MoneyError(ValueError):
    """A malformed or impossible amount; the message is meant for the user."""


def offset(currency: str) -> int:
    if currency not in SUPPORTED_CURRENCIES:
        raise MoneyError(f"currency {currency!r} is not supported")
    return 1 if currency in _OFFSET_ONE else 100


def parse_amount(value: object) -> Decimal:
    """Parse a user-typed amount ("50", "1,250.50", 50) into a positive Decimal."""
    if isinstance(value, bool) or value is None:
        raise MoneyError("must be a number, e.g. 50")
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"{value!r} is not a number; write it like 50 or 49.90") from None
    if not amount.is_finite():
        raise MoneyError("must be a finite number")
    if amount <= 0:
        raise MoneyError("must be greater than zero")
    if amount >= MAX_AMOUNT:
        raise MoneyError(f"{text[:20]}{'…' if len(text) > 20 else ''} is too large for a budget")
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units to Meta's integer, refusing sub-minor precision instead of silently rounding."""
    factor = offset(currency)
    try:
        scaled = amount * factor
        fractional = scaled != scaled.to_integral_value()
    except DecimalException:  # beyond the decimal context: absurdly large or small
        raise MoneyError(f"{currency} amount is out of range") from None
    if fractional:
        places = 2 if factor == 100 else 0
        raise MoneyError(f"{currency} amounts can have at most {places} decimal places")
    return int(scaled)


def format_minor(minor: int, currency: str) -> str:
    """Render an integer amount for people, e.g. 5000 SGD -> 'SGD 50.00'."""
    factor = offset(currency)
    if factor == 1:
        return f"{currency} {minor:,}"
    major = (Decimal(minor) / factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency} {major:,.2f}"


def minimum_daily_minor(currency: str) -> int:
    """AdBee's offline estimate of the daily floor (see ``MIN_DAILY_BUDGET_MINOR``)."""
    return MIN_DAILY_BUDGET_MINOR.get(
        currency, _DEFAULT_MIN_USD_CENTS if offset(currency) == 100 else 1
    )
