"""Slack as it really behaves where the emulator used to be kinder: the bot copes and says why.

File downloads that redirect (to Slack's file host, off Slack, to the sign-in page), files the bot
may not see, a campaigns channel the bot was never invited to, Slack leaving prefilled inputs out
of a submission, and a slash command's reply that cannot replace its own ack. Each story runs the
real bot in Socket Mode against both emulators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handlers.ids import CampaignAction
from handlers.ids import CampaignCreateBlock as B
from handlers.metadata import ActionMetadata
from tests.e2e.conftest import start_in
from tests.e2e.test_campaign_story import good_values, open_form
from tests.reliability.conftest import CAMPAIGNS, REQUESTER, ROOT, World, meta_writes, world
from tests.reliability.test_files import _channel_outcome, _submit

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def platform_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("platform")) as here:
        yield here


@pytest.fixture
def here(platform_world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The shared bot; whatever a story changes about Slack is put back afterwards."""
    monkeypatch.chdir(ROOT)
    ws = platform_world.slack.ws
    platform_world.graph.clear_requests()
    with ws.lock:
        ws.problems.clear()
    downloads = platform_world.slack._http.downloads  # type: ignore[union-attr]
    downloads.clear()
    yield platform_world
    ws.close_views(REQUESTER, all_views=True)  # the user closes whatever form is still open
    with ws.lock:
        ws.download_redirect, ws.download_redirect_base = True, None
        ws.sign_in_page_files.clear()
        ws.omit_untouched_after_update = False
        ws.channels[CAMPAIGNS].bot_member = True


def _video(here: World, **kwargs: Any) -> str:
    content = (ROOT / "creatives" / "ainote2.mp4").read_bytes()
    return here.slack.upload_file(
        user=REQUESTER,
        filename="ainote2.mp4",
        content=content,
        filetype="mp4",
        mimetype="video/mp4",
        **kwargs,
    )


def _approval_for(here: World, name: str) -> dict[str, Any]:
    """The channel message asking to approve the campaign called ``name``."""

    def ready() -> dict[str, Any] | None:
        for message in here.slack.messages(CAMPAIGNS):
            buttons = [
                e
                for b in message.get("blocks", [])
                for e in b.get("elements", []) or []
                if e.get("action_id") == CampaignAction.APPROVE
            ]
            if buttons and name in str(message):
                return message
        return None

    return here.slack.wait_until(ready, timeout=20)


# ------------------------------------------------------------------ downloads that redirect


def test_a_download_slack_redirects_to_its_file_host_arrives_whole(here: World) -> None:
    _submit(here, {B.VIDEO: [_video(here)]}, "Redirected download")

    assert "Approval needed" in _channel_outcome(here, "Redirected download")
    hops = [(d["path"].split("/")[1], d["bot_token"]) for d in here.slack.downloads]
    assert hops == [("files-pri", True), ("files-edge", True)], hops


def test_a_redirect_off_slack_is_not_followed_and_the_token_stays_home(here: World) -> None:
    port = here.slack.api_url.split(":")[2].split("/")[0]
    here.slack.ws.download_redirect_base = f"http://localhost:{port}/"  # same server, other host
    _submit(here, {B.VIDEO: [_video(here)]}, "Redirect off Slack")

    outcome = _channel_outcome(here, "Redirect off Slack")
    assert "localhost, which is not a Slack host" in outcome, outcome
    assert [d["host"] for d in here.slack.downloads if d["host"].startswith("localhost")] == []
    assert meta_writes(here.graph) == []


def test_slacks_sign_in_page_is_not_taken_for_the_video(here: World) -> None:
    file_id = _video(here)
    here.slack.serve_sign_in_page(file_id)
    _submit(here, {B.VIDEO: [file_id]}, "Sign-in page instead")

    outcome = _channel_outcome(here, "Sign-in page instead")
    assert "Slack sent its sign-in page instead of ainote2.mp4" in outcome, outcome
    assert "/invite @AdBee" in outcome
    assert meta_writes(here.graph) == []


# ------------------------------------------------------------------ what the bot may see and where it may post


def test_a_link_to_a_file_in_a_channel_without_the_bot_says_how_to_share_it(here: World) -> None:
    here.slack.add_channel("C_DESIGN", "design", bot_member=False)
    file_id = _video(here, channel="C_DESIGN")
    link = here.slack._file_object(file_id)["permalink"]
    _submit(here, {B.VIDEO_LINK: link}, "Video only in design")

    outcome = _channel_outcome(here, "Video only in design")
    assert "AdBee cannot see that file" in outcome and "/invite @AdBee" in outcome, outcome
    assert here.slack.calls_to("files.info")[-1]["file"] == file_id
    assert here.slack.downloads == []
    assert meta_writes(here.graph) == []


def test_without_the_bot_in_the_campaigns_channel_the_requester_learns_to_invite_it(
    here: World,
) -> None:
    slack = here.slack
    slack.ws.channels[CAMPAIGNS].bot_member = False
    submitted = _submit(here, {B.VIDEO: [_video(here)]}, "Nobody invited AdBee")

    def told() -> str:
        texts = [m.get("text", "") for m in slack.messages(REQUESTER)]
        return next((t for t in texts if "/invite @AdBee" in t), "")

    dm = slack.wait_until(told, timeout=10)
    assert f"<#{CAMPAIGNS}>" in dm and "Nothing was sent to Meta" in dm
    form = slack.wait_for_view(
        REQUESTER, timeout=10, predicate=lambda v: "/invite @AdBee" in str(v["blocks"])
    )
    assert form["id"] == submitted["view"]["id"]  # the form came back, filled in
    assert meta_writes(here.graph) == []

    slack.ws.channels[CAMPAIGNS].bot_member = True  # someone typed /invite @AdBee
    values = good_values(_video(here))
    values[B.NAME] = "Nobody invited AdBee"
    slack.submit_view(REQUESTER, form["id"], values=values, enforce_ui=False)
    assert "Approval needed" in _channel_outcome(here, "Nobody invited AdBee")


# ------------------------------------------------------------------ modal state and command replies


def test_a_template_survives_slack_dropping_the_inputs_nobody_touched(here: World) -> None:
    slack = here.slack
    slack.omit_untouched_after_update = True
    view = open_form(slack)
    slack.select_option(
        REQUESTER, view["id"], B.TEMPLATE, "campaign-create-template-select", "ainote2-launch"
    )
    filled = slack.wait_for_view(REQUESTER, timeout=5, after=view)
    ack = slack.submit_view(REQUESTER, filled["id"], values={B.START_TIME: start_in(days=4)})

    assert not (ack or {}).get("errors"), ack
    submitted = slack.last_envelope("interactive").payload["view"]["state"]["values"]
    assert B.NAME not in submitted and B.HEADLINE not in submitted  # Slack really left them out
    _approval_for(here, "AINOTE2 launch SG")
    creative = here.graph.objects("adcreative")[-1]
    assert "AINOTE 2 is here" in str(creative)  # the template's headline reached Meta


def test_a_command_answers_in_a_reply_of_its_own_not_by_replacing_its_ack(here: World) -> None:
    slack = here.slack
    _submit(here, {B.VIDEO: [_video(here)]}, "Command reply launch")
    message = _approval_for(here, "Command reply launch")
    value = next(
        e["value"]
        for b in message["blocks"]
        for e in b.get("elements", []) or []
        if e.get("action_id") == CampaignAction.APPROVE
    )
    campaign_id = ActionMetadata.model_validate_json(value).campaign_id
    before = len(slack.ephemerals(REQUESTER))

    slack.slash_command(REQUESTER, CAMPAIGNS, "/campaign", f"sync {campaign_id}")

    def replies() -> tuple[str, str] | None:
        # The creation's own ephemerals to Alice may still be arriving: start at the command's
        # ack. The ack goes back over the socket and the outcome over HTTP, so the outcome can
        # reach Slack first: both are looked for, in either order.
        texts = [e["text"] for e in slack.ephemerals(REQUESTER)[before:]]
        acks = [t for t in texts if t.startswith(":hourglass") and "Refreshing" in t]
        outcomes = [t for t in texts if f"(#{campaign_id}) is now" in t]
        return (acks[0], outcomes[0]) if acks and outcomes else None

    ack, outcome = slack.wait_until(replies, timeout=10)
    assert [p for p in slack.problems if "replace_original" in p] == []
    assert "Refreshing" not in outcome  # a reply of its own, beside the ack
    assert f"#{campaign_id}" in ack and "Refreshing" in ack  # the ack reads well left above it
