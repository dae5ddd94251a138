"""After creation AdBee reads Meta's Advantage+ classification and the approval card shows it.

Meta, not AdBee, decides whether a campaign is Advantage+ Sales (``advantage_state_info``, computed
by the Graph emulator from the three levers as Meta's Advantage+ guide describes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.blocks.approval import build_approval_message
from meta.domain.states import ProgressEvent, Status, Step
from meta.domain.times import zone
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import (
    REQUESTER,
    SGT,
    FakeClock,
    Harness,
    build_harness,
    local,
    soon_day,
)

START_DAY = soon_day()


@pytest.fixture
def bot(tmp_path: Path, graph: GraphEmulator) -> Iterator[Harness]:
    harness = build_harness(
        f"sqlite:///{tmp_path / 'adbee.db'}", graph, FakeClock(local(START_DAY, "10:00"))
    )
    yield harness
    harness.close()


def card_text(message: dict) -> str:
    parts = []
    for block in message["blocks"]:
        for piece in [
            block.get("text") or {},
            *block.get("fields", []),
            *block.get("elements", []),
        ]:
            if isinstance(piece, dict) and isinstance(piece.get("text"), str):
                parts.append(piece["text"])
    return "\n".join(parts)


def test_the_approval_card_says_meta_classifies_it_as_advantage_plus_sales(
    bot: Harness, graph: GraphEmulator
) -> None:
    campaign_id = bot.create(start=local(START_DAY, "20:00"))

    summary = bot.lifecycle.summary(campaign_id)
    assert summary.advantage is not None and summary.advantage.is_sales
    reads = [r for r in graph.requests if r.params.get("fields") == "advantage_state_info"]
    assert len(reads) == 1 and reads[0].method == "GET"
    text = card_text(build_approval_message(summary=summary, now=bot.clock()))
    assert "Meta classifies it as *Advantage+ Sales*" in text


def test_when_meta_does_not_classify_it_the_card_names_the_lever_that_is_off(
    bot: Harness, graph: GraphEmulator
) -> None:
    """Someone restricts the ad set to mobile in Ads Manager while AdBee creates the ad."""
    service = bot.services.campaigns
    spec = service.validate(
        {
            "account": "iflytek-sg",
            "name": "AINOTE2 mobile only",
            "daily_budget": 50,
            "start_time": local(START_DAY, "20:00")
            .astimezone(zone(SGT))
            .strftime("%Y-%m-%d %H:%M"),
            "countries": ["SG"],
            "video": "creatives/ainote2.mp4",
            "primary_text": "Meet AINOTE 2.",
            "headline": "AINOTE 2 is here",
            "link": "https://shop.example.com/sg/ainote2",
            "call_to_action": "SHOP_NOW",
        }
    )

    def edit_in_ads_manager(event: ProgressEvent) -> None:
        if event.step is Step.AD and event.state == "started":
            row = bot.services.store.get(event.campaign_id)
            assert row is not None and row.adset_id
            graph.edit_object(
                row.adset_id,
                targeting={
                    "geo_locations": {"countries": ["SG"]},
                    "targeting_automation": {"advantage_audience": 1},
                    "device_platforms": ["mobile"],
                },
            )

    summary = service.create(
        spec, requested_by=REQUESTER.user_id, source="test", on_progress=edit_in_ads_manager
    )

    assert summary.status == Status.CREATED
    assert summary.advantage is not None and not summary.advantage.is_sales
    assert [lever.name for lever in summary.advantage.levers_off()] == ["Advantage+ placements"]
    text = card_text(build_approval_message(summary=summary, now=bot.clock()))
    assert "Meta does *not* classify it as Advantage+ Sales (it reports `DISABLED`)" in text
    assert "*Advantage+ placements* is off (`DISABLED`)" in text
    assert "Advantage+ audience* is off" not in text


def test_the_status_sync_keeps_the_classification_current(bot: Harness, graph: GraphEmulator):
    campaign_id = bot.create(start=local(START_DAY, "20:00"))
    row = bot.services.store.get(campaign_id)
    assert row is not None and row.adset_id
    graph.edit_object(
        row.adset_id,
        targeting={"geo_locations": {"countries": ["SG"]}, "publisher_platforms": ["instagram"]},
    )
    bot.sync.sync_all()
    summary = bot.lifecycle.summary(campaign_id)
    assert summary.advantage is not None
    assert [lever.name for lever in summary.advantage.levers_off()] == ["Advantage+ placements"]
