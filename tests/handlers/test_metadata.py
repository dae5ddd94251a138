"""Button values carry only a campaign id, and anything else is refused with a clear message."""

from __future__ import annotations

import pytest

from handlers.forms import ActionMetadata, ActionValueError, parse_action_value
from meta.domain.errors import AdBeeError


def test_value_round_trips():
    value = ActionMetadata(campaign_id=12).to_value()
    assert value == '{"campaign_id":12}'
    assert parse_action_value(value) == ActionMetadata(campaign_id=12)


@pytest.mark.parametrize(
    "tampered",
    [
        "",
        "12",
        "null",
        "[12]",
        "{}",
        '{"campaign_id": "12"}',
        '{"campaign_id": 12.0}',
        '{"campaign_id": true}',
        '{"campaign_id": 0}',
        '{"campaign_id": -5}',
        '{"campaign_id": 99999999999999999999999}',
        '{"campaign_id": 12, "approve": true}',
        '{"campaign_id": 12',
        "x" * 2001,
        None,
        12,
    ],
)
def test_tampered_values_are_refused(tampered):
    with pytest.raises(ActionValueError) as caught:
        parse_action_value(tampered)
    assert isinstance(caught.value, AdBeeError)  # the global error handler shows its message
    assert "not valid" in caught.value.message
    assert "/campaign status" in caught.value.message
