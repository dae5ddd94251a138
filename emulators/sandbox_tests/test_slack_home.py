"""The emulator's Home tab: views.publish as Slack judges it, app_home_opened as the manifest says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack_emulator import SlackEmulator, UIValidationError
from sandbox.slack_emulator.manifest import manifest_bot_events, manifest_home_tab_enabled

USER = "U_ALICE"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user(USER, name="alice")
        yield emulator


def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url)


def refusal(slack: SlackEmulator, **params: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        client(slack).views_publish(user_id=USER, **params)  # type: ignore[arg-type]
    return str(caught.value.response["error"])


def test_the_manifest_subscribes_to_app_home_opened_and_enables_the_home_tab() -> None:
    assert "app_home_opened" in manifest_bot_events()
    assert manifest_home_tab_enabled()


def test_a_manifest_without_the_home_tab_has_no_home_tab(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("display_information: {name: X}\n", encoding="utf-8")
    assert manifest_bot_events(manifest) == ()
    assert manifest_home_tab_enabled(manifest) is False


def test_publish_keeps_one_home_view_per_user_and_checks_the_hash(slack: SlackEmulator) -> None:
    web = client(slack)
    first = web.views_publish(user_id=USER, view={"type": "home", "blocks": [SECTION]})["view"]
    second = web.views_publish(
        user_id=USER, view={"type": "home", "blocks": [SECTION, SECTION]}, hash=first["hash"]
    )["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    assert len(slack.home_view(USER)["blocks"]) == 2
    assert refusal(slack, view={"type": "home", "blocks": [SECTION]}, hash=first["hash"]) == (
        "hash_conflict"
    )


def test_publish_refuses_what_slack_refuses(slack: SlackEmulator) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [SECTION]}
    assert refusal(slack, view=modal) == "invalid_arguments"
    home_with_submit = {
        "type": "home",
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [SECTION],
    }
    assert refusal(slack, view=home_with_submit) == "invalid_arguments"
    assert refusal(slack, view={"type": "home", "blocks": [SECTION] * 101}) == "invalid_arguments"
    assert slack.home_view(USER) is None


def test_opening_the_home_tab_sends_the_event_with_the_published_view(slack: SlackEmulator) -> None:
    client(slack).views_publish(user_id=USER, view={"type": "home", "blocks": [SECTION]})
    slack.home_tab_enabled = False
    with pytest.raises(UIValidationError):
        slack.open_app_home(USER)
    slack.home_tab_enabled = True
    slack.subscribed_events.discard("app_home_opened")
    assert slack.open_app_home(USER) is None  # not subscribed: Slack sends nothing
