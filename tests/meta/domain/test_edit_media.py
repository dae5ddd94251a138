"""An edit's new video or image: checked like a new campaign's file, always an approver's, one per
edit; and the new creative an edit makes from the one the ad shows (every shape Meta stores)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import ValidationError as PydanticError

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.edit_creative import creative_format, edited_creative, edited_groups, texts_of
from meta.domain.edit_rules import EditKind, EditRules
from meta.domain.edits import (
    Approval,
    EditField,
    EditPlan,
    FieldChange,
    MediaFile,
    parse_wanted,
    propose,
    step_label,
)
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.minimum_budgets import offline_floors
from tests.meta.domain.test_edits import NOW, state


def checked(name: EditField, text: str) -> MediaFile:
    if text.endswith(".txt"):
        raise ValidationError([FieldProblem("video", f"{text} is not a video")])
    return MediaFile(f"/srv/{text}", text, "ab" * 32)


def wanted(account: AccountConfig, raw: dict[str, str], **over: object) -> dict:
    return parse_wanted(
        raw,
        account=account,
        state=replace(state(), **over),  # type: ignore[arg-type]
        now=NOW,
        floors=offline_floors("test"),
        check_media=checked,
    )


@pytest.fixture
def sg(accounts: AccountRegistry) -> AccountConfig:
    account = accounts.get("iflytek-sg")
    assert account is not None
    return account


def test_a_new_video_always_waits_for_an_approver_even_before_live(sg: AccountConfig) -> None:
    values = wanted(sg, {"add_video": "cut-b.mp4", "headline": "AINOTE 2 is in"})
    assert values[EditField.ADD_VIDEO] == MediaFile("/srv/cut-b.mp4", "cut-b.mp4", "ab" * 32)
    proposal = propose(state(), values, sg)
    assert proposal.now is not None and proposal.now.fields == {EditField.HEADLINE}
    assert proposal.later is not None and proposal.later.fields == {EditField.ADD_VIDEO}
    assert proposal.later.approval is Approval.APPROVER
    assert proposal.later.lines("SGD", "Asia/Singapore") == ["New ad with the video: cut-b.mp4"]
    again = EditPlan.from_json(proposal.later.to_json())  # as stored in campaign_edits
    assert again.media is not None and again.media.after == values[EditField.ADD_VIDEO]


def test_new_creative_cannot_be_listed_as_applied_without_an_approver() -> None:
    with pytest.raises(PydanticError, match="always approved first"):
        EditRules(auto_apply=(EditKind.LOWER_BUDGET, EditKind.NEW_CREATIVE))


def test_a_bad_file_is_refused_on_its_own_field(sg: AccountConfig) -> None:
    with pytest.raises(ValidationError) as refused:
        wanted(sg, {"video": "notes.txt"})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("video", "notes.txt is not a video")
    ]


def test_one_new_file_per_edit_and_no_replacing_a_placement_pair(sg: AccountConfig) -> None:
    with pytest.raises(ValidationError, match="one new video or image per edit"):
        wanted(sg, {"add_video": "a.mp4", "add_image": "b.jpg"})
    with pytest.raises(ValidationError, match="placement pair or a flexible ad"):
        wanted(sg, {"video": "a.mp4"}, creative_format="asset_feed")
    assert EditField.ADD_VIDEO in wanted(sg, {"add_video": "a.mp4"}, creative_format="asset_feed")


def test_steps_read_as_words() -> None:
    assert step_label("creative:main") == "new creative for ad 1"
    assert step_label("switched:3") == "ad 3 switched to its new creative"
    assert step_label("creative:new") == "new creative for the new ad"
    assert step_label("ad:new") == "new ad made"


VIDEO_CREATIVE = {
    "name": "AINOTE2 creative 2",
    "object_story_spec": {
        "page_id": "P1",
        "video_data": {
            "video_id": "V1",
            "image_url": "https://cdn/thumb.jpg",
            "message": "Meet AINOTE 2",
            "title": "AINOTE 2 is here",
            "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop/sg"}},
        },
    },
}


def change(name: EditField, after: object) -> FieldChange:
    return FieldChange(name, None, after, EditKind.TEXTS_BEFORE_LIVE)


def test_a_text_change_keeps_the_ad_s_own_video_and_the_creation_s_controls() -> None:
    made = edited_creative(
        VIDEO_CREATIVE,
        [change(EditField.HEADLINE, "AINOTE 2 is in"), change(EditField.URL_TAGS, "utm=1")],
        name="AINOTE2 creative 2 · edit 7",
        controls={"degrees_of_freedom_spec": {"x": 1}, "name": "old", "url_tags": "old"},
    )
    data = made["object_story_spec"]["video_data"]
    assert data["video_id"] == "V1" and data["title"] == "AINOTE 2 is in"
    assert made["degrees_of_freedom_spec"] == {"x": 1} and made["url_tags"] == "utm=1"
    assert made["name"] == "AINOTE2 creative 2 · edit 7"
    assert VIDEO_CREATIVE["object_story_spec"]["video_data"]["title"] == "AINOTE 2 is here"


def test_a_new_image_turns_a_video_creative_into_an_image_one_with_the_same_texts() -> None:
    made = edited_creative(VIDEO_CREATIVE, [], name="n", image_hash="abc123")
    story = made["object_story_spec"]
    assert "video_data" not in story and story["page_id"] == "P1"
    assert story["link_data"] == {
        "message": "Meet AINOTE 2",
        "name": "AINOTE 2 is here",
        "link": "https://shop/sg",
        "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop/sg"}},
        "image_hash": "abc123",
    }
    assert texts_of(made)["image"] == "abc123" and creative_format(made) == "image"
    back = edited_creative(made, [], name="n", video=("V2", "https://cdn/v2.jpg"))
    assert back["object_story_spec"]["video_data"]["video_id"] == "V2"
    assert "link_data" not in back["object_story_spec"]


def test_a_placement_pair_s_texts_are_edited_in_its_asset_feed() -> None:
    pair = {
        "name": "pair",
        "object_story_spec": {"page_id": "P1"},
        "asset_feed_spec": {
            "videos": [{"video_id": "V1"}, {"video_id": "V2"}],
            "bodies": [{"text": "Meet AINOTE 2"}],
            "titles": [{"text": "AINOTE 2 is here"}],
            "link_urls": [{"website_url": "https://shop/sg"}],
            "call_to_action_types": ["SHOP_NOW"],
        },
    }
    assert creative_format(pair) == "asset_feed"
    made = edited_creative(
        pair,
        [change(EditField.PRIMARY_TEXT, "Notes, done"), change(EditField.LINK, "https://shop/my")],
        name="pair · edit 3",
    )
    feed = made["asset_feed_spec"]
    assert feed["bodies"] == [{"text": "Notes, done"}]
    assert feed["link_urls"] == [{"website_url": "https://shop/my"}]
    assert feed["videos"] == pair["asset_feed_spec"]["videos"]  # type: ignore[index]
    assert pair["asset_feed_spec"]["bodies"] == [{"text": "Meet AINOTE 2"}]  # type: ignore[index]


def test_a_flexible_ad_s_groups_get_the_edited_texts_link_and_call_to_action() -> None:
    groups = {
        "groups": [
            {
                "videos": [{"video_id": "V1"}, {"video_id": "V2"}],
                "texts": [
                    {"text": "Meet AINOTE 2", "text_type": "primary_text"},
                    {"text": "Notes, done", "text_type": "primary_text"},
                    {"text": "AINOTE 2 is here", "text_type": "headline"},
                    {"text": "Free shipping", "text_type": "description"},
                ],
                "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop/sg"}},
            }
        ]
    }
    made = edited_groups(
        groups,
        [
            change(EditField.PRIMARY_TEXT, "Write less"),
            change(EditField.DESCRIPTION, None),
            change(EditField.LINK, "https://shop/my"),
        ],
    )
    group = made["groups"][0]
    assert group["texts"] == [
        {"text": "Write less", "text_type": "primary_text"},
        {"text": "Notes, done", "text_type": "primary_text"},
        {"text": "AINOTE 2 is here", "text_type": "headline"},
    ]
    assert group["call_to_action"] == {"type": "SHOP_NOW", "value": {"link": "https://shop/my"}}
    assert group["videos"] == groups["groups"][0]["videos"]
    assert groups["groups"][0]["texts"][0]["text"] == "Meet AINOTE 2"  # the input is untouched
