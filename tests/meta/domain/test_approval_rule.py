"""``approval:`` in the accounts file: big budgets name their approvers; bad entries are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from meta.domain.access import Actor, StaticAccessPolicy
from meta.domain.accounts import AccountsFileError, load_accounts

ACCOUNT = """
accounts:
  sg:
    name: SG
    ad_account_id: act_1
    page_id: "1"
    pixel_id: "2"
    currency: SGD
    timezone: Asia/Singapore
    max_daily_budget: 2000
{approval}
"""


def load(tmp_path: Path, approval: str):
    path = tmp_path / "accounts.yaml"
    path.write_text(ACCOUNT.format(approval=approval))
    return load_accounts(path)


def test_the_shipped_accounts_file_asks_the_big_spend_group_above_500():
    account = load_accounts(Path("configs/accounts.yaml")).get("iflytek-sg")
    assert account is not None
    assert account.approval.budget_above == 500
    assert account.approval.approvers == ("S0BIGSPEND",)
    assert account.big_spend_approvers(50_000) == ()  # SGD 500.00 exactly: ordinary approvers
    assert account.big_spend_approvers(50_001) == ("S0BIGSPEND",)


def test_no_approval_section_means_no_extra_approvers(tmp_path):
    account = load(tmp_path, "").get("sg")
    assert account is not None and account.big_spend_approvers(10**9) == ()


@pytest.mark.parametrize(
    ("approval", "message"),
    [
        ("    approval: {budget_above: 500}", "budget_above and approvers go together"),
        ("    approval: {approvers: [U1AB]}", "budget_above and approvers go together"),
        ("    approval: {budget_above: 500, approvers: [bigspend]}", "'bigspend': not Slack ids"),
        (
            "    approval: {budget_above: 2000, approvers: [S0BIG]}",
            "must be below max_daily_budget",
        ),
        ("    approval: {budget_above: 500, approvers: [S0BIG], typo: 1}", "approval.typo"),
    ],
)
def test_a_wrong_approval_section_names_the_fix(tmp_path, approval, message):
    with pytest.raises(AccountsFileError, match="account 'sg'") as caught:
        load(tmp_path, approval)
    assert message in str(caught.value)


def test_user_groups_count_as_their_members():
    policy = StaticAccessPolicy(
        approvers=frozenset({"U_BOB"}), groups={"S0BIG": frozenset({"U_CFO"})}, team_id="T1"
    )
    assert policy.is_one_of(Actor("U_CFO", "T1"), ["S0BIG"])
    assert policy.is_one_of(Actor("U_ANN", "T1"), ["S0BIG", "U_ANN"])
    assert not policy.is_one_of(Actor("U_BOB", "T1"), ["S0BIG"])
    assert not policy.is_one_of(Actor("U_CFO", "T0OTHER"), ["S0BIG"])
