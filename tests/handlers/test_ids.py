"""Ids are spelled once, kebab-case and feature-prefixed, and every domain field has a block."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from handlers import ids
from handlers.ids import (
    FIELD_TO_BLOCK,
    CampaignCreateAction,
    CampaignCreateBlock,
    action_pattern,
    revisioned,
)
from meta.domain.spec import FIELDS

ENUMS = [
    obj
    for obj in vars(ids).values()
    if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
]


def test_every_id_is_kebab_case_feature_prefixed_and_short():
    for enum in ENUMS:
        for member in enum:
            assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", member.value), member
            assert len(member.value) <= 255 - 17  # room for a revision suffix


def test_no_id_is_spelled_twice():
    values = [member.value for enum in ENUMS for member in enum]
    assert len(values) == len(set(values))


def test_every_campaign_spec_field_maps_to_a_modal_block():
    assert set(FIELDS) <= set(FIELD_TO_BLOCK)
    assert FIELD_TO_BLOCK["file"] is CampaignCreateBlock.VIDEO


def test_each_input_block_has_an_action_of_the_same_name():
    inputs = {m.name for m in CampaignCreateBlock} - {"INTRO", "TEMPLATE_NOTES", "DUPLICATE_INTRO"}
    assert inputs == {m.name for m in CampaignCreateAction}


def test_revisioned_action_ids_still_match_the_listener_pattern():
    pattern = action_pattern(CampaignCreateAction.ACCOUNT)
    assert pattern.match(revisioned(CampaignCreateAction.ACCOUNT, "3fa9c0d1"))
    assert pattern.match(revisioned(CampaignCreateAction.ACCOUNT, ""))
    assert revisioned(CampaignCreateAction.ACCOUNT, "") == "campaign-create-account-select"
    assert not pattern.match("campaign-create-account-select-other")
    assert not pattern.match(CampaignCreateAction.NAME)


@pytest.mark.parametrize("bad", ["XYZ", "a" * 17, "12 34", "../x"])
def test_revisions_are_short_hex_only(bad):
    with pytest.raises(ValueError):
        revisioned(CampaignCreateAction.NAME, bad)
