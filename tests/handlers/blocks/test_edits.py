"""The edit modal pre-filled from Meta, the form read back, an edit's card and the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.blocks.edits import (
    EditCard,
    build_edit_card,
    build_edit_modal,
    build_edit_sent_modal,
    build_history,
)
from handlers.edit_form import field_errors, parse_edit_form
from handlers.ids import CampaignEditBlock, EditAction
from handlers.metadata import parse_edit_value
from meta.domain.edits import MetaState
from meta.domain.records import EditStatus
from tests.handlers.factories import assert_escaped, assert_slack_accepts, state_from_view

END = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 in Singapore
STATE = MetaState(
    live=True,
    daily_budget=5000,
    budget_object="campaign",
    start_time=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    end_time=END,
    countries=("SG", "MY"),
    primary_text="Meet AINOTE 2 <!channel>",
    headline="AINOTE 2 is here",
    description=None,
    link="https://shop.example.com/sg",
    call_to_action="SHOP_NOW",
    url_tags="utm_source=meta",
)


def modal() -> dict:
    return build_edit_modal(
        campaign_id=12, name="AINOTE2 <b>", state=STATE, currency="SGD", tz="Asia/Singapore"
    )


def test_the_modal_holds_what_meta_shows_and_slack_accepts_it() -> None:
    view = modal()
    assert_slack_accepts("modal", view)
    assert_escaped(view)
    values = state_from_view(view)
    assert values[CampaignEditBlock.DAILY_BUDGET]["campaign-edit-daily-budget-input"]["value"] == (
        "50.00"
    )
    assert parse_edit_form(values, "Asia/Singapore") == {
        "daily_budget": "50.00",
        "end_time": "2026-12-31 23:59",
        "countries": "SG, MY",
        "primary_text": "Meet AINOTE 2 <!channel>",
        "headline": "AINOTE 2 is here",
        "description": "none",
        "link": "https://shop.example.com/sg",
        "call_to_action": "SHOP_NOW",
        "url_tags": "utm_source=meta",
    }


def test_a_changed_input_is_read_as_typed() -> None:
    view = modal()
    values = state_from_view(
        view,
        **{
            CampaignEditBlock.DAILY_BUDGET.value: {"value": "80"},
            CampaignEditBlock.END_TIME.value: {"selected_date_time": None},
        },
    )
    wanted = parse_edit_form(values, "Asia/Singapore")
    assert wanted["daily_budget"] == "80"
    assert "end_time" not in wanted  # an emptied end changes nothing (the CLI's none clears it)


def test_problems_land_on_their_inputs() -> None:
    errors = field_errors([("daily_budget", "too big"), ("end_time", "in the past")])
    assert errors == {
        CampaignEditBlock.DAILY_BUDGET.value: "too big",
        CampaignEditBlock.END_TIME.value: "in the past",
    }


def test_the_sent_view_shows_the_diff_in_two_parts() -> None:
    view = build_edit_sent_modal(
        name="AINOTE2",
        now=["Daily budget: SGD 50.00 → SGD 40.00"],
        later=["Countries: SG → SG, MY"],
        approvers=None,
    )
    assert_slack_accepts("modal", view)
    text = str(view)
    assert "Applied now" in text and "Sent for approval" in text and "SGD 40.00" in text


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (EditStatus.AWAITING_APPROVAL, [EditAction.APPROVE, EditAction.REJECT]),
        (EditStatus.INCOMPLETE, [EditAction.FINISH, EditAction.UNDO]),
        (EditStatus.APPLIED, []),
        (EditStatus.REFUSED, []),
    ],
)
def test_an_edit_card_offers_what_can_be_done_next(
    status: EditStatus, buttons: list[EditAction]
) -> None:
    card = build_edit_card(
        EditCard(
            edit_id=3,
            campaign_id=12,
            campaign_name="AINOTE2 <!here>",
            status=status,
            lines=("Daily budget: SGD 50.00 → SGD 80.00",),
            requested_by="U0REQUESTER",
            error="Meta refused step 'switched'" if status is EditStatus.INCOMPLETE else None,
            done=("creative",) if status is EditStatus.INCOMPLETE else (),
            creative_id="120" if status is EditStatus.APPLIED else None,
        )
    )
    assert_slack_accepts("message", card)
    assert_escaped(card)
    found = [
        element
        for block in card["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [e["action_id"] for e in found] == buttons
    for element in found:
        assert parse_edit_value(element["value"]).edit_id == 3
    assert "SGD 50.00 → SGD 80.00" in str(card)


def test_history_is_private_and_escaped() -> None:
    reply = build_history("AINOTE2", 12, ["Tue 1 Dec · U0A · edit applied (ok): <!channel>"])
    assert reply["response_type"] == "ephemeral"
    assert_slack_accepts("message", reply)
    assert_escaped(reply)
