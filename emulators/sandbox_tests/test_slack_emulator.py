"""The Slack emulator against the real, unmodified slack_bolt / slack_sdk clients.

A small Bolt app (defined here) runs in Socket Mode against the emulator: slash command ->
modal with a file_input -> submission rejected with errors -> valid submission -> message
with a button -> click -> chat.update. Fault paths: expired trigger, invalid Block Kit, 429
retry, dropped connection, refresh request, redelivery with retry_attempt.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.slack_emulator import SlackEmulator, UIValidationError, ratelimit
from sandbox.slack_emulator.blockkit import validate_blocks, validate_view

CHANNEL = "C_CAMPAIGNS"
ROOT = Path(__file__).resolve().parents[2]
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 64


@dataclass
class Seen:
    """What the test app observed, for assertions."""

    errors: list[str] = field(default_factory=list)
    downloads: list[bytes] = field(default_factory=list)
    retry_nums: list[str | None] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)


def campaign_modal(channel: str, name: str | None = None) -> dict[str, Any]:
    name_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": 80,
    }
    if name is not None:
        name_element["initial_value"] = name
    return {
        "type": "modal",
        "callback_id": "campaign_create",
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": "New campaign"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "template",
                "optional": True,
                "dispatch_action": True,
                "label": {"type": "plain_text", "text": "Start from"},
                "element": {
                    "type": "static_select",
                    "action_id": "template",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Spring sale"}, "value": "spring"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Name"},
                "element": name_element,
            },
            {
                "type": "input",
                "block_id": "budget",
                "label": {"type": "plain_text", "text": "Daily budget (USD)"},
                "element": {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                },
            },
            {
                "type": "input",
                "block_id": "objective",
                "label": {"type": "plain_text", "text": "Objective"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Sales"}, "value": "sales"},
                        {"text": {"type": "plain_text", "text": "Traffic"}, "value": "traffic"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "video",
                "label": {"type": "plain_text", "text": "Video"},
                "element": {
                    "type": "file_input",
                    "action_id": "value",
                    "filetypes": ["mp4", "mov"],
                    "max_files": 1,
                },
            },
        ],
    }


def build_app(emu: SlackEmulator, seen: Seen) -> App:
    client = WebClient(token=emu.bot_token, base_url=emu.api_url)
    app = App(client=client)

    @app.command("/campaign")
    def campaign(ack: Any, body: dict[str, Any], client: WebClient, request: Any) -> None:
        seen.retry_nums.append(request.headers.get("x-slack-retry-num", [None])[0])
        ack()
        text = body["text"].strip()
        try:
            if text == "slow":
                time.sleep(0.4)
            if text == "badview":
                view = dict(campaign_modal(body["channel_id"]))
                view["title"] = {"type": "plain_text", "text": "A title that is far too long"}
                client.views_open(trigger_id=body["trigger_id"], view=view)
                return
            client.views_open(
                trigger_id=body["trigger_id"], view=campaign_modal(body["channel_id"])
            )
            if text == "twice":
                client.views_open(trigger_id=body["trigger_id"], view=campaign_modal("x"))
            if text == "post":
                client.chat_postMessage(channel=body["channel_id"], text="posted")
        except SlackApiError as e:
            seen.errors.append(e.response["error"])

    @app.view("campaign_create")
    def create(ack: Any, view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        seen.submissions.append(values)
        if int(values["budget"]["value"]["value"]) < 10:
            ack(response_action="errors", errors={"budget": "Minimum daily budget is $10"})
            return
        ack()
        file_obj = values["video"]["value"]["files"][0]
        info = client.files_info(file=file_obj["id"])["file"]
        resp = requests.get(
            info["url_private_download"],
            headers={"Authorization": f"Bearer {emu.bot_token}"},
            timeout=5,
        )
        seen.downloads.append(resp.content)
        name = values["name"]["value"]["value"]
        client.chat_postMessage(
            channel=view["private_metadata"],
            text=f"Campaign {name} awaits approval",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{name}* awaits approval"},
                },
                {
                    "type": "actions",
                    "block_id": "decide",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "text": {"type": "plain_text", "text": "Approve"},
                            "style": "primary",
                            "value": name,
                        }
                    ],
                },
            ],
        )

    @app.action("template")
    def template(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body["view"]
        choice = body["actions"][0]["selected_option"]["value"]
        client.views_update(
            view_id=view["id"],
            hash=view["hash"],
            view=campaign_modal(view["private_metadata"], name=f"{choice.title()} Sale"),
        )

    @app.action("approve")
    def approve(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Approved by <@{body['user']['id']}>",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"Approved by <@{body['user']['id']}>"},
                }
            ],
        )

    return app


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user("U_ALICE", name="alice", real_name="Alice Tan", tz="Asia/Singapore")
        emulator.add_user("U_BOB", name="bob", real_name="Bob Lee", tz="America/New_York")
        emulator.add_user("U_EVE", name="eve", team_id="T0OTHER")
        emulator.add_channel(CHANNEL, name="campaigns")
        emulator.add_usergroup("S_APPROVERS", handle="approvers", users=["U_BOB"])
        yield emulator


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def bolt(emu: SlackEmulator, seen: Seen) -> Iterator[tuple[App, SocketModeHandler]]:
    app = build_app(emu, seen)
    handler = SocketModeHandler(app, emu.app_token, ping_interval=1)
    handler.connect()
    emu.wait_for_connection()
    try:
        yield app, handler
    finally:
        emu.close_handler(handler)


def web(emu: SlackEmulator, token: str | None = None) -> WebClient:
    return WebClient(token=token or emu.bot_token, base_url=emu.api_url)


# -- end to end through Socket Mode ------------------------------------------------


def test_command_modal_errors_submit_message_button_update(emu, seen, bolt):
    assert emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign") is None
    view = emu.wait_for_view("U_ALICE", timeout=5)
    assert view["callback_id"] == "campaign_create" and view["hash"]

    file_id = emu.upload_file("U_ALICE", "ad.mp4", VIDEO)
    values = {"name": "Spring", "budget": 5, "objective": "sales", "video": file_id}
    ack = emu.submit_view("U_ALICE", view["id"], values)
    assert ack == {"response_action": "errors", "errors": {"budget": "Minimum daily budget is $10"}}
    assert emu.view(view["id"])["errors"] == {"budget": "Minimum daily budget is $10"}
    submitted = seen.submissions[0]
    assert submitted["objective"]["value"]["selected_option"]["value"] == "sales"
    assert submitted["budget"]["value"] == {"type": "number_input", "value": "5"}
    assert submitted["video"]["value"]["files"][0]["id"] == file_id

    assert emu.submit_view("U_ALICE", view["id"], {"budget": "25"}) is None
    assert emu.views("U_ALICE") == []  # a plain ack closes the modal
    msg = emu.wait_until(lambda: emu.messages(CHANNEL), timeout=5)[0]
    assert msg["text"] == "Campaign Spring awaits approval"
    assert msg["bot_id"] == emu.bot_id
    assert seen.downloads == [VIDEO]

    emu.click_button(user="U_BOB", channel=CHANNEL, message_ts=msg["ts"], action_id="approve")
    emu.wait_until(lambda: len(emu.message_history(CHANNEL, msg["ts"])) == 2, timeout=5)
    current = emu.messages(CHANNEL)[0]
    assert current["text"] == "Approved by <@U_BOB>" and "edited" in current
    with pytest.raises(LookupError):  # the button is gone after the update
        emu.click_button(user="U_BOB", channel=CHANNEL, message_ts=msg["ts"], action_id="approve")
    block_actions = emu.last_envelope("interactive").payload
    assert block_actions["container"]["message_ts"] == msg["ts"]
    assert block_actions["response_url"].startswith(emu.api_url.removesuffix("api/"))
    assert emu.problems == []


def test_required_field_is_enforced_by_the_client(emu, bolt):
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
    view = emu.wait_for_view("U_ALICE")
    with pytest.raises(UIValidationError, match="required"):
        emu.submit_view("U_ALICE", view["id"], {"name": "x", "budget": 20})
    with pytest.raises(UIValidationError, match="filetype"):
        fid = emu.upload_file("U_ALICE", "notes.txt", b"hi")
        emu.submit_view("U_ALICE", view["id"], {"budget": 20, "objective": "sales", "video": fid})


def test_expired_and_reused_trigger_ids(emu, seen, bolt):
    emu.trigger_ttl = 0.2
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign", text="slow")
    emu.wait_until(lambda: seen.errors, timeout=5)
    assert seen.errors == ["expired_trigger_id"]
    emu.trigger_ttl = 3.0
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign", text="twice")
    emu.wait_until(lambda: len(seen.errors) == 2, timeout=5)
    assert seen.errors[1] == "exchanged_trigger_id"


def test_invalid_view_is_rejected_like_slack(emu, seen, bolt):
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign", text="badview")
    emu.wait_until(lambda: seen.errors, timeout=5)
    assert seen.errors == ["invalid_arguments"]
    call = [c for c in emu.call_log if c.method == "views.open"][-1]
    assert call.response["response_metadata"]["messages"] == [
        "[ERROR] title must be between 1 and 24 characters [json-pointer:/view]"
    ]


def test_rate_limited_call_is_retried_when_the_app_adds_the_handler(emu, seen, bolt):
    app, _ = bolt
    app.client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    emu.fail_next("chat.postMessage", error="ratelimited", retry_after=1)
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign", text="post")
    emu.wait_until(lambda: emu.messages(CHANNEL), timeout=5)
    attempts = [c for c in emu.call_log if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert seen.errors == []


def test_rate_limit_without_retry_handler_surfaces_ratelimited(emu):
    emu.fail_next("chat.postMessage")
    with pytest.raises(SlackApiError) as err:
        web(emu).chat_postMessage(channel=CHANNEL, text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"
    emu.fail_next("users.info", error="internal_error")
    with pytest.raises(SlackApiError, match="internal_error"):
        web(emu).users_info(user="U_ALICE")


def test_client_reconnects_after_dropped_connection(emu, bolt):
    # one round trip first: the client's reader thread must be running to see the reset at once
    emu.slash_command(user="U_BOB", channel=CHANNEL, command="/campaign")
    assert emu.connections_opened == 1
    assert emu.drop_socket_connections() == 1
    emu.wait_until(lambda: emu.connections_opened == 2 and emu.connection_count == 1, timeout=8)
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
    assert emu.wait_for_view("U_ALICE")["callback_id"] == "campaign_create"

    emu.request_reconnect("refresh_requested")
    emu.wait_until(lambda: emu.connections_opened == 3 and emu.connection_count == 1, timeout=8)
    emu.slash_command(user="U_BOB", channel=CHANNEL, command="/campaign")
    assert emu.wait_for_view("U_BOB")


def test_envelopes_are_spread_over_live_connections(emu):
    handled: list[str] = []
    handlers = []

    def make_listener(tag: str) -> Any:
        def cmd(ack: Any) -> None:
            handled.append(tag)
            ack()

        return cmd

    for tag in ("a", "b"):
        app = App(client=web(emu))
        app.command("/campaign")(make_listener(tag))
        handler = SocketModeHandler(app, emu.app_token)
        handler.connect()
        handlers.append(handler)
    try:
        emu.wait_for_connection(count=2)
        for _ in range(4):
            emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
        assert sorted(handled) == ["a", "a", "b", "b"]
        assert len({env.connection_id for env in emu.envelopes}) == 2
    finally:
        for handler in handlers:
            emu.close_handler(handler)


def test_redelivered_envelope_carries_retry_attempt(emu, seen, bolt):
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
    first = emu.last_envelope("slash_commands")
    again = emu.redeliver_last("slash_commands")
    assert again.wait(5) is None
    assert again.envelope_id != first.envelope_id
    assert again.payload == first.payload
    assert again.wire[0]["retry_attempt"] == 1 and again.wire[0]["retry_reason"] == "timeout"
    assert seen.retry_nums == [None, "1"]


def test_unacked_events_are_redelivered_with_retry_attempt():
    with SlackEmulator(ack_timeout=0.3, max_retries=2) as emu:
        app = App(client=web(emu))  # no listener for the event: Bolt never acks it
        handler = SocketModeHandler(app, emu.app_token)
        handler.connect()
        try:
            env = emu.send_event({"type": "reaction_added", "user": "U1", "reaction": "bee"})
            with pytest.raises(TimeoutError, match="timed_out"):
                env.wait(5)
            assert [(w["retry_attempt"], w["retry_reason"]) for w in env.wire] == [
                (0, ""),
                (1, "timeout"),
                (2, "timeout"),
            ]
            assert len(set(env.envelope_ids)) == 3
        finally:
            emu.close_handler(handler)


def test_unacked_slash_command_times_out_without_redelivery():
    with SlackEmulator(ack_timeout=0.3) as emu:
        emu.add_user("U_ALICE", name="alice")
        emu.add_channel(CHANNEL, name="campaigns")
        handler = SocketModeHandler(App(client=web(emu)), emu.app_token)  # no /campaign listener
        handler.connect()
        try:
            with pytest.raises(TimeoutError, match="operation_timeout"):
                emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
            assert len(emu.last_envelope().wire) == 1
            assert any("timed_out" in p for p in emu.problems)
        finally:
            emu.close_handler(handler)


def test_select_in_modal_prefills_via_views_update(emu, seen, bolt):
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
    view = emu.wait_for_view("U_ALICE")
    # an input block without dispatch_action would only change local state; this one dispatches
    assert emu.select_option("U_ALICE", view["id"], "template", "template", "spring") is None
    action = emu.last_envelope("interactive").payload
    assert action["container"] == {"type": "view", "view_id": view["id"]}
    assert (
        action["view"]["state"]["values"]["template"]["template"]["selected_option"]["value"]
        == "spring"
    )
    prefilled = emu.wait_for_view("U_ALICE", after=view)
    assert prefilled["id"] == view["id"]
    assert prefilled["state"]["values"]["name"]["value"]["value"] == "Spring Sale"
    fid = emu.upload_file("U_ALICE", "ad.mov", VIDEO, mimetype="video/quicktime")
    emu.submit_view("U_ALICE", view["id"], {"budget": 10, "objective": "Traffic", "video": [fid]})
    emu.wait_until(lambda: emu.messages(CHANNEL), timeout=5)
    assert seen.submissions[-1]["name"]["value"]["value"] == "Spring Sale"
    assert seen.submissions[-1]["template"]["template"]["selected_option"]["value"] == "spring"


# -- Web API behaviour (no Socket Mode needed) ------------------------------------


def test_auth_and_token_checks(emu):
    auth = web(emu).auth_test()
    assert (auth["team_id"], auth["bot_id"], auth["user_id"]) == (
        "T0ADBEE",
        emu.bot_id,
        emu.bot_user_id,
    )
    assert "chat:write" in auth.headers["x-oauth-scopes"]
    for token, error in (("xoxb-nope", "invalid_auth"), (emu.app_token, "not_allowed_token_type")):
        with pytest.raises(SlackApiError, match=error):
            web(emu, token).auth_test()
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        web(emu).apps_connections_open(app_token=emu.bot_token)
    url = web(emu).apps_connections_open(app_token=emu.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    with pytest.raises(SlackApiError, match="unknown_method"):
        web(emu).api_call("chat.nope")
    assert emu.bot_token.startswith("xoxb-") and len(emu.bot_token) < 15


def test_the_app_is_granted_exactly_the_scopes_its_manifest_asks_for(emu):
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    asked = manifest["oauth_config"]["scopes"]["bot"]
    assert list(emu.scopes) == asked
    assert web(emu).auth_test().headers["x-oauth-scopes"] == ",".join(asked)
    with pytest.raises(SlackApiError) as refused:  # im:write is not in the manifest
        web(emu).conversations_open(users="U_ALICE")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "im:write"
    assert refused.value.response["provided"] == ",".join(asked)


def test_a_file_shared_only_where_the_bot_is_not_is_not_visible(emu):
    emu.add_channel("C_DESIGN", "design", bot_member=False)
    hidden = emu.upload_file("U_ALICE", "ad.mp4", VIDEO, channel="C_DESIGN")
    with pytest.raises(SlackApiError, match="not_visible"):
        web(emu).files_info(file=hidden)
    attached = emu.upload_file("U_ALICE", "ad.mp4", VIDEO)  # as into the app's file_input
    assert web(emu).files_info(file=attached)["file"]["id"] == attached
    emu.ws.channels["C_DESIGN"].bot_member = True  # /invite @AdBee in #design
    assert web(emu).files_info(file=hidden)["file"]["id"] == hidden


def test_downloads_go_through_a_redirect_and_a_hidden_file_gets_the_sign_in_page(emu):
    fid = emu.upload_file("U_ALICE", "ad.mp4", VIDEO)
    url = web(emu).files_info(file=fid)["file"]["url_private_download"]
    auth = {"Authorization": f"Bearer {emu.bot_token}"}
    hop = requests.get(url, headers=auth, allow_redirects=False, timeout=5)
    assert hop.status_code == 302 and "/files-edge/" in hop.headers["Location"]
    assert requests.get(hop.headers["Location"], headers=auth, timeout=5).content == VIDEO
    tokenless = requests.get(hop.headers["Location"], timeout=5)  # the token was not forwarded
    assert tokenless.headers["Content-Type"].startswith("text/html")
    emu.serve_sign_in_page(fid)
    page = requests.get(url, headers=auth, timeout=5)
    assert page.status_code == 200 and b"Sign in" in page.content
    assert [d["bot_token"] for d in emu.downloads] == [True, True, False, True]


def test_a_held_download_starts_and_waits_until_released(emu):
    """A test stalls the bot in its download (``hold_file_downloads``), optionally of one file
    name only, and lets it go on when it is ready; nothing is timed."""
    video = emu.upload_file("U_ALICE", "ad.mp4", VIDEO)
    sheet = emu.upload_file("U_ALICE", "launches.csv", b"name\n", filetype="csv")
    auth = {"Authorization": f"Bearer {emu.bot_token}"}

    def url(fid: str) -> str:
        return str(web(emu).files_info(file=fid)["file"]["url_private_download"])

    emu.hold_file_downloads(named="ad.mp4")
    assert requests.get(url(sheet), headers=auth, timeout=5).content == b"name\n"  # not held
    got: list[bytes] = []
    getting = threading.Thread(
        target=lambda: got.append(requests.get(url(video), headers=auth, timeout=30).content)
    )
    getting.start()
    held = emu.wait_until(
        lambda: [d for d in emu.file_downloads() if "ad.mp4" in d["path"] and not d["finished"]],
        timeout=10,
    )
    assert held and got == []
    emu.release_file_downloads()
    getting.join(timeout=10)
    assert got == [VIDEO]
    assert all(d["finished"] for d in emu.file_downloads())


def test_chat_methods_follow_slacks_rate_tiers(emu):
    client = WebClient(token=emu.bot_token, base_url=emu.api_url)  # no retry handler
    statuses = []
    for i in range(6):
        try:
            client.chat_postMessage(channel=CHANNEL, text=f"m{i}")
            statuses.append(200)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)
            assert exc.response.headers["Retry-After"] == "1"
            assert exc.response["error"] == "ratelimited"
    burst = ratelimit.TIERS["chat.postMessage"].burst
    assert statuses[:burst] == [200] * burst and 429 in statuses[burst:]
    client.chat_postMessage(
        channel=emu.dm_channel("U_ALICE"), text="another channel: its own limit"
    )
    ts = emu.messages(CHANNEL)[0]["ts"]
    updates = ratelimit.TIERS["chat.update"].burst
    for i in range(updates):
        client.chat_update(channel=CHANNEL, ts=ts, text=f"v{i}")
    with pytest.raises(SlackApiError, match="ratelimited"):
        client.chat_update(channel=CHANNEL, ts=ts, text="one too many")
    emu.rate_limits = False  # the switch unit tests may use
    client.chat_update(channel=CHANNEL, ts=ts, text="unlimited")


def test_home_tabs_share_one_tier_4_budget_for_the_workspace(emu):
    """views.publish is Tier 4 (100+ per minute) for the app in the workspace, not per user."""
    client = WebClient(token=emu.bot_token, base_url=emu.api_url)  # no retry handler
    view = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    burst = ratelimit.TIERS["views.publish"].burst
    users = ["U_ALICE", "U_BOB"]
    for i in range(burst):
        client.views_publish(user_id=users[i % 2], view=view)
    with pytest.raises(SlackApiError, match="ratelimited") as refused:
        client.views_publish(user_id="U_BOB", view=view)
    assert refused.value.response.status_code == 429
    assert int(refused.value.response.headers["Retry-After"]) >= 1


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_updates_and_errors(emu):
    client = web(emu)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C_NOPE", text="x")
    with pytest.raises(SlackApiError, match="no_text"):
        client.chat_postMessage(channel=CHANNEL)
    ts = client.chat_postMessage(channel="#campaigns", text="v1")["ts"]
    client.chat_update(channel=CHANNEL, ts=ts, text="v2")
    assert [v["text"] for v in emu.message_history(CHANNEL, ts)] == ["v1", "v2"]
    with pytest.raises(SlackApiError, match="msg_too_long"):
        client.chat_update(channel=CHANNEL, ts=ts, text="x" * 4001)
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel=CHANNEL, ts="1.000001", text="x")
    user_ts = emu.post_user_message("U_ALICE", CHANNEL, "hello")
    with pytest.raises(SlackApiError, match="cant_update_message"):
        client.chat_update(channel=CHANNEL, ts=user_ts, text="x")
    reply = client.chat_postMessage(channel=CHANNEL, text="r", thread_ts=ts)["ts"]
    assert [m["ts"] for m in emu.thread(CHANNEL, ts)] == [ts, reply]
    assert emu.messages(CHANNEL)[0]["reply_count"] == 1
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{CHANNEL}/p{ts.replace('.', '')}")
    with pytest.raises(SlackApiError, match="user_not_in_channel"):
        emu.add_channel("C_PRIV", name="priv", members=["U_ALICE"])
        client.chat_postEphemeral(channel="C_PRIV", user="U_BOB", text="psst")
    client.chat_postEphemeral(channel=CHANNEL, user="U_BOB", text="psst")
    assert [e["text"] for e in emu.ephemerals("U_BOB")] == ["psst"]
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(
            channel=CHANNEL,
            text="x",
            blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        )
    assert err.value.response["error"] == "invalid_blocks"
    assert err.value.response["response_metadata"]["messages"] == [
        "[ERROR] text attribute cannot exceed 150 characters [json-pointer:/blocks/0]"
    ]


def test_users_groups_conversations(emu):
    client = web(emu)
    alice = client.users_info(user="U_ALICE")["user"]
    assert (alice["tz"], alice["tz_offset"], alice["team_id"]) == (
        "Asia/Singapore",
        28800,
        "T0ADBEE",
    )
    assert client.users_info(user="U_EVE")["user"]["team_id"] == "T0OTHER"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U_NOBODY")
    assert client.usergroups_users_list(usergroup="S_APPROVERS")["users"] == ["U_BOB"]
    with pytest.raises(SlackApiError, match="missing_scope"):  # not in AdBee's manifest
        client.conversations_info(channel=CHANNEL)
    emu.scopes = (*emu.scopes, "channels:read", "im:write")
    assert client.conversations_info(channel=CHANNEL)["channel"]["name"] == "campaigns"
    dm = client.conversations_open(users="U_ALICE")["channel"]["id"]
    assert dm.startswith("D") and dm == emu.dm_channel("U_ALICE")
    client.chat_postMessage(channel="U_ALICE", text="hi in DM")
    assert emu.messages(dm)[0]["text"] == "hi in DM"
    assert ("users.info", {"user": "U_ALICE"}) in emu.calls


def test_file_download_requires_the_bot_token(emu):
    fid = emu.upload_file("U_ALICE", "ad.mp4", VIDEO)
    info = web(emu).files_info(file=fid)["file"]
    assert (info["filetype"], info["mimetype"], info["size"]) == ("mp4", "video/mp4", len(VIDEO))
    ok = requests.get(
        info["url_private_download"], headers={"Authorization": f"Bearer {emu.bot_token}"}
    )
    assert ok.status_code == 200 and ok.content == VIDEO
    anon = requests.get(info["url_private_download"], timeout=5)
    assert anon.status_code == 200 and anon.headers["Content-Type"].startswith("text/html")
    assert anon.history and anon.history[0].status_code == 302
    with pytest.raises(SlackApiError, match="file_not_found"):
        web(emu).files_info(file="F_NOPE")


def test_files_upload_v2_needs_exactly_files_write(emu):
    """getUploadURLExternal and completeUploadExternal both need files:write (docs.slack.dev
    method pages); files:read alone, which downloads need, is not enough."""
    granted = emu.scopes
    emu.scopes = tuple(s for s in granted if s != "files:write")
    with pytest.raises(SlackApiError) as refused:
        web(emu).files_upload_v2(channel=CHANNEL, content=b"x", filename="chart.png")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "files:write"
    emu.scopes = granted
    assert web(emu).files_upload_v2(channel=CHANNEL, content=b"x", filename="chart.png")["ok"]


def test_files_upload_v2_flow(emu):
    assert "files:write" in emu.scopes  # the manifest asks for it: report charts
    resp = web(emu).files_upload_v2(channel=CHANNEL, content=b"a,b\n1,2\n", filename="report.csv",
                                    initial_comment="weekly report")  # fmt: skip
    fid = resp["file"]["id"]
    assert emu.file_content(fid) == b"a,b\n1,2\n"
    msg = emu.messages(CHANNEL)[-1]
    assert msg["text"] == "weekly report" and msg["files"][0]["id"] == fid


def test_response_url_use_limit_and_no_replace_for_slash_commands(emu, bolt):
    app, _ = bolt
    responded: list[int] = []

    @app.command("/ping")
    def ping(ack: Any, respond: Any) -> None:
        ack("working…")
        for i in range(6):
            responded.append(respond(text=f"step {i}", replace_original=i == 0).status_code)

    assert emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/ping") == {
        "text": "working…"
    }
    emu.wait_until(lambda: len(responded) == 6, timeout=5)
    assert responded == [200] * 5 + [404]
    texts = [e["text"] for e in emu.ephemerals("U_ALICE")]
    # replace_original on a command's response_url posts a new message, as Slack does
    # The ack travels over the socket and the replies over HTTP, so only the replies' own order
    # is guaranteed (as with Slack itself).
    assert "working…" in texts
    assert [t for t in texts if t != "working…"] == [f"step {i}" for i in range(5)]
    assert [p for p in emu.problems if "replace_original" in p]
    assert emu.responses[-1]["status"] == 404


def test_response_url_of_a_click_replaces_the_message(emu, bolt):
    app, _ = bolt
    client = web(emu)
    posted = client.chat_postMessage(
        channel=CHANNEL,
        text="Pick",
        blocks=[{"type": "actions", "elements": [{"type": "button", "action_id": "pick",
                 "text": {"type": "plain_text", "text": "Pick"}}]}],
    )  # fmt: skip

    @app.action("pick")
    def pick(ack: Any, respond: Any) -> None:
        ack()
        respond(text="Picked", replace_original=True)

    emu.click_button("U_ALICE", CHANNEL, posted["ts"], "pick")
    emu.wait_until(lambda: emu.message(CHANNEL, posted["ts"])["text"] == "Picked", timeout=5)
    assert emu.problems == []


def test_views_update_hash_conflict_and_fill(emu, bolt):
    app, _ = bolt
    emu.slash_command(user="U_ALICE", channel=CHANNEL, command="/campaign")
    view = emu.wait_for_view("U_ALICE")
    client = app.client
    new = campaign_modal(CHANNEL)
    new["title"]["text"] = "Step 2"
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=new)["view"]
    assert updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=view["id"], hash=view["hash"], view=new)
    assert emu.wait_for_view("U_ALICE", after=view)["title"]["text"] == "Step 2"
    filled = emu.fill(updated, {"objective": "Traffic", "name": "N"})
    assert filled["objective"]["value"]["selected_option"]["value"] == "traffic"
    assert filled["name"]["value"] == {"type": "plain_text_input", "value": "N"}


# -- Block Kit limits ---------------------------------------------------------------


def test_block_kit_limits():
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    assert validate_blocks([section] * 50) == []
    assert "no more than 50 items" in validate_blocks([section] * 51)[0]
    long_button = {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}
        ],
    }
    assert validate_blocks([long_button]) == [
        "[ERROR] text attribute cannot exceed 75 characters [json-pointer:/blocks/0]"
    ]
    dup = [dict(section, block_id="x"), dict(section, block_id="x")]
    assert "not unique" in validate_blocks(dup)[0]
    file_input = {
        "type": "input",
        "label": {"type": "plain_text", "text": "f"},
        "element": {"type": "file_input", "action_id": "f"},
    }
    assert "only supported in modals" in validate_blocks([file_input])[0]
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": [file_input]}
    assert "submit is required" in validate_view(view)[0]
    view["submit"] = {"type": "plain_text", "text": "s" * 25}
    view["private_metadata"] = "m" * 3001
    assert len(validate_view(view)) == 2


def test_files_list_shows_what_the_bot_can_see_newest_first_in_pages(emu):
    """files.list (slack_sdk ``files_list``): a channel's files, newest first, paged with
    ``paging {count, total, page, pages}``; a channel the bot is not in shows nothing, and an
    unknown ``types`` value is ``unknown_type`` (docs.slack.dev files.list)."""
    emu.add_channel("C_DESIGN", "design", bot_member=False)
    older = emu.upload_file("U_ALICE", "cut-a.mp4", VIDEO, channel="C_CAMPAIGNS")
    newer = emu.upload_file("U_ALICE", "cut-b.mp4", VIDEO, channel="C_CAMPAIGNS")
    emu.upload_file("U_ALICE", "secret.mp4", VIDEO, channel="C_DESIGN")
    emu.upload_file("U_ALICE", "form.mp4", VIDEO)  # attached in a form: in no channel

    first = web(emu).files_list(channel="C_CAMPAIGNS", count=1)
    assert [f["id"] for f in first["files"]] == [newer]
    assert first["paging"] == {"count": 1, "total": 2, "page": 1, "pages": 2}
    second = web(emu).files_list(channel="C_CAMPAIGNS", count=1, page=2)
    assert [f["name"] for f in second["files"]] == ["cut-a.mp4"] and second["files"][0][
        "id"
    ] == older
    assert web(emu).files_list(channel="C_DESIGN")["files"] == []
    assert "secret.mp4" not in {f["name"] for f in web(emu).files_list()["files"]}
    with pytest.raises(SlackApiError, match="unknown_type"):
        web(emu).files_list(types="videos")
    with pytest.raises(SlackApiError, match="user_not_found"):
        web(emu).files_list(user="U_NOBODY")


@pytest.mark.parametrize(
    ("method", "per_minute"),
    [
        ("views.open", 100),
        ("chat.postEphemeral", 100),
        ("files.info", 100),
        ("users.info", 100),
        ("conversations.history", 50),
        ("conversations.info", 50),
    ],
)
def test_every_method_adbee_calls_is_held_to_its_tier(method, per_minute):
    """Tier 4 is "100+ per minute", Tier 3 "50+" (each method's reference page): past its burst a
    method waits for its refill, as at Slack, instead of answering however fast it is called."""
    now = [0.0]
    limiter = ratelimit.RateLimiter(clock=lambda: now[0])
    burst = limiter.tiers[method].burst
    assert all(limiter.take(method, {}) is None for _ in range(burst))
    assert limiter.take(method, {}) == math.ceil(60 / per_minute)  # Retry-After, whole seconds
    now[0] += 60 / per_minute
    assert limiter.take(method, {}) is None  # one more after a refill
