"""What a campaign button carries in its ``value``: the campaign's AdBee id (and, on a button about
one of its ads, the ad's number), as strict JSON.

Anyone who can see a message can click its buttons, and a ``block_actions`` payload is only as
trustworthy as the client that sent it, so the value is parsed strictly and never trusted for
anything but *which* campaign: permissions and state are checked again by the service.
"""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from meta.domain.errors import AdBeeError
from meta.domain.spec import MAX_ADS_PER_ADSET

MAX_BUTTON_VALUE = 2000  # Slack's limit for a button value
_MAX_ID = 2**63 - 1  # what the database column holds


class ActionValueError(AdBeeError):
    """A button value that is not what AdBee put there: tampered with, truncated or stale."""


class ActionMetadata(BaseModel):
    """The JSON in a campaign button's ``value``: ``{"campaign_id": 12}``, or
    ``{"campaign_id": 12, "ad": 3}`` on a button about ad 3 (``AdPlan.index``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    campaign_id: int = Field(gt=0, le=_MAX_ID)
    ad: int | None = Field(default=None, gt=0, le=MAX_ADS_PER_ADSET)

    def to_value(self) -> str:
        return self.model_dump_json()

    def model_dump_json(self, **options: Any) -> str:
        """Without ``ad`` unless it names one: a campaign button's value stays exactly
        ``{"campaign_id": 12}``, as on every card posted before ads had numbers."""
        options.setdefault("exclude_none", True)
        return super().model_dump_json(**options)


class EditMetadata(BaseModel):
    """The JSON in an edit card's button ``value``: ``{"edit_id": 3}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    edit_id: int = Field(gt=0, le=_MAX_ID)

    def to_value(self) -> str:
        return self.model_dump_json()


def parse_edit_value(value: object) -> EditMetadata:
    """An edit card's button value, parsed as strictly as a campaign button's."""
    if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE:
        raise ActionValueError(_REFUSAL)
    try:
        return EditMetadata.model_validate_json(value)
    except pydantic.ValidationError:
        raise ActionValueError(_REFUSAL) from None


def parse_action_value(value: object) -> ActionMetadata:
    """Parse a button value; anything but exactly what ``to_value`` writes raises ``ActionValueError``."""
    if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE:
        raise ActionValueError(_REFUSAL)
    try:
        return ActionMetadata.model_validate_json(value)
    except pydantic.ValidationError:
        raise ActionValueError(_REFUSAL) from None


_REFUSAL = (
    "This button's data is not valid (changed or from an older AdBee message), so nothing was "
    "done. Use `/campaign status <id>` to see the campaign and act on it."
)
