"""Issue 16's duplicates, as an agency meets them in Slack: the same campaign again in its own
ad account (Duplicate on its card: no video uploaded, the one Meta holds is used) and for
Malaysia (`/campaign duplicate`: the video uploaded to Malaysia's account, from Slack again as
AdBee deleted its download). Each duplicate is a new request with its own approval card.

The real bot in Socket Mode between the Slack emulator and the Graph API emulator.
"""

from __future__ import annotations

from typing import Any

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import CAMPAIGNS, REQUESTER
from tests.e2e.test_campaign_story import campaign_id_of, create_campaign


def open_duplicate(slack: Any, card: dict[str, Any] | None, campaign_id: int) -> dict:
    before = slack.ws.top_view(REQUESTER)
    if card is not None:
        slack.click_button(
            user=REQUESTER,
            channel=CAMPAIGNS,
            message_ts=card["ts"],
            action_id=CampaignAction.DUPLICATE,
            value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
        )
    else:
        slack.slash_command(
            user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text=f"duplicate {campaign_id}"
        )
    return slack.wait_for_view(
        user=REQUESTER,
        timeout=10,
        callback_id="campaign-create",
        predicate=lambda v: before is None or v["id"] != before.id,
    )


def approval_cards(slack: Any) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.messages(CAMPAIGNS)
        if any(
            e.get("action_id") == CampaignAction.APPROVE
            for b in m.get("blocks", [])
            for e in b.get("elements", []) or []
        )
    ]


def video_posts(graph: Any) -> list[str]:
    return [r.path for r in graph.requests if r.method == "POST" and r.path.endswith("/advideos")]


def test_duplicate_in_its_account_uses_the_video_and_for_malaysia_uploads_it_there(
    slack, graph, bot
):
    card = create_campaign(slack)
    source_id = campaign_id_of(card)
    store = bot.services.store
    (video,) = graph.objects("advideo")

    graph.clear_requests()
    view = open_duplicate(slack, card, source_id)
    assert "Duplicate of" in str(view["blocks"]) and "AINOTE2 launch SG" in str(view["blocks"])
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values={B.NAME: "AINOTE2 wave 2"})
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approval_cards(slack)) == 2, timeout=30)
    assert video_posts(graph) == []  # nothing uploaded: Meta's video is used
    wave = store.find("AINOTE2 wave 2")
    assert wave is not None and wave.status == "created"
    creative = graph.get_object(wave.creative_id)
    assert creative["object_story_spec"]["video_data"]["video_id"] == video["id"]

    view = open_duplicate(slack, None, source_id)  # /campaign duplicate <id>
    ack = slack.submit_view(
        user=REQUESTER,
        view_id=view["id"],
        values={B.ACCOUNT: "iflytek-my", B.COUNTRIES: ["MY"], B.DAILY_BUDGET: "150"},
    )
    assert not (ack or {}).get("errors"), ack
    slack.wait_until(lambda: len(approval_cards(slack)) == 3, timeout=40)
    uploads = video_posts(graph)
    assert uploads and all("act_2234567890/advideos" in path for path in uploads)
    my = next(r for r in store.list_campaigns(limit=10) if r.account_key == "iflytek-my")
    assert graph.get_object(my.adset_id)["targeting"]["geo_locations"]["countries"] == ["MY"]
    assert all(o["status"] == "PAUSED" for o in graph.objects("campaign"))  # approval first

    history = [e.detail for e in store.audit_events(campaign_id=source_id)]
    assert any(f"duplicated as #{wave.id}" in (d or "") for d in history)
    assert any(f"duplicated as #{my.id}" in (d or "") for d in history)
