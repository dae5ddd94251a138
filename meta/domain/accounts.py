"""Client ad accounts from ``configs/accounts.yaml``, validated once at start-up.

A bad accounts file stops the process with a message naming the account and field, instead of
failing later in the middle of someone's campaign creation.
"""

from __future__ import annotations

import logging
import re
from datetime import time
from decimal import Decimal
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from meta.domain.creative import CreativePolicy, Naming
from meta.domain.edit_rules import EditRules
from meta.domain.money import SUPPORTED_CURRENCIES, to_minor
from meta.domain.regulation import IDENTITY_FIELDS
from meta.domain.times import TimeParseError, zone
from meta.domain.yaml_files import load_yaml_file

log = logging.getLogger(__name__)
_NUMERIC_ID = re.compile(r"^\d{1,20}$")


class AccountsFileError(ValueError):
    """The accounts file is missing or wrong; the message names the account and field."""


# Names accounts files in the wild used before the ``regulation:`` fields settled (Meta's own
# key names, and "payer" for the DSA's "payor"); still read, with a warning naming the new one.
DEPRECATED_REGULATION_NAMES: dict[str, str] = {
    "singapore_universal_beneficiary": "singapore_beneficiary",
    "singapore_universal_payer": "singapore_payer",
    "taiwan_universal_beneficiary": "taiwan_beneficiary",
    "taiwan_universal_payer": "taiwan_payer",
    "dsa_payer": "dsa_payor",
}


class Regulation(BaseModel):
    """Who benefits from and who pays for the ads, per regulated market (``meta.domain.regulation``).

    Singapore and Taiwan take verified identity ids (numbers from Business Manager, never names);
    the EU's Digital Services Act takes names.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    singapore_beneficiary: str | None = None
    singapore_payer: str | None = None
    taiwan_beneficiary: str | None = None
    taiwan_payer: str | None = None
    dsa_beneficiary: str | None = Field(default=None, max_length=512)
    dsa_payor: str | None = Field(default=None, max_length=512)

    @field_validator(*IDENTITY_FIELDS, mode="before")
    @classmethod
    def _numeric_identity(cls, value: object) -> object:
        if value is None:
            return None
        text = str(value)
        if not _NUMERIC_ID.match(text):
            raise ValueError("must be the numeric verified identity id from Business Manager")
        return text

    def declared(self, field: str) -> str | None:
        """The value of one declaration field (``meta.domain.regulation`` reads them by name)."""
        value = getattr(self, field)
        return str(value) if value else None


def _regulation_aliases(key: str, body: dict) -> tuple[dict, list[str]]:
    """Rename deprecated ``regulation:`` fields; returns the body and one warning per rename."""
    regulation = body.get("regulation")
    if not isinstance(regulation, dict):
        return body, []
    renamed = dict(regulation)
    warnings = []
    for old, new in DEPRECATED_REGULATION_NAMES.items():
        if old not in renamed:
            continue
        if new in renamed:
            raise AccountsFileError(
                f"account {key!r}: regulation.{old} and regulation.{new} are the same field; "
                f"keep only regulation.{new}"
            )
        renamed[new] = renamed.pop(old)
        warnings.append(
            f"account {key!r}: regulation.{old} is deprecated; rename it to regulation.{new}"
        )
    return {**body, "regulation": renamed}, warnings


_SLACK_PERSON_OR_GROUP = re.compile(r"^[UWS][A-Z0-9_]{2,}$")


class ApprovalRule(BaseModel):
    """Who must approve what, beyond ``APPROVER_IDS`` (``approval:`` in the accounts file).

    ``budget_above``: a daily budget above it (major units) needs an approver from ``approvers``
    (Slack user ids U.../W... or user group ids S...) instead of being refused outright; above
    ``max_daily_budget`` it is still refused. ``reschedule_within_hours``: a reschedule that moves
    the start by more than this needs a new approval (absent: a reschedule keeps the approval).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget_above: Decimal | None = Field(default=None, gt=0)
    approvers: tuple[str, ...] = ()
    reschedule_within_hours: Decimal | None = Field(default=None, ge=0)

    @field_validator("approvers", mode="before")
    @classmethod
    def _slack_ids(cls, value: object) -> object:
        if value is None:
            return ()
        items = [str(item) for item in value] if isinstance(value, list | tuple) else [value]
        wrong = [item for item in items if not _SLACK_PERSON_OR_GROUP.match(str(item))]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(item) for item in wrong)}: not Slack ids; use user ids "
                "(U0123456789) or user group ids (S0123456789), not names"
            )
        return tuple(items)

    @model_validator(mode="after")
    def _both_or_neither(self) -> ApprovalRule:
        if (self.budget_above is None) != (not self.approvers):
            raise ValueError(
                "budget_above and approvers go together: the approvers approve budgets above it"
            )
        return self


class AccountConfig(BaseModel):
    """One client ad account, as the ops team configures it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: str
    ad_account_id: str
    page_id: str
    instagram_user_id: str | None = None
    pixel_id: str
    currency: str
    timezone: str
    max_daily_budget: Decimal | None = Field(
        default=None, gt=0, description="Guardrail in major units; larger budgets are refused."
    )
    regulation: Regulation = Field(default_factory=Regulation)
    approval: ApprovalRule = Field(default_factory=ApprovalRule)
    # Overrides of DIGEST_TIME and PACING_NO_PURCHASE_SPEND for this account (local time; major
    # units of its currency), docs/operations.md.
    digest_time: time | None = None
    pacing_no_purchase_spend: Decimal | None = Field(default=None, gt=0)
    # Advantage+ creative choices and object names (meta.domain.creative, docs/creative-controls.md).
    creative: CreativePolicy = Field(default_factory=CreativePolicy)
    naming: Naming = Field(default_factory=Naming)
    # Which edits of a campaign apply without an approver (meta.domain.edit_rules, docs/editing.md).
    edits: EditRules = Field(default_factory=EditRules)
    # The client's own Slack channel (C... or G...), where its creations are posted instead of
    # CAMPAIGNS_CHANNEL: an agency has a channel per client, and Slack's posting rate (about one
    # message per second) is per channel, so a launch across clients is not queued behind one.
    channel: str | None = None

    @model_validator(mode="after")
    def _threshold_below_cap(self) -> AccountConfig:
        above, cap = self.approval.budget_above, self.max_daily_budget
        if above is not None and cap is not None and above >= cap:
            raise ValueError(
                f"approval.budget_above ({above}) must be below max_daily_budget ({cap}): "
                "budgets above max_daily_budget are refused whoever approves"
            )
        return self

    def big_spend_approvers(self, daily_budget_minor: int) -> tuple[str, ...]:
        """The approvers a daily budget needs beyond the usual ones; () when it needs none."""
        above = self.approval.budget_above
        if above is None or daily_budget_minor <= to_minor(above, self.currency):
            return ()
        return self.approval.approvers

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_id(cls, value: object) -> object:
        if value is None:
            return None
        text = str(value)
        if not re.fullmatch(r"[CG][A-Z0-9_]{2,}", text):
            raise ValueError(
                "must be a channel id like C0123456789 (in Slack: the channel's name > About), "
                "not its name"
            )
        return text

    @field_validator("ad_account_id", mode="before")
    @classmethod
    def _account_id(cls, value: object) -> str:
        text = str(value)
        if not re.fullmatch(r"act_\d{1,20}", text):
            raise ValueError("must look like act_1234567890")
        return text

    @field_validator("page_id", "pixel_id", "instagram_user_id", mode="before")
    @classmethod
    def _numeric(cls, value: object) -> object:
        if value is None:
            return None
        text = str(value)
        if not _NUMERIC_ID.match(text):
            raise ValueError("must be a numeric id (quote it in YAML)")
        return text

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in SUPPORTED_CURRENCIES:
            raise ValueError(
                f"unsupported currency; use one of {', '.join(sorted(SUPPORTED_CURRENCIES))}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zone(value)
        except TimeParseError as exc:
            raise ValueError(str(exc)) from None
        return value


class AccountRegistry:
    """The configured accounts, looked up by the short key users type."""

    def __init__(self, accounts: dict[str, AccountConfig]) -> None:
        self._accounts = dict(accounts)

    def get(self, key: str) -> AccountConfig | None:
        return self._accounts.get(key)

    def all(self) -> list[AccountConfig]:
        return list(self._accounts.values())

    def keys(self) -> list[str]:
        return list(self._accounts)


def load_accounts(path: Path) -> AccountRegistry:
    try:
        data = load_yaml_file(path)
    except ValueError as exc:
        raise AccountsFileError(str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), dict):
        raise AccountsFileError(f"{path}: expected a top-level 'accounts:' mapping")
    accounts: dict[str, AccountConfig] = {}
    # Every account is checked before anything is reported, so one run lists all the fixes.
    wrong: list[str] = []
    for key, body in data["accounts"].items():
        if not isinstance(body, dict):
            wrong.append(f"account {key!r} must be a mapping")
            continue
        try:
            body, renames = _regulation_aliases(str(key), body)
        except AccountsFileError as exc:
            raise AccountsFileError(f"{path}: {exc}") from None
        for warning in renames:
            log.warning("%s: %s", path, warning)
        try:
            accounts[str(key)] = AccountConfig(key=str(key), **body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: "
                f"{str(err['msg']).removeprefix('Value error, ')}"
                for err in exc.errors()
            )
            wrong.append(f"account {key!r}: {problems}")
    if len(wrong) == 1:
        raise AccountsFileError(f"{path}: {wrong[0]}")
    if wrong:
        raise AccountsFileError(
            f"{path}: {len(wrong)} accounts have problems:\n  - " + "\n  - ".join(wrong)
        )
    if not accounts:
        raise AccountsFileError(f"{path}: no accounts configured")
    return AccountRegistry(accounts)
