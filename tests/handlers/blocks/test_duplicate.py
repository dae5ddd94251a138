"""The Duplicate modal: the create form filled from a campaign, saying what it copies, and the
Duplicate button on campaign cards."""

from __future__ import annotations

from handlers.blocks.campaign_parts import card_buttons
from handlers.blocks.duplicate import build_duplicate_modal
from handlers.forms import parse_campaign_form
from handlers.ids import CampaignAction, CampaignCreateBlock
from handlers.modal_memory import recall
from tests.handlers.factories import (
    assert_escaped,
    assert_slack_accepts,
    make_account,
    make_summary,
    state_from_view,
)

PREFILL = {
    "account": "iflytek-sg",
    "name": "AINOTE2 launch SG (copy)",
    "daily_budget": "50",
    "start_time": "2026-12-03T12:00:00+00:00",
    "countries": ["SG"],
    "primary_text": "Meet AINOTE 2 <!channel>",
    "headline": "AINOTE 2 is here",
    "link": "https://shop.example.com/sg",
    "call_to_action": "SHOP_NOW",
    "video": "/srv/adbee/uploads/request-3/1/ainote2.mp4",
}


def modal() -> dict:
    return build_duplicate_modal(
        accounts=[make_account(), make_account(key="iflytek-my", currency="MYR")],
        prefill=PREFILL,
        source_id=3,
        source_name="AINOTE2 launch SG <!here>",
        source_account="iflytek-sg",
        videos=[str(PREFILL["video"])],
        notes=["The source's start has passed: the duplicate starts in about an hour."],
    )


def test_the_form_says_what_it_copies_and_comes_back_as_a_duplicate():
    view = modal()
    assert view["title"]["text"] == "Duplicate campaign"
    about = next(
        b for b in view["blocks"] if b.get("block_id") == "campaign-create-duplicate-intro"
    )
    assert "#3 AINOTE2 launch SG" in str(about) and "nothing is uploaded" in str(about)
    assert "starts in about an hour" in str(about)
    video = next(b for b in view["blocks"] if b.get("block_id") == CampaignCreateBlock.VIDEO)
    assert "Leave empty to use the source's ainote2.mp4" in video["hint"]["text"]
    assert "/srv/adbee" not in str(view)  # the server's paths are not shown
    assert_slack_accepts("modal", view)
    assert_escaped(view)

    form = parse_campaign_form(state_from_view(view), remembered=recall(view["private_metadata"]))
    assert form.duplicate_of == "3"
    assert form.name == "AINOTE2 launch SG (copy)" and form.countries == ("SG",)
    assert form.problems(video_required=False) == {}


def test_a_form_that_is_not_a_duplicate_reads_as_none():
    form = parse_campaign_form({}, remembered={"duplicate_of": "3; drop table"})
    assert form.duplicate_of is None


def test_cards_of_campaigns_made_in_meta_offer_duplicate():
    def actions(status: str) -> list[str]:
        blocks = card_buttons(make_summary(status=status))
        return [e["action_id"] for b in blocks for e in b["elements"]]

    assert CampaignAction.DUPLICATE in actions("active")
    assert CampaignAction.DUPLICATE in actions("cancelled")
    assert CampaignAction.DUPLICATE not in actions("rejected")  # deleted from Meta
    assert CampaignAction.DUPLICATE not in actions("creating")
    assert CampaignAction.DUPLICATE not in actions("rolled_back")
