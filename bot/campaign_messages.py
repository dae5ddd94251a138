"""The campaign's one message in the campaigns channel, kept current; and alerts to the channel.

``SlackNotifier`` implements the domain's ``Notifier``: it raises on any Slack failure so the
alert outbox keeps the alert and retries it later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.blocks.alerts import build_alert
from handlers.blocks.approval import build_approval_message, build_decided_message
from meta.states import Status
from meta.summary import CampaignSummary

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def render_campaign_message(summary: CampaignSummary, now: datetime) -> dict:
    if summary.status == Status.CREATED:
        return build_approval_message(summary=summary, now=now)
    return build_decided_message(summary, now)


class CampaignMessages:
    """Re-renders a campaign's channel message from its current state (MessagePort)."""

    def __init__(self, client: WebClient, *, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._client = client
        self._clock = clock

    def refresh_campaign_message(self, summary: CampaignSummary) -> None:
        if not (summary.slack_channel and summary.slack_ts):
            return
        try:
            self._client.chat_update(
                channel=summary.slack_channel,
                ts=summary.slack_ts,
                **render_campaign_message(summary, self._clock()),
            )
        except SlackApiError as exc:
            log.warning(
                "could not update message of #%s: %s", summary.id, exc.response.get("error")
            )


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        messages: CampaignMessages,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._channel = channel
        self._messages = messages
        self._clock = clock

    def send(self, *, kind: str, summary: CampaignSummary | None, detail: str | None) -> None:
        payload = build_alert(kind=kind, summary=summary, detail=detail, now=self._clock())
        self._client.chat_postMessage(channel=self._channel, unfurl_links=False, **payload)
        if summary is not None:
            self._messages.refresh_campaign_message(summary)
