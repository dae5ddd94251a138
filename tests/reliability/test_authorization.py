"""Every button and command that changes a campaign checks the clicker's role on the server.

People a button is shown to are not people who may press it: anyone in the channel sees the
approval message. For each state-changing button (clicked on the real message, in the state where
it is shown) and each state-changing ``/campaign`` subcommand, a non-approver, an approver-listed
user from another workspace, and the requester approving their own campaign are refused: they
get a private answer, the refusal is audited, the campaign's state does not move and Meta gets no
write. Forged clicks (a button the message does not show, a payload claiming another workspace)
are refused the same way. An approver from the workspace can do each of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handlers.ids import CampaignAction
from handlers.metadata import ActionMetadata
from meta.domain.states import Status
from sandbox.slack_emulator.payloads import action_for, block_actions_message
from tests.reliability.conftest import (
    APPROVER,
    BYSTANDER,
    CAMPAIGNS,
    OUTSIDER,
    ROOT,
    World,
    campaign_body,
    meta_writes,
    world,
)
from tests.store_fixtures import set_columns

pytestmark = pytest.mark.reliability

CAROL = "U_CAROL"  # a second approver, in the approvers group
REQUESTER_APPROVER = APPROVER  # Bob asks for the campaign, so he may not approve it himself

# button -> the status in which the campaign message shows it
BUTTONS = {
    CampaignAction.APPROVE: Status.CREATED,
    CampaignAction.REJECT: Status.CREATED,
    CampaignAction.ACTIVATE: Status.SCHEDULED,
    CampaignAction.CANCEL: Status.SCHEDULED,
    CampaignAction.PAUSE: Status.ACTIVE,
    CampaignAction.RESUME: Status.PAUSED,
}
# subcommand text (campaign id appended) -> the status in which it would succeed
COMMANDS = {
    "activate {id}": Status.CREATED,
    "cancel {id}": Status.SCHEDULED,
    "reschedule {id} 2031-01-05 20:00": Status.SCHEDULED,
    "pause {id}": Status.ACTIVE,
    "resume {id}": Status.PAUSED,
}
SELF_APPROVAL = {CampaignAction.APPROVE, CampaignAction.ACTIVATE}


@pytest.fixture(scope="module")
def auth_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, int]]:
    folder = tmp_path_factory.mktemp("authorization")
    with world(folder, start=False) as here:
        here.slack.add_user(CAROL, name="carol", real_name="Carol Ong", tz="Asia/Singapore")
        here.slack.add_usergroup("S_APPROVERS", "approvers", users=[APPROVER, CAROL])
        bot = here.start_bot()
        spec = bot.services.campaigns.validate(campaign_body(name="Authorization test"))
        summary = bot.services.campaigns.create(
            spec, requested_by=REQUESTER_APPROVER, source="test"
        )
        posted = bot.client.chat_postMessage(channel=CAMPAIGNS, text="Authorization test")
        bot.services.store.set_slack_message(summary.id, channel=CAMPAIGNS, ts=posted["ts"])
        yield here, summary.id


@pytest.fixture
def here(auth_world: tuple[World, int], monkeypatch: pytest.MonkeyPatch) -> tuple[World, int]:
    monkeypatch.chdir(ROOT)
    return auth_world


def _set_status(here: World, campaign_id: int, status: Status) -> str:
    """Put the campaign in ``status`` and re-render its message; returns the message ts."""
    assert here.bot is not None
    store = here.bot.services.store
    set_columns(store, campaign_id, status=status, approved_by=None, activate_at=None)
    summary = here.bot.services.campaigns.get(campaign_id)
    assert summary is not None
    here.bot.slack.messages.refresh_campaign_message(summary)
    return str(summary.slack_ts)


def _refused(here: World, campaign_id: int) -> list:
    assert here.bot is not None
    events = here.bot.services.store.audit_events(campaign_id=campaign_id)
    return [e for e in events if e.outcome == "refused"]


def _expect_refusal(
    here: World, campaign_id: int, user: str, status: Status, act, why: str
) -> None:  # type: ignore[no-untyped-def]
    slack = here.slack
    refusals = len(_refused(here, campaign_id))
    answers = len(slack.ephemerals(user))
    here.graph.clear_requests()
    act()

    def answered() -> str:
        # A slash command is acked with "Working on it…" first; the refusal follows it.
        return " ".join(e.get("text", "") for e in slack.ephemerals(user)[answers:])

    slack.wait_until(lambda: "You cannot" in answered(), timeout=5)
    text = answered()
    slack.wait_until(lambda: len(_refused(here, campaign_id)) > refusals, timeout=5)
    assert "You cannot" in text and why in text, text
    new = _refused(here, campaign_id)[refusals:]
    assert [e.actor for e in new] == [user], new
    assert "(team " in (new[0].detail or "")  # the audit says from which workspace
    assert here.bot is not None
    row = here.bot.services.store.get(campaign_id)
    assert row is not None and row.status == status
    assert meta_writes(here.graph) == []


REFUSED_CLICKERS = [
    (BYSTANDER, "only approvers"),  # same workspace, not an approver
    (OUTSIDER, "only approvers"),  # listed as approver, but a member of another workspace
]


@pytest.mark.parametrize("action", list(BUTTONS))
@pytest.mark.parametrize(("user", "why"), REFUSED_CLICKERS)
def test_a_button_pressed_by_someone_without_the_role_is_refused_and_audited(
    here: tuple[World, int], action: CampaignAction, user: str, why: str
) -> None:
    w, campaign_id = here
    status = BUTTONS[action]
    ts = _set_status(w, campaign_id, status)
    value = ActionMetadata(campaign_id=campaign_id).model_dump_json()
    _expect_refusal(
        w,
        campaign_id,
        user,
        status,
        lambda: w.slack.click_button(
            user=user, channel=CAMPAIGNS, message_ts=ts, action_id=action, value=value
        ),
        why,
    )


@pytest.mark.parametrize("action", sorted(SELF_APPROVAL))
def test_the_requester_cannot_approve_or_activate_their_own_campaign(
    here: tuple[World, int], action: CampaignAction
) -> None:
    w, campaign_id = here
    ts = _set_status(w, campaign_id, Status.CREATED)
    if action is CampaignAction.ACTIVATE:  # not on the approval message: a forged click
        click = lambda: _forge_click(w, REQUESTER_APPROVER, action, campaign_id)  # noqa: E731
    else:
        value = ActionMetadata(campaign_id=campaign_id).model_dump_json()
        click = lambda: w.slack.click_button(  # noqa: E731
            user=REQUESTER_APPROVER,
            channel=CAMPAIGNS,
            message_ts=ts,
            action_id=action,
            value=value,
        )
    _expect_refusal(w, campaign_id, REQUESTER_APPROVER, Status.CREATED, click, "own campaign")


@pytest.mark.parametrize("action", list(BUTTONS))
def test_a_forged_click_claiming_another_workspace_is_refused(
    here: tuple[World, int], action: CampaignAction
) -> None:
    """Carol's user id, but the payload says she acts from another workspace (shared channel)."""
    w, campaign_id = here
    status = BUTTONS[action]
    _set_status(w, campaign_id, status)
    _expect_refusal(
        w,
        campaign_id,
        CAROL,
        status,
        lambda: _forge_click(w, CAROL, action, campaign_id, team="T0OTHER"),
        "only approvers",
    )


@pytest.mark.parametrize("text", list(COMMANDS))
@pytest.mark.parametrize(("user", "why"), REFUSED_CLICKERS)
def test_a_state_changing_command_from_someone_without_the_role_is_refused_and_audited(
    here: tuple[World, int], text: str, user: str, why: str
) -> None:
    w, campaign_id = here
    status = COMMANDS[text]
    _set_status(w, campaign_id, status)
    _expect_refusal(
        w,
        campaign_id,
        user,
        status,
        lambda: w.slack.slash_command(
            user=user, channel=CAMPAIGNS, command="/campaign", text=text.format(id=campaign_id)
        ),
        why,
    )


def test_the_requester_cannot_activate_their_own_campaign_by_command(
    here: tuple[World, int],
) -> None:
    w, campaign_id = here
    _set_status(w, campaign_id, Status.CREATED)
    _expect_refusal(
        w,
        campaign_id,
        REQUESTER_APPROVER,
        Status.CREATED,
        lambda: w.slack.slash_command(
            user=REQUESTER_APPROVER,
            channel=CAMPAIGNS,
            command="/campaign",
            text=f"activate {campaign_id}",
        ),
        "own campaign",
    )


def test_an_approver_of_this_workspace_can_do_each_of_them(here: tuple[World, int]) -> None:
    """The refusals above are about the role, not the state: Carol's identical clicks work."""
    w, campaign_id = here
    assert w.bot is not None
    store = w.bot.services.store
    value = ActionMetadata(campaign_id=campaign_id).model_dump_json()
    for action, status, after in (
        (CampaignAction.APPROVE, Status.CREATED, Status.SCHEDULED),
        (CampaignAction.CANCEL, Status.SCHEDULED, Status.CANCELLED),
        (CampaignAction.PAUSE, Status.ACTIVE, Status.PAUSED),
        (CampaignAction.RESUME, Status.PAUSED, Status.ACTIVE),
    ):
        ts = _set_status(w, campaign_id, status)
        if status is Status.SCHEDULED:  # cancel needs a scheduled time
            set_columns(store, campaign_id, approved_by=CAROL)
        w.slack.click_button(
            user=CAROL, channel=CAMPAIGNS, message_ts=ts, action_id=action, value=value
        )
        w.slack.wait_until(lambda a=after: store.get(campaign_id).status == a, timeout=5)
    ok = [e.action for e in store.audit_events(campaign_id=campaign_id) if e.actor == CAROL]
    assert {"approve", "cancel", "paused", "active"} <= set(ok)


def _forge_click(
    here: World, user: str, action: CampaignAction, campaign_id: int, *, team: str | None = None
) -> None:
    """A block_actions payload for a button the message may not show, as a hostile client sends."""
    slack = here.slack
    ws = slack.ws
    message = slack.messages(CAMPAIGNS)[-1]
    element = {
        "type": "button",
        "action_id": str(action),
        "text": {"type": "plain_text", "text": "forged"},
        "value": ActionMetadata(campaign_id=campaign_id).model_dump_json(),
    }
    payload = block_actions_message(
        ws,
        user_id=user,
        channel_id=CAMPAIGNS,
        message=message,
        is_ephemeral=False,
        action=action_for(element, "forged", ws.ids.ts()),
        trigger_id=slack._issue_trigger(user),
        response_url=slack._response_url(slack._issue_response_url("actions", user, CAMPAIGNS)),
    )
    if team is not None:
        payload["user"]["team_id"] = team
    slack.socket.submit("interactive", payload, accepts_response_payload=False).wait(5)
