"""Markets whose ads must declare who benefits and who pays, as data.

Each regulated market names the countries that trigger it, the two fields of the accounts file
(``regulation:``) that hold the declarations, and how the ad set carries them to Meta. The
campaign check refuses a campaign whose account lacks a market's fields before anything is
uploaded, and the ad-set payload declares every market the campaign reaches, both from this one
table — adding a market is a new row, not new code.

Sources:
- Singapore and Taiwan: the ad set's ``regional_regulated_categories`` (``SINGAPORE_UNIVERSAL``,
  ``TAIWAN_UNIVERSAL``) with ``regional_regulation_identities``
  ``{singapore,taiwan}_universal_{beneficiary,payer}``, verified identity ids (SDK
  ``adobjects/regionalregulationidentities.py``; Meta's ad set reference lists the category
  names). Missing: 100/3858550 (SG) and 100/3858498 (TW) [community reports, meta-api.md §3].
- EU: ``dsa_beneficiary`` / ``dsa_payor``, free text of at most 512 characters (ad set reference,
  DSA section); the country list is ``meta.domain.countries.DSA_COUNTRIES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from meta.domain.countries import DSA_COUNTRIES


class Declarations(Protocol):
    """What the accounts file's ``regulation:`` block offers (``meta.domain.accounts.Regulation``)."""

    def declared(self, field: str) -> str | None: ...


@dataclass(frozen=True)
class RegulatedMarket:
    """One market: the countries that trigger it and where its two declarations go."""

    label: str
    countries: frozenset[str]
    beneficiary_field: str  # name in the accounts file's ``regulation:`` block
    payer_field: str
    # Singapore/Taiwan: a ``regional_regulated_categories`` value with its two identity keys;
    # the EU: None, and the declarations are top-level ad-set params of the same names.
    category: str | None
    meta_beneficiary: str
    meta_payer: str
    what: str  # what the values are, for the message that asks for them

    def applies_to(self, countries: Iterable[str]) -> list[str]:
        return sorted(set(countries) & self.countries)

    def missing(self, regulation: Declarations) -> list[str]:
        return [
            f"regulation.{field}"
            for field in (self.beneficiary_field, self.payer_field)
            if not regulation.declared(field)
        ]


SINGAPORE = RegulatedMarket(
    label="Singapore",
    countries=frozenset({"SG"}),
    beneficiary_field="singapore_beneficiary",
    payer_field="singapore_payer",
    category="SINGAPORE_UNIVERSAL",
    meta_beneficiary="singapore_universal_beneficiary",
    meta_payer="singapore_universal_payer",
    what="the verified identity ids from Business Manager",
)
TAIWAN = RegulatedMarket(
    label="Taiwan",
    countries=frozenset({"TW"}),
    beneficiary_field="taiwan_beneficiary",
    payer_field="taiwan_payer",
    category="TAIWAN_UNIVERSAL",
    meta_beneficiary="taiwan_universal_beneficiary",
    meta_payer="taiwan_universal_payer",
    what="the verified identity ids from Business Manager",
)
EU_DSA = RegulatedMarket(
    label="the EU (Digital Services Act)",
    countries=DSA_COUNTRIES,
    beneficiary_field="dsa_beneficiary",
    payer_field="dsa_payor",
    category=None,
    meta_beneficiary="dsa_beneficiary",
    meta_payer="dsa_payor",
    what="the names of the beneficiary and the payer, at most 512 characters each",
)
MARKETS: tuple[RegulatedMarket, ...] = (SINGAPORE, TAIWAN, EU_DSA)
# Every field the accounts file's ``regulation:`` block may hold.
DECLARATION_FIELDS: tuple[str, ...] = tuple(
    field for market in MARKETS for field in (market.beneficiary_field, market.payer_field)
)
# Fields holding verified identity ids (numeric), as opposed to the DSA's free-text names.
IDENTITY_FIELDS: tuple[str, ...] = tuple(
    field
    for market in MARKETS
    if market.category is not None
    for field in (market.beneficiary_field, market.payer_field)
)


def missing_declarations(
    regulation: Declarations, countries: Iterable[str], account_key: str
) -> list[str]:
    """One sentence per reached market whose declarations the account lacks (empty: all set)."""
    codes = list(countries)
    problems = []
    for market in MARKETS:
        reached = market.applies_to(codes)
        missing = market.missing(regulation)
        if reached and missing:
            problems.append(
                f"targeting {', '.join(reached)} needs {' and '.join(missing)} for account "
                f"{account_key!r} in the accounts file ({market.label}: {market.what}; "
                "see docs/setup.md)"
            )
    return problems


def adset_declarations(regulation: Declarations, countries: Iterable[str]) -> dict[str, Any]:
    """The ad-set params declaring every regulated market the campaign reaches."""
    codes = list(countries)
    params: dict[str, Any] = {}
    categories: list[str] = []
    identities: dict[str, str | None] = {}
    for market in MARKETS:
        if not market.applies_to(codes):
            continue
        beneficiary = regulation.declared(market.beneficiary_field)
        payer = regulation.declared(market.payer_field)
        if market.category is None:
            params[market.meta_beneficiary] = beneficiary
            params[market.meta_payer] = payer
        else:
            categories.append(market.category)
            identities[market.meta_beneficiary] = beneficiary
            identities[market.meta_payer] = payer
    if categories:
        params["regional_regulated_categories"] = categories
        params["regional_regulation_identities"] = identities
    return params


def declared_identities(regulations: Iterable[object]) -> set[str]:
    """Every verified identity id the given ``regulation:`` blocks name (to seed an emulator)."""
    return {
        str(value)
        for regulation in regulations
        for field in IDENTITY_FIELDS
        if (value := getattr(regulation, field, None))
    }
