"""A new video or image in the edit modal: the file input and its mode, the form read back, a
refusal shown above the input, and the card of an edit that swapped several ads or added one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.blocks.edits import EditCard, MediaMode, build_edit_card, build_edit_modal
from handlers.edit_form import edit_form_media, field_errors
from handlers.ids import CampaignEditBlock as E
from meta.domain.edits import EditField
from meta.domain.records import EditStatus
from tests.handlers.blocks.test_edits import STATE
from tests.handlers.factories import assert_escaped, assert_slack_accepts

VIDEO = {
    "id": "F0VIDEO01",
    "name": "ainote2-cut-b.mp4",
    "size": 1_200_000,
    "mimetype": "video/mp4",
    "filetype": "mp4",
    "url_private_download": "https://files.slack.com/files-pri/T1-F0VIDEO01/ainote2-cut-b.mp4",
}
PICTURE = {
    **VIDEO,
    "id": "F0IMAGE01",
    "name": "hero.jpg",
    "mimetype": "image/jpeg",
    "filetype": "jpg",
}


def block(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def values(files: list[dict[str, Any]], mode: MediaMode | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        E.MEDIA.value: {f"{E.MEDIA.value}-input": {"type": "file_input", "files": files}}
    }
    if mode is not None:
        out[E.MEDIA_MODE.value] = {
            f"{E.MEDIA_MODE.value}-input": {
                "type": "radio_buttons",
                "selected_option": {"value": mode.value},
            }
        }
    return out


def test_the_modal_offers_one_file_to_add_as_a_new_ad_or_to_replace_the_first_ad_s() -> None:
    view = build_edit_modal(
        campaign_id=12,
        name="AINOTE2",
        state=replace(STATE, ads=3),
        currency="SGD",
        tz="Asia/Singapore",
    )
    assert_slack_accepts("modal", view)
    media = block(view, E.MEDIA.value)
    assert media is not None and media["optional"] is True
    assert media["element"]["type"] == "file_input" and media["element"]["max_files"] == 1
    assert {"mp4", "mov", "jpg", "png"} <= set(media["element"]["filetypes"])
    mode = block(view, E.MEDIA_MODE.value)
    assert mode is not None
    options = [o["value"] for o in mode["element"]["options"]]
    assert options == ["add", "replace"] and mode["element"]["initial_option"]["value"] == "add"
    assert "first ad's" in str(mode) and "every ad" in str(view["blocks"][0])


def test_a_placement_pair_or_flexible_ad_is_offered_add_only() -> None:
    view = build_edit_modal(
        campaign_id=12,
        name="AINOTE2",
        state=replace(STATE, creative_format="asset_feed"),
        currency="SGD",
        tz="Asia/Singapore",
    )
    mode = block(view, E.MEDIA_MODE.value)
    assert mode is not None and [o["value"] for o in mode["element"]["options"]] == ["add"]


def test_a_file_refused_after_download_is_said_above_the_input_escaped() -> None:
    view = build_edit_modal(
        campaign_id=12,
        name="AINOTE2",
        state=STATE,
        currency="SGD",
        tz="Asia/Singapore",
        media_problem="cut.mp4 <!channel> is not a video",
    )
    assert_slack_accepts("modal", view)
    assert_escaped(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids.index(E.MEDIA_PROBLEM.value) == ids.index(E.MEDIA.value) - 1


def test_the_form_reads_the_file_and_its_mode_as_the_edit_field() -> None:
    assert edit_form_media(values([])) == (None, None)
    media, problem = edit_form_media(values([VIDEO]))
    assert problem is None and media is not None and media.field is EditField.ADD_VIDEO
    media, _ = edit_form_media(values([VIDEO], MediaMode.REPLACE))
    assert media is not None and media.field is EditField.VIDEO
    media, _ = edit_form_media(values([PICTURE], MediaMode.REPLACE))
    assert media is not None and media.field is EditField.IMAGE
    media, _ = edit_form_media(values([PICTURE]))
    assert media is not None and media.field is EditField.ADD_IMAGE


def test_a_wrong_file_is_named_on_the_file_input() -> None:
    pdf = {
        **VIDEO,
        "name": "brief.pdf",
        "filetype": "pdf",
        "mimetype": "application/pdf",
        "pretty_type": "PDF",
    }
    media, problem = edit_form_media(values([pdf]))
    assert media is None and problem is not None and "brief.pdf" in problem
    _, two = edit_form_media(values([VIDEO, PICTURE]))
    assert two is not None and "one video or image per edit" in two
    assert field_errors([("add_video", "bad")]) == {E.MEDIA.value: "bad"}


def card(**over: Any) -> dict[str, Any]:
    base = EditCard(
        edit_id=7,
        campaign_id=12,
        campaign_name="AINOTE2",
        status=EditStatus.APPLIED,
        lines=("Headline: “a” → “b”",),
        requested_by="U1",
    )
    return build_edit_card(replace(base, **over))


def test_the_card_of_an_edit_of_three_ads_names_each_new_creative() -> None:
    shown = str(card(creative_id="901", creative_ids=(("main", "901"), ("2", "902"), ("3", "903"))))
    assert "each of the 3 ads" in shown and "`902`" in shown and "`903`" in shown


def test_the_card_of_an_added_ad_names_it() -> None:
    shown = str(card(creative_id="905", creative_ids=(("new", "905"),), new_ad_id="806"))
    assert "New ad `806`" in shown and "now the ad's" not in shown


def test_a_half_done_edit_says_which_ads_are_switched() -> None:
    shown = str(
        card(
            status=EditStatus.INCOMPLETE,
            error="Meta refused step 'switched:3'",
            done=("new creative for ad 1", "ad 1 switched to its new creative"),
        )
    )
    assert "Done in Meta so far: new creative for ad 1, ad 1 switched" in shown
    assert "campaign-edit-finish" in shown and "campaign-edit-undo" in shown
