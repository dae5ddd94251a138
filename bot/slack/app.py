"""Builds the Bolt app: context middleware, de-duplication, listeners, one error handler.

A function, not a module-level ``App``, so tests and the demo build their own against the
emulators with the same code production runs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

import handlers
from bot.slack.bulk_flow import BulkLaunch
from bot.slack.campaign_messages import CampaignMessages
from bot.slack.creation_flow import CreationFlow
from bot.slack.edit_flow import EditFlow
from bot.slack.home_tab import HomeTabs
from bot.slack.resubmit_flow import ResubmitFlow
from meta.domain.errors import AdBeeError
from meta.services.campaigns import CampaignService
from meta.services.lifecycle import CampaignLifecycle
from meta.services.reports import CampaignReports
from meta.services.status_sync import StatusSync
from storage.repository import CampaignStore

log = logging.getLogger(__name__)


@dataclass
class SlackServices:
    """Everything listeners may receive as arguments (Bolt injects context keys by name)."""

    campaigns: CampaignService
    lifecycle: CampaignLifecycle
    status_sync: StatusSync
    creation: CreationFlow
    messages: CampaignMessages
    store: CampaignStore
    home: HomeTabs
    reports: CampaignReports | None = None
    edits: EditFlow | None = None
    resubmit: ResubmitFlow | None = None
    bulk: BulkLaunch | None = None


def build_app(*, client: WebClient, services: SlackServices) -> App:
    app = App(client=client, token_verification_enabled=False, process_before_response=False)

    @app.middleware
    def share_the_budget(context: dict[str, Any], next: Callable[[], None]) -> None:
        """Listeners call Slack with the bot's own client, so their answers draw from the
        process's one Slack budget (bot.slack.budget) instead of a fresh per-request client."""
        context["client"] = client
        next()

    @app.middleware
    def provide_services(context: dict[str, Any], next: Callable[[], None]) -> None:
        context["campaigns"] = services.campaigns
        context["lifecycle"] = services.lifecycle
        context["status_sync"] = services.status_sync
        context["creation"] = services.creation
        context["messages"] = services.messages
        context["home"] = services.home
        context["bulk"] = services.bulk
        context["reports"] = services.reports
        context["edits"] = services.edits
        context["duplicates"] = services.creation  # DuplicatePort
        context["resubmit"] = services.resubmit
        next()

    @app.middleware
    def drop_redeliveries(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """A command or click Slack delivers twice (late ack, reconnect) is acted on once.

        Returning a response without calling ``next`` acks the envelope and stops there.
        """
        key = _request_key(body)
        if key is not None and not services.store.remember_request(key):
            log.info("ignoring redelivered request %s", key)
            return BoltResponse(status=200, body="")
        next()
        return None

    handlers.register(app)

    @app.error
    def handle_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
        """Known errors get their message; anything else a reference the logs also carry."""
        if isinstance(error, AdBeeError):
            text = f":no_entry: {error.message}"
            log.info("refused: %s", error.message)
        else:
            reference = uuid.uuid4().hex[:8]
            log.exception("unexpected error, reference %s", reference, exc_info=error)
            text = f":warning: Something went wrong on AdBee's side (reference {reference})."
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if user and channel:
            try:
                client.chat_postEphemeral(channel=channel, user=user, text=text)
            except Exception:
                log.warning("could not tell %s about the error", user)

    return app


def _request_key(body: dict[str, Any]) -> str | None:
    if body.get("command"):
        return f"cmd:{body.get('trigger_id')}"
    if body.get("type") == "block_actions":
        action = (body.get("actions") or [{}])[0]
        return f"act:{body.get('trigger_id')}:{action.get('action_ts')}"
    return None  # view submissions are de-duplicated when recorded (CreationFlow.record)
