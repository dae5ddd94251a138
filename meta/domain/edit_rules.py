"""Which edits an account applies without an approver (``edits:`` in accounts.yaml).

Its own module so the accounts file's model can name it without importing the edit logic.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator


class EditKind(StrEnum):
    """The kinds of change an account's ``edits.auto_apply`` may list (a contract: keep names)."""

    LOWER_BUDGET = "lower_budget"
    RAISE_BUDGET = "raise_budget"
    END_EARLIER = "end_earlier"
    EXTEND_END = "extend_end"  # a later end, or no end any more
    COUNTRIES = "countries"
    TEXTS_BEFORE_LIVE = "texts_before_live"  # primary text, headline, description
    TEXTS_WHEN_LIVE = "texts_when_live"
    CREATIVE_BEFORE_LIVE = "creative_before_live"  # link, call to action, URL tags
    CREATIVE_WHEN_LIVE = "creative_when_live"
    # A new or additional video or image: always waits for an approver (issue 16: "new creative"),
    # so it may not be listed in auto_apply.
    NEW_CREATIVE = "new_creative"


# What applies without an approver unless the account says otherwise: changes that spend less or
# stop sooner, and text fixes while nobody sees the ad yet.
DEFAULT_AUTO_APPLY = (EditKind.LOWER_BUDGET, EditKind.END_EARLIER, EditKind.TEXTS_BEFORE_LIVE)


class EditRules(BaseModel):
    """``edits:`` of an account in accounts.yaml: ``auto_apply`` lists the ``EditKind`` names
    applied at once; everything else waits for an approver (docs/editing.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_apply: tuple[EditKind, ...] = DEFAULT_AUTO_APPLY

    @field_validator("auto_apply")
    @classmethod
    def _never_new_creative(cls, value: tuple[EditKind, ...]) -> tuple[EditKind, ...]:
        if EditKind.NEW_CREATIVE in value:
            raise ValueError(
                "new_creative cannot be applied without an approver: a new video or image is "
                "always approved first"
            )
        return value
