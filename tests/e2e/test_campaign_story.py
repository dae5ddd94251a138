"""Alice launches AINOTE 2 from Slack; Bob approves; failures and refusals are told where seen."""

from __future__ import annotations

import time

import pytest

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import (
    ALERTS,
    APPROVER,
    BYSTANDER,
    CAMPAIGNS,
    OUTSIDER,
    REQUESTER,
    describe_slack,
    start_in,
)
from tests.helpers import nothing_sent_but_budget_reads

ROOT_VIDEO = "creatives/ainote2.mp4"


def good_values(file_id: str) -> dict:
    return {
        B.ACCOUNT: "iflytek-sg",
        B.NAME: "AINOTE2 launch SG",
        B.DAILY_BUDGET: "50",
        B.START_TIME: start_in(),
        B.COUNTRIES: ["SG"],
        B.PRIMARY_TEXT: "Meet AINOTE 2, the notebook that writes your meeting notes.",
        B.HEADLINE: "AINOTE 2 is here",
        B.LINK: "https://shop.example.com/sg/ainote2",
        B.CALL_TO_ACTION: "SHOP_NOW",
        B.VIDEO: [file_id],
    }


def open_form(slack, user=REQUESTER) -> dict:
    return open_new_form(slack, user)


def open_new_form(slack, user: str) -> dict:
    """``/campaign create`` and the form it opens, not a form still open from before.

    The command's ack arrives before the bot's views.open, so waiting for "any create form" could
    return the previous one (left open with errors) and the next views.open would close it.
    """
    before = slack.ws.top_view(user)
    slack.slash_command(user=user, channel=CAMPAIGNS, command="/campaign", text="create")
    return slack.wait_for_view(
        user=user,
        timeout=5,
        callback_id="campaign-create",
        predicate=lambda v: before is None or v["id"] != before.id,
    )


def wait_for_refusal(slack, view: dict) -> dict:
    """The form again, with the refusal, on top of the requester's modals (the same view)."""
    refused = slack.wait_for_view(
        REQUESTER, timeout=10, predicate=lambda v: "Not created:" in str(v["blocks"])
    )
    assert refused["id"] == view["id"]
    return refused


def upload_disguised(slack) -> str:
    """A ZIP archive named and typed as an MP4: only the content check after download sees it."""
    return slack.upload_file(
        user=REQUESTER,
        filename="ad.mp4",
        content=b"PK\x03\x04" + b"x" * 500,
        filetype="mp4",
        mimetype="video/mp4",
    )


def upload_video(slack, user=REQUESTER) -> str:
    with open(ROOT_VIDEO, "rb") as f:
        return slack.upload_file(
            user=user,
            filename="ainote2.mp4",
            content=f.read(),
            filetype="mp4",
            mimetype="video/mp4",
        )


CARD_IS_BELOW = "its approval card is below"


def approval_message(slack, channel: str = CAMPAIGNS) -> dict:
    """The first approval card in ``channel``, once every creation's progress message points at
    its card (AdBee records the card as the campaign's message before it edits that one)."""

    def ready():
        messages = slack.messages(channel)
        cards = [m for m in messages if has_approve(m)]
        notes = [m for m in messages if CARD_IS_BELOW in m.get("text", "")]
        return cards[0] if cards and len(notes) >= len(cards) else None

    try:
        return slack.wait_until(ready, timeout=20)
    except TimeoutError as exc:  # say where the creation stopped, not only that it did
        raise TimeoutError(f"no Approve card within 20 s\n{describe_slack(slack)}") from exc


def has_approve(message: dict) -> bool:
    return any(
        element.get("action_id") == CampaignAction.APPROVE
        for block in message.get("blocks", [])
        for element in block.get("elements", []) or []
    )


def create_campaign(slack, user=REQUESTER) -> dict:
    """The user fills the form with a good campaign; returns the approval message."""
    view = open_form(slack, user=user)
    slack.submit_view(user=user, view_id=view["id"], values=good_values(upload_video(slack, user)))
    return approval_message(slack)


def campaign_id_of(message: dict) -> int:
    """The AdBee id the card's Approve button carries."""
    return ActionMetadata.model_validate_json(
        next(
            e["value"]
            for b in message["blocks"]
            for e in b.get("elements", []) or []
            if e.get("action_id") == CampaignAction.APPROVE
        )
    ).campaign_id


def click(slack, user: str, message: dict, action: str, campaign_id: int) -> None:
    slack.click_button(
        user=user,
        channel=CAMPAIGNS,
        message_ts=message["ts"],
        action_id=action,
        value=ActionMetadata(campaign_id=campaign_id).model_dump_json(),
    )


def test_alice_creates_bob_approves_and_the_channel_follows_along(slack, graph, bot):
    view = open_form(slack)
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack))
    )
    assert not (ack or {}).get("errors")

    message = approval_message(slack)
    # The card is a message of its own, under the one that followed the creation step by step,
    # which ends by pointing at it.
    progress, card = slack.messages(CAMPAIGNS)
    assert card["ts"] == message["ts"] and REQUESTER in str(card["blocks"])  # who is told
    versions = slack.message_history(CAMPAIGNS, progress["ts"])
    texts = " ".join(v.get("text", "") for v in versions)
    assert "downloading the video" in texts
    assert len(versions) >= 3, "progress is updated in place"
    assert CARD_IS_BELOW in progress["text"]
    assert len(graph.objects("campaign")) == 1
    assert all(o["status"] == "PAUSED" for o in graph.objects("campaign") + graph.objects("ad"))

    campaign_id = campaign_id_of(message)
    assert bot.services.store.get(campaign_id).slack_ts == card["ts"]  # approvals update it

    # Alice and Eve are no approvers; Mallory is listed but belongs to another workspace.
    value = ActionMetadata(campaign_id=campaign_id).model_dump_json()
    for user in (REQUESTER, BYSTANDER, OUTSIDER):
        slack.click_button(
            user=user,
            channel=CAMPAIGNS,
            message_ts=message["ts"],
            action_id=CampaignAction.APPROVE,
            value=value,
        )
        slack.wait_until(lambda u=user: slack.ephemerals(u), timeout=5)
    assert "only approvers" in slack.ephemerals(REQUESTER)[-1]["text"]
    assert "only approvers" in slack.ephemerals(BYSTANDER)[-1]["text"]
    assert "only approvers" in slack.ephemerals(OUTSIDER)[-1]["text"]
    refused = [
        e
        for e in bot.services.store.audit_events(campaign_id=campaign_id)
        if e.outcome == "refused"
    ]
    assert len(refused) == 3

    slack.click_button(
        user=APPROVER,
        channel=CAMPAIGNS,
        message_ts=message["ts"],
        action_id=CampaignAction.APPROVE,
        value=value,
    )
    updated = slack.wait_until(
        lambda: "Activates" in str(slack.message(CAMPAIGNS, message["ts"])), timeout=5
    )
    assert updated
    row = bot.services.store.get(campaign_id)
    assert row.status == "scheduled" and row.approved_by == APPROVER
    # Approval alone tells the alerts channel nothing: "is live" comes at activation (tests/jobs).
    assert slack.messages(ALERTS) == []


def test_an_approver_cannot_approve_their_own_campaign(slack, graph, bot):
    view = open_form(slack, user=APPROVER)
    slack.submit_view(
        user=APPROVER, view_id=view["id"], values=good_values(upload_video(slack, APPROVER))
    )
    message = approval_message(slack)
    row = bot.services.store.list_campaigns()[0]
    click(slack, APPROVER, message, CampaignAction.APPROVE, row.id)
    slack.wait_until(lambda: slack.ephemerals(APPROVER), timeout=5)
    assert "own campaign" in slack.ephemerals(APPROVER)[-1]["text"]
    assert bot.services.store.get(row.id).status == "created"


def test_bad_fields_are_shown_in_the_modal_and_nothing_reaches_meta(slack, graph, bot):
    view = open_form(slack)
    values = good_values(upload_video(slack))
    values.update({B.DAILY_BUDGET: "1", B.LINK: "https://localhost/x", B.HEADLINE: "H" * 250})
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values, enforce_ui=False)
    assert ack["response_action"] == "errors"
    errors = ack["errors"]
    assert "below Meta's minimum" in errors[B.DAILY_BUDGET]
    assert "public website" in errors[B.LINK]
    assert nothing_sent_but_budget_reads(graph)


def test_a_file_that_is_not_a_video_is_refused_in_the_modal(slack, graph, bot):
    view = open_form(slack)
    file_id = slack.upload_file(
        user=REQUESTER,
        filename="brief.pdf",
        content=b"%PDF-1.4 ...",
        filetype="pdf",
        mimetype="application/pdf",
    )
    ack = slack.submit_view(
        user=REQUESTER, view_id=view["id"], values=good_values(file_id), enforce_ui=False
    )
    assert ack["response_action"] == "errors"
    assert "not a video" in ack["errors"][B.VIDEO]
    assert nothing_sent_but_budget_reads(graph)


def test_a_disguised_file_is_refused_after_download_with_the_form_kept(slack, graph, bot):
    view = open_form(slack)
    file_id = upload_disguised(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(file_id))
    # The refusal follows the submission's ack (bot.slack.acks), so it is what stays on top.
    refused = wait_for_refusal(slack, view)
    assert "ZIP" in str(refused["blocks"])
    assert not [r for r in graph.requests if r.method == "POST"]


def test_a_redelivered_submission_creates_once(slack, graph, bot):
    view = open_form(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack)))
    slack.redeliver_last("interactive")
    approval_message(slack)
    assert len(graph.objects("campaign")) == 1
    progress, card = slack.messages(CAMPAIGNS)  # one creation's message and its card, once
    assert CARD_IS_BELOW in progress["text"] and has_approve(card)


def test_a_meta_failure_mid_creation_is_posted_in_the_thread(slack, graph, bot):
    from sandbox.graph_emulator import Fault

    graph.inject(
        Fault(
            code=100,
            subcode=1885272,
            times=1,
            path_contains="/campaigns",
            method="POST",
            error_user_title="Budget Too Low",
            error_user_msg="Your budget must be more than SGD1.35 or your ads may not be delivered.",
        )
    )
    view = open_form(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack)))

    def failure_reply():
        for message in slack.messages(CAMPAIGNS):
            for reply in slack.thread(CAMPAIGNS, message["ts"]):
                if "Budget Too Low" in reply.get("text", ""):
                    return reply
        return None

    reply = slack.wait_until(failure_reply, timeout=20)
    assert "deleted" in reply["text"]
    assert graph.objects("campaign") == [] and graph.objects("adset") == []


def test_help_list_status_and_unknown_subcommands_answer_privately(slack, graph, bot):
    for text in ("help", "list", "accounts", "status 99", "frobnicate"):
        ack = slack.slash_command(user=BYSTANDER, channel=CAMPAIGNS, command="/campaign", text=text)
        assert ack and (ack.get("text") or ack.get("blocks")), text
    ack = slack.slash_command(
        user=BYSTANDER, channel=CAMPAIGNS, command="/campaign", text="frobnicate"
    )
    assert "frobnicate" in str(ack)


def test_bob_rejects_and_the_objects_are_deleted_in_meta(slack, graph, bot):
    message = create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    click(slack, APPROVER, message, CampaignAction.REJECT, row.id)
    assert slack.wait_until(
        lambda: "Rejected" in str(slack.message(CAMPAIGNS, message["ts"])), timeout=10
    )
    assert bot.services.store.get(row.id).status == "rejected"
    for kind in ("campaign", "adset", "adcreative", "ad"):
        assert graph.objects(kind) == [], kind


def test_a_template_prefills_the_form_and_supplies_the_video(slack, graph, bot):
    view = open_form(slack)
    slack.select_option(
        user=REQUESTER,
        view_id=view["id"],
        block_id=B.TEMPLATE,
        action_id="campaign-create-template-select",
        value="ainote2-launch",
    )
    filled = slack.wait_for_view(user=REQUESTER, timeout=5, after=view)
    assert "AINOTE2 launch SG" in str(filled)
    ack = slack.submit_view(user=REQUESTER, view_id=filled["id"], values={B.START_TIME: start_in()})
    assert not (ack or {}).get("errors"), ack
    approval_message(slack)
    assert len(graph.objects("advideo")) == 1


def test_a_redelivered_command_is_answered_once(slack, graph, bot):
    slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="create")
    slack.redeliver_last("slash_commands")
    slack.wait_for_view(user=REQUESTER, timeout=5)
    slack.wait_until(lambda: slack.calls_to("views.open"), timeout=5)  # recorded after the reply
    slack.wait_until(lambda: slack.last_envelope("slash_commands").status == "acked", timeout=5)
    assert len(slack.calls_to("views.open")) == 1


PAST = start_in(days=-2)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        (B.DAILY_BUDGET, "0.5", "below Meta's minimum"),
        (B.DAILY_BUDGET, "999999", "above this account's limit"),
        (B.DAILY_BUDGET, "10.001", "at most 2 decimal places"),
        (B.START_TIME, PAST, "in the past"),
        (B.END_TIME, start_in(days=2), "at least 24 hours after"),
        (B.LINK, "https://localhost/x", "not a public website domain"),
        (B.HEADLINE, "H" * 300, "Meta allows at most 255"),
        (B.PRIMARY_TEXT, "P" * 2300, "Meta allows at most 2200"),
        (B.NAME, "   ", "required"),
        (B.ACCOUNT, "acme-unknown", "unknown account"),
        (B.CALL_TO_ACTION, "CLICK_ME", "unknown call to action"),
        (B.COUNTRIES, ["DE"], "dsa_beneficiary"),
        (B.COUNTRIES, ["SG", "TW"], "targeting TW needs regulation.taiwan_beneficiary"),
        (B.VIDEO, [], "Attach the ad video"),
    ],
)
def test_every_field_error_lands_on_its_block(slack, graph, bot, field, value, words):
    view = open_form(slack)
    values = good_values(upload_video(slack))
    values[field] = value
    raw = slack.fill(
        view, {k: v for k, v in values.items() if k not in (B.ACCOUNT, B.CALL_TO_ACTION)}
    )
    for block, option in (
        (B.ACCOUNT, values[B.ACCOUNT]),
        (B.CALL_TO_ACTION, values[B.CALL_TO_ACTION]),
    ):
        action_id = next(
            iter(
                slack.fill(view, {block: "iflytek-sg" if block == B.ACCOUNT else "SHOP_NOW"})[block]
            )
        )
        raw[block] = {
            action_id: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": option},
                    "value": option,
                },
            }
        }
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=raw, enforce_ui=False)
    assert ack and ack["response_action"] == "errors", ack
    assert words in ack["errors"][field]
    assert nothing_sent_but_budget_reads(graph)


def test_a_video_too_big_for_the_form_is_taken_from_its_slack_link(slack, graph, bot):
    file_id = upload_video(slack)
    link = f"https://acme.slack.com/files/{REQUESTER}/{file_id}/ainote2.mp4"
    view = open_form(slack)
    values = good_values(file_id)
    del values[B.VIDEO]
    values[B.VIDEO_LINK] = link
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
    assert not (ack or {}).get("errors"), ack
    approval_message(slack)
    assert len(graph.objects("advideo")) == 1


def test_schedule_commands_answer_in_slack_and_are_audited(slack, graph, bot):
    message = create_campaign(slack)
    row = bot.services.store.list_campaigns()[0]
    click(slack, APPROVER, message, CampaignAction.APPROVE, row.id)
    slack.wait_until(lambda: bot.services.store.get(row.id).status == "scheduled", timeout=5)

    def answer(user: str, text: str) -> str:
        before = len(slack.responses)
        slack.slash_command(user=user, channel=CAMPAIGNS, command="/campaign", text=text)
        slack.wait_until(lambda: len(slack.responses) > before, timeout=10)
        return str(slack.responses[-1])

    assert "only approvers" in answer(BYSTANDER, f"cancel {row.id}")
    assert "cancelled" in answer(APPROVER, f"cancel {row.id}")
    assert bot.services.store.get(row.id).status == "cancelled"
    assert "scheduled" in answer(APPROVER, f"reschedule {row.id} 2030-01-02 09:00")
    assert bot.services.store.get(row.id).status == "scheduled"
    assert "active" in answer(APPROVER, f"activate {row.id}")
    assert graph.get_object(row.meta_campaign_id)["status"] == "ACTIVE"
    # Going live before the planned start moves the ad set's start, or Meta would wait for it.
    adset_start = float(graph.get_object(row.adset_id)["start_time"])  # epoch seconds
    assert adset_start <= time.time() + 60 < start_in().timestamp()
    assert "paused" in answer(APPROVER, f"pause {row.id}")
    assert graph.get_object(row.meta_campaign_id)["status"] == "PAUSED"
    actions = [
        (e.actor, e.action, e.outcome) for e in bot.services.store.audit_events(campaign_id=row.id)
    ]
    assert (BYSTANDER, "cancel", "refused") in actions
    assert {(APPROVER, a, "ok") for a in ("cancel", "reschedule", "activate")} <= set(actions)


def test_a_stopped_creation_is_resumed_from_slack_without_duplicates(slack, graph, bot):
    from sandbox.graph_emulator import Fault

    # Meta throttles the ad set for longer than AdBee waits in-process: the creation stops.
    graph.inject(
        Fault(code=80004, times=1, path_contains="/adsets", method="POST", regain_minutes=5)
    )
    view = open_form(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(upload_video(slack)))
    stopped = slack.wait_until(
        lambda: next((m for m in slack.messages(CAMPAIGNS) if "Creation stopped" in str(m)), None),
        timeout=20,
    )
    row = bot.services.store.list_campaigns()[0]
    assert row.status == "failed"
    assert "Resume creation" in str(stopped)

    click(slack, BYSTANDER, stopped, CampaignAction.RESUME_CREATION, row.id)
    assert "only approvers" in slack.wait_until(lambda: slack.ephemerals(BYSTANDER))[-1]["text"]

    click(slack, REQUESTER, stopped, CampaignAction.RESUME_CREATION, row.id)
    approval_message(slack)
    assert bot.services.store.get(row.id).status == "created"
    for kind in ("campaign", "adset", "adcreative", "ad", "advideo"):
        assert len(graph.objects(kind)) == 1, kind


def test_after_a_refused_video_the_kept_form_is_submitted_again_with_a_real_one(slack, graph, bot):
    view = open_form(slack)
    fake = upload_disguised(slack)
    slack.submit_view(user=REQUESTER, view_id=view["id"], values=good_values(fake))
    reshown = wait_for_refusal(slack, view)
    assert "AINOTE2 launch SG" in str(reshown)  # what Alice typed is still there
    values = good_values(upload_video(slack))
    ack = slack.submit_view(user=REQUESTER, view_id=reshown["id"], values=values)
    assert not (ack or {}).get("errors"), ack
    approval_message(slack)
    assert len(graph.objects("campaign")) == 1
