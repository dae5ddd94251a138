"""The create modal: one input per domain field, prefilled from templates, valid for any prefill."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks.block_elements import FileInputElement

from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.ids import FIELD_TO_BLOCK, CampaignCreate, CampaignCreateAction, CampaignCreateBlock
from meta.domain.spec import CTA_TYPES, FIELDS, TEXT_LIMITS
from tests.handlers.factories import HOSTILE, assert_slack_accepts, make_account

SG = make_account()
MY = make_account(
    key="iflytek-my", name="iFLYTEK Malaysia", currency="MYR", timezone="Asia/Kuala_Lumpur"
)
JP = make_account(
    key="acme-jp", name="Acme Japan", currency="JPY", timezone="Asia/Tokyo", max_daily_budget=None
)
TEMPLATES = [("launch", "Product launch"), ("sale", "Seasonal sale")]


def blocks_by_id(view):
    return {b.get("block_id"): b for b in view["blocks"]}


def element(view, block):
    return blocks_by_id(view)[block]["element"]


def plain_strings(value):
    """No enum members or other str subclasses leak into the payload."""
    if isinstance(value, dict):
        return all(type(k) is str and plain_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_strings(v) for v in value)
    return not isinstance(value, str) or type(value) is str


def test_modal_shell():
    view = build_campaign_modal(accounts=[SG, MY], templates=TEMPLATES, private_metadata="C0CHAN")
    assert view["type"] == "modal"
    assert view["callback_id"] == CampaignCreate.CALLBACK == "campaign-create"
    assert view["title"]["text"] == "New campaign"
    assert view["submit"]["text"] == "Create"
    assert view["close"]["text"] == "Cancel"
    assert view["private_metadata"] == "C0CHAN"
    assert plain_strings(view)
    assert_slack_accepts("modal", view)


def test_one_input_block_per_domain_field_plus_template_and_video_link():
    view = build_campaign_modal(accounts=[SG], templates=TEMPLATES)
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs == {FIELD_TO_BLOCK[f] for f in FIELDS} | {
        CampaignCreateBlock.TEMPLATE,
        CampaignCreateBlock.VIDEO_LINK,
    }
    optional = {b["block_id"] for b in view["blocks"] if b.get("optional")}
    # The video is checked by the form (a file, a link, or a template's video), not by Slack.
    assert optional == {
        CampaignCreateBlock.TEMPLATE,
        CampaignCreateBlock.END_TIME,
        CampaignCreateBlock.DESCRIPTION,
        CampaignCreateBlock.VIDEO,
        CampaignCreateBlock.VIDEO_LINK,
        CampaignCreateBlock.URL_TAGS,  # empty: the account's url_tags
    }


def test_no_template_block_without_templates():
    view = build_campaign_modal(accounts=[SG], templates=[])
    assert CampaignCreateBlock.TEMPLATE not in blocks_by_id(view)


def test_template_and_account_dispatch_so_the_modal_can_update():
    view = build_campaign_modal(accounts=[SG, MY], templates=TEMPLATES)
    blocks = blocks_by_id(view)
    assert blocks[CampaignCreateBlock.TEMPLATE]["dispatch_action"] is True
    assert blocks[CampaignCreateBlock.ACCOUNT]["dispatch_action"] is True
    assert element(view, CampaignCreateBlock.TEMPLATE)["action_id"] == CampaignCreateAction.TEMPLATE


def test_account_options_show_currency_and_timezone():
    options = element(
        build_campaign_modal(accounts=[SG, MY], templates=[]), CampaignCreateBlock.ACCOUNT
    )["options"]
    assert [o["value"] for o in options] == ["iflytek-sg", "iflytek-my"]
    assert options[1]["text"]["text"] == "iFLYTEK Malaysia · MYR · Asia/Kuala_Lumpur"


def test_budget_label_follows_the_selected_account():
    def label(**kwargs):
        view = build_campaign_modal(accounts=[SG, MY, JP], templates=[], **kwargs)
        return blocks_by_id(view)[CampaignCreateBlock.DAILY_BUDGET]["label"]["text"]

    assert label() == "Daily budget (SGD)"
    assert label(selected_account="iflytek-my") == "Daily budget (MYR)"
    assert label(prefill={"account": "acme-jp"}) == "Daily budget (JPY)"
    assert label(selected_account="gone") == "Daily budget (SGD)"


def test_budget_decimals_follow_the_currency():
    sgd = element(
        build_campaign_modal(accounts=[SG], templates=[]), CampaignCreateBlock.DAILY_BUDGET
    )
    jpy = element(
        build_campaign_modal(accounts=[JP], templates=[]), CampaignCreateBlock.DAILY_BUDGET
    )
    assert sgd["type"] == "number_input" and sgd["is_decimal_allowed"] is True
    assert jpy["is_decimal_allowed"] is False


def test_times_explain_the_timezone():
    view = build_campaign_modal(accounts=[SG], templates=[])
    start = blocks_by_id(view)[CampaignCreateBlock.START_TIME]
    assert start["element"]["type"] == "datetimepicker"
    assert start["hint"]["text"].startswith(
        "Shown in your Slack timezone; the campaign runs in the account's timezone"
    )
    assert "Asia/Singapore" in start["hint"]["text"]


def test_videos_are_up_to_ten_files_in_any_format_meta_accepts():
    video = element(build_campaign_modal(accounts=[SG], templates=[]), CampaignCreateBlock.VIDEO)
    assert video["type"] == "file_input"
    assert video["action_id"] == CampaignCreateAction.VIDEO
    # Slack's most for one file input (slack_sdk's FileInputElement: "maximum of 10").
    parsed = FileInputElement(**{k: v for k, v in video.items() if k != "type"})
    assert parsed.max_files == 10
    assert {"mp4", "mov", "webm", "mkv", "avi", "ts", "3gp", "gif"} <= set(parsed.filetypes or ())


def test_several_texts_fit_in_their_boxes_and_the_hints_say_how():
    view = build_campaign_modal(accounts=[SG], templates=[])
    primary = blocks_by_id(view)[CampaignCreateBlock.PRIMARY_TEXT]
    headline = blocks_by_id(view)[CampaignCreateBlock.HEADLINE]
    assert "line of three dashes (---)" in primary["hint"]["text"]
    assert "one per line" in headline["hint"]["text"]
    assert headline["element"]["multiline"] is True
    # Five headlines of Meta's 255 characters and their line breaks fit; 3000 is Slack's most.
    assert headline["element"]["max_length"] == 5 * 256
    assert primary["element"]["max_length"] == 3000


def test_a_prefill_with_lists_of_texts_shows_them_in_their_boxes():
    prefill = {"primary_texts": ["Meet AINOTE 2", "Notes that\nwrite themselves"],
               "headlines": ["Here", "Now"]}  # fmt: skip
    view = build_campaign_modal(accounts=[SG], templates=[], prefill=prefill)
    primary = element(view, CampaignCreateBlock.PRIMARY_TEXT)["initial_value"]
    assert primary == "Meet AINOTE 2\n---\nNotes that\nwrite themselves"
    assert element(view, CampaignCreateBlock.HEADLINE)["initial_value"] == "Here\nNow"
    assert_slack_accepts("modal", view)


def test_texts_use_the_domain_limits_and_cta_lists_every_type():
    view = build_campaign_modal(accounts=[SG], templates=[])
    assert element(view, CampaignCreateBlock.NAME)["max_length"] == TEXT_LIMITS["name"]
    primary = element(view, CampaignCreateBlock.PRIMARY_TEXT)
    assert primary["multiline"] is True
    cta = element(view, CampaignCreateBlock.CALL_TO_ACTION)
    assert [o["value"] for o in cta["options"]] == list(CTA_TYPES)
    assert cta["initial_option"]["value"] == "SHOP_NOW"
    assert element(view, CampaignCreateBlock.LINK)["type"] == "url_text_input"


def test_prefill_sets_initial_values():
    prefill = {
        "template": "launch",
        "account": "iflytek-sg",
        "name": "Launch",
        "daily_budget": 50,
        "start_time": "2026-12-03 20:00",
        "end_time": "2026-12-10T20:00:00+08:00",
        "countries": "SG, MY",
        "primary_text": "Text",
        "headline": "Head",
        "link": "https://shop.example.com",
        "call_to_action": "learn more",
        "video": "creatives/ainote2.mp4",
    }
    view = build_campaign_modal(accounts=[SG, MY], templates=TEMPLATES, prefill=prefill)
    assert element(view, CampaignCreateBlock.TEMPLATE)["initial_option"]["value"] == "launch"
    assert element(view, CampaignCreateBlock.ACCOUNT)["initial_option"]["value"] == "iflytek-sg"
    assert element(view, CampaignCreateBlock.NAME)["initial_value"] == "Launch"
    assert element(view, CampaignCreateBlock.DAILY_BUDGET)["initial_value"] == "50"
    assert element(view, CampaignCreateBlock.START_TIME)["initial_date_time"] == 1796299200
    assert element(view, CampaignCreateBlock.END_TIME)["initial_date_time"] == 1796904000
    countries = element(view, CampaignCreateBlock.COUNTRIES)["initial_options"]
    assert [o["value"] for o in countries] == ["SG", "MY"]
    assert (
        element(view, CampaignCreateBlock.CALL_TO_ACTION)["initial_option"]["value"] == "LEARN_MORE"
    )
    video = blocks_by_id(view)[CampaignCreateBlock.VIDEO]
    assert video["optional"] is True and "ainote2.mp4" in video["hint"]["text"]
    assert_slack_accepts("modal", view)


def test_a_new_prefill_rotates_action_ids_but_not_block_ids_or_the_template():
    plain_view = build_campaign_modal(accounts=[SG], templates=TEMPLATES)
    one = build_campaign_modal(accounts=[SG], templates=TEMPLATES, prefill={"name": "A"})
    again = build_campaign_modal(accounts=[SG], templates=TEMPLATES, prefill={"name": "A"})
    two = build_campaign_modal(accounts=[SG], templates=TEMPLATES, prefill={"name": "B"})
    ids = [
        [(b.get("block_id"), b.get("element", {}).get("action_id")) for b in v["blocks"]]
        for v in (plain_view, one, again, two)
    ]
    assert ids[1] == ids[2]  # same prefill (e.g. only the account changed): typing survives
    assert ids[1] != ids[3] and ids[0] != ids[1]
    assert [b for b, _ in ids[0]] == [b for b, _ in ids[3]]
    name_action = element(one, CampaignCreateBlock.NAME)["action_id"]
    assert name_action.startswith(CampaignCreateAction.NAME + ".")
    assert element(two, CampaignCreateBlock.TEMPLATE)["action_id"] == CampaignCreateAction.TEMPLATE
    assert element(two, CampaignCreateBlock.VIDEO)["action_id"] == CampaignCreateAction.VIDEO


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("daily_budget", "lots"),
        ("daily_budget", -5),
        ("daily_budget", "NaN"),
        ("start_time", "next tuesday"),
        ("start_time", "2026-03-08 02:30"),
        ("end_time", True),
        ("link", "javascript:alert(1)"),
        ("link", "https://x.example/" + "a" * 2000),
        ("countries", 42),
        ("name", {"not": "text"}),
    ],
)
def test_a_bad_prefill_value_is_left_out_rather_than_breaking_the_view(field, value):
    view = build_campaign_modal(accounts=[SG], templates=[], prefill={field: value})
    assert_slack_accepts("modal", view)


def test_fractional_budget_is_not_prefilled_for_a_currency_without_cents():
    view = build_campaign_modal(accounts=[JP], templates=[], prefill={"daily_budget": "1500.5"})
    assert "initial_value" not in element(view, CampaignCreateBlock.DAILY_BUDGET)


def test_maximal_prefill_is_cut_to_the_limits():
    long = (HOSTILE + " ") * 100
    prefill = {
        "name": long,
        "primary_text": long,
        "headline": long,
        "description": long,
        "countries": ["SG", "BN", "ZW", "XX", "FJ"],
        "video": "creatives/" + "v" * 900 + ".mp4",
    }
    templates = [(f"t{i}", long) for i in range(150)]
    accounts = [make_account(key=f"acct-{i}", name=long[:300]) for i in range(3)]
    view = build_campaign_modal(
        accounts=accounts, templates=templates, prefill=prefill, private_metadata="m" * 3000
    )
    assert len(element(view, CampaignCreateBlock.NAME)["initial_value"]) == 400
    # The box's own limit (several texts fit); the domain judges each text against Meta's 2200.
    assert len(element(view, CampaignCreateBlock.PRIMARY_TEXT)["initial_value"]) == 3000
    countries = element(view, CampaignCreateBlock.COUNTRIES)
    assert [o["value"] for o in countries["initial_options"]] == [
        "SG",
        "BN",
        "ZW",
        "FJ",
    ]  # XX is no country
    assert len(element(view, CampaignCreateBlock.TEMPLATE)["options"]) == 100
    assert_slack_accepts("modal", view)


def test_programming_errors_are_refused_loudly():
    with pytest.raises(ValueError, match="private_metadata"):
        build_campaign_modal(accounts=[SG], templates=[], private_metadata="x" * 3001)
    with pytest.raises(ValueError, match="no ad accounts"):
        build_campaign_modal(accounts=[], templates=[])


def test_skipped_templates_are_left_out_of_the_select_with_a_note_saying_why():
    notes = [f"promo-{i}.yaml: account 'iflytek-sg' is not in ACCOUNTS_FILE" for i in range(7)]
    view = build_campaign_modal(accounts=[SG], templates=TEMPLATES[:1], template_notes=notes)
    assert_slack_accepts("modal", view)
    blocks = blocks_by_id(view)
    assert [o["value"] for o in blocks[CampaignCreateBlock.TEMPLATE]["element"]["options"]] == [
        "launch"
    ]
    text = blocks[CampaignCreateBlock.TEMPLATE_NOTES]["elements"][0]["text"]
    assert text.startswith(":warning: Unavailable templates, skipped: promo-0.yaml: account")
    assert "promo-4.yaml" in text and "promo-5.yaml" not in text and text.endswith("; …")


def test_a_skipped_template_note_is_escaped_and_shown_even_without_usable_templates():
    view = build_campaign_modal(
        accounts=[SG], templates=[], template_notes=["<!channel>.yaml: *bold* & co"]
    )
    blocks = blocks_by_id(view)
    assert CampaignCreateBlock.TEMPLATE not in blocks
    text = blocks[CampaignCreateBlock.TEMPLATE_NOTES]["elements"][0]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
