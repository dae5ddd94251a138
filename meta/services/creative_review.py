"""The creative choices of a request, checked against the SDK's feature list and described.

One place answers "what will Meta run?" for every surface: ``validate`` and ``create --dry-run``
on the command line, the Slack modal's check, and the approval card (``review``), so they all
show the same names, final URL and Advantage+ choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from meta.domain.accounts import AccountConfig, AccountRegistry, AccountsFileError
from meta.domain.creative import BUNDLES, describe_policy, unknown_features
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.spec import CampaignSpec
from meta.graph.client import creative_feature_names


def known_features() -> tuple[str, ...]:
    """The features an ``opt_out`` policy names: the SDK's list without the bundles."""
    return tuple(name for name in creative_feature_names() if name not in BUNDLES)


def policy_problem(account: AccountConfig) -> str | None:
    """Why this account's ``creative.enhancements`` cannot be sent, if it cannot."""
    return unknown_features(account.creative.enhancements, known_features())


def check_accounts(accounts: AccountRegistry, source: str) -> None:
    """At start-up: refuse an accounts file naming features this API version does not know."""
    wrong = [
        f"account {account.key!r}: creative.enhancements: {problem}"
        for account in accounts.all()
        if (problem := policy_problem(account))
    ]
    if wrong:
        raise AccountsFileError(f"{source}: " + "\n  - ".join(wrong))


def check_spec_policy(spec: CampaignSpec) -> None:
    """The same check for one request (``validate`` and the modal), as a field problem."""
    problem = unknown_features(spec.creative.enhancements, known_features())
    if problem:
        raise ValidationError([FieldProblem("account", f"creative.enhancements: {problem}")])


@dataclass(frozen=True)
class CreativeReview:
    """What the approver approves besides budget and schedule: names, URL, Advantage+ choices."""

    names: dict[str, str]  # campaign, adset, creative, ad
    final_url: str
    url_tags: str | None
    choices: list[tuple[str, str]]


def review(spec: CampaignSpec) -> CreativeReview:
    return CreativeReview(
        names=spec.object_names.as_dict(),
        final_url=spec.final_url,
        url_tags=spec.url_tags,
        choices=describe_policy(spec.creative, known_features()),
    )
