"""Which edits apply at once and which wait for an approver, by the account's ``edits:`` rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError as PydanticError

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.edit_rules import DEFAULT_AUTO_APPLY, EditKind, EditRules
from meta.domain.edits import (
    Approval,
    EditField,
    EditPlan,
    MetaState,
    parse_assignments,
    parse_wanted,
    propose,
)
from meta.domain.errors import ValidationError
from meta.domain.minimum_budgets import offline_floors

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
START = NOW + timedelta(days=2)


def state(*, live: bool = False) -> MetaState:
    return MetaState(
        live=live,
        daily_budget=5000,
        budget_object="campaign",
        start_time=START,
        end_time=START + timedelta(days=10),
        countries=("SG",),
        primary_text="Meet AINOTE 2",
        headline="AINOTE 2 is here",
        link="https://shop.example.com/sg",
        call_to_action="SHOP_NOW",
    )


def wanted(account: AccountConfig, current: MetaState, **raw: str) -> dict:
    return parse_wanted(raw, account=account, state=current, now=NOW, floors=offline_floors("test"))


@pytest.fixture
def sg(accounts: AccountRegistry) -> AccountConfig:
    account = accounts.get("iflytek-sg")
    assert account is not None
    return account


def test_by_default_spending_less_and_text_fixes_before_going_live_apply_at_once(
    sg: AccountConfig,
) -> None:
    assert sg.edits.auto_apply == DEFAULT_AUTO_APPLY
    current = state()
    proposal = propose(
        current,
        wanted(
            sg,
            current,
            daily_budget="40",
            end_time=(START + timedelta(days=5)).strftime("%Y-%m-%d %H:%M"),
            headline="AINOTE 2 is in",
            countries="SG, MY",
            link="https://shop.example.com/sg/new",
        ),
        sg,
    )
    assert proposal.now is not None and proposal.later is not None
    assert proposal.now.fields == {EditField.DAILY_BUDGET, EditField.END_TIME, EditField.HEADLINE}
    assert proposal.later.fields == {EditField.COUNTRIES, EditField.LINK}
    assert proposal.later.approval is Approval.APPROVER


def test_on_a_live_campaign_texts_need_an_approver_and_a_raise_always_does(
    sg: AccountConfig,
) -> None:
    current = state(live=True)
    proposal = propose(
        current, wanted(sg, current, daily_budget="80", primary_text="Fixed typo"), sg
    )
    assert proposal.now is None and proposal.later is not None
    kinds = {c.kind for c in proposal.later.changes}
    assert kinds == {EditKind.RAISE_BUDGET, EditKind.TEXTS_WHEN_LIVE}


def test_a_budget_above_the_threshold_needs_the_big_spend_approvers_even_if_auto(
    sg: AccountConfig,
) -> None:
    generous = sg.model_copy(update={"edits": EditRules(auto_apply=(EditKind.RAISE_BUDGET,))})
    current = state()
    small = propose(current, wanted(generous, current, daily_budget="80"), generous)
    assert small.now is not None and small.later is None
    big = propose(current, wanted(generous, current, daily_budget="600"), generous)
    assert big.now is None and big.later is not None
    assert big.later.approval is Approval.BIG_SPEND and big.later.approvers == ("S0BIGSPEND",)


def test_the_diff_reads_in_the_account_s_currency_and_timezone_and_survives_storage(
    sg: AccountConfig,
) -> None:
    current = state()
    plan = propose(
        current,
        wanted(sg, current, daily_budget="45.50", end_time="2026-12-08 23:59"),
        sg,
    ).now
    assert plan is not None
    again = EditPlan.from_json(plan.to_json())
    assert again == plan
    assert again.lines(sg.currency, sg.timezone) == [
        "Daily budget: SGD 50.00 → SGD 45.50",
        "End time: Sun 13 Dec 2026, 14:00 SGT → Tue 8 Dec 2026, 23:59 SGT",
    ]


def test_unchanged_values_are_no_change(sg: AccountConfig) -> None:
    current = state()
    assert propose(current, wanted(sg, current, daily_budget="50", countries="SG"), sg).empty


def test_each_bad_value_names_its_field(sg: AccountConfig) -> None:
    with pytest.raises(ValidationError) as refused:
        wanted(
            sg,
            state(),
            daily_budget="3000",
            end_time=(START + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"),
            call_to_action="CLICK_ME",
            start_time="2026-12-05 10:00",
        )
    problems = {p.field: p.message for p in refused.value.problems}
    assert set(problems) == {"daily_budget", "end_time", "call_to_action", "start_time"}
    assert "max_daily_budget" in problems["daily_budget"]
    assert "24 hours after the start" in problems["end_time"]


def test_cli_assignments_are_name_equals_value() -> None:
    assert parse_assignments(["daily_budget=80", "primary_text=a=b"]) == {
        "daily_budget": "80",
        "primary_text": "a=b",
    }
    with pytest.raises(ValidationError):
        parse_assignments(["daily_budget"])


def test_an_accounts_file_names_only_known_edit_kinds(sg: AccountConfig) -> None:
    body = sg.model_dump(exclude={"edits"})
    ok = AccountConfig(**body, edits={"auto_apply": ["lower_budget", "countries"]})
    assert ok.edits.auto_apply == (EditKind.LOWER_BUDGET, EditKind.COUNTRIES)
    with pytest.raises(PydanticError, match="auto_apply"):
        AccountConfig(**body, edits={"auto_apply": ["everything"]})
