"""The campaign's message in its channel, kept current; and alerts to the channel.

A creation shows its progress in the message it posted when it started; once the campaign is
ready for approval its card is posted as a message of its own (``post_card``) and becomes the
campaign's message (``slack_ts``: approvals, alerts and reminders update it and reply in its
thread). Slack paces ``chat.postMessage`` per channel (about 1 per second, short bursts) but
``chat.update`` per workspace (Tier 3, about 50 per minute, docs.slack.dev "Rate limits"), so a
card that were an edit would queue behind every other creation's progress edits.

``SlackNotifier`` implements the domain's ``Notifier``: it raises on any Slack failure so the
alert outbox keeps the alert and retries it later. Its posts go through ``post_once``, so an alert
whose answer was lost is not posted twice. The end of a creation (``CREATION_FINISHED``) is
delivered the same way, to the campaign's own message and thread instead of the alerts channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.batch_board import BatchBoard
from bot.slack.budget import ProgressEdits
from bot.slack.posts import post_once
from handlers.blocks.alerts import build_alert, build_burst_summary
from handlers.blocks.approval import build_approval_message, build_decided_message
from handlers.blocks.digest import (
    build_digest,
    digest_chart_alt_text,
    digest_chart_filename,
    digest_chart_title,
)
from handlers.blocks.monitoring import build_approval_reminder, build_pacing_alert
from handlers.blocks.progress import build_created_note
from meta.domain.digest import Digest
from meta.domain.states import Status
from meta.services.activation import utc
from meta.services.alerts import CREATION_FINISHED, START_DELAYED, BurstAlert
from meta.services.digest import DAILY_DIGEST, DAILY_DIGEST_QUIET
from meta.services.pacing import KIND_PREFIX as PACING_PREFIX
from meta.services.reminders import APPROVAL_REMINDER
from meta.services.status_sync import SETTINGS_DRIFT
from meta.services.summary import CampaignSummary

log = logging.getLogger(__name__)
# Burst alerts whose campaign thread gets the alert it would have had on its own.
THREAD_KINDS = frozenset({"activation_failed", "live_late"})
Clock = Callable[[], datetime]
# Records the message that shows a campaign from now on: (campaign id, channel, ts).
RecordMessage = Callable[[int, str, str], object]


def render_campaign_message(summary: CampaignSummary, now: datetime) -> dict:
    if summary.status == Status.CREATED:
        return build_approval_message(summary=summary, now=now)
    return build_decided_message(summary, now)


class CampaignMessages:
    """Re-renders a campaign's channel message from its current state (MessagePort)."""

    def __init__(
        self,
        client: WebClient,
        *,
        clock: Clock = lambda: datetime.now(UTC),
        on_change: Callable[[CampaignSummary], None] | None = None,
        progress: ProgressEdits | None = None,
        record_message: RecordMessage | None = None,
        board: BatchBoard | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        # Told after every re-render: other surfaces showing the campaign (the Home tabs).
        self._on_change = on_change or (lambda _summary: None)
        self._progress = progress
        self._record_message = record_message
        # A bulk row's message is its batch message: it is re-rendered whole, never one card.
        self.board = board

    def _in_batch(self, summary: CampaignSummary) -> bool:
        return self.board is not None and self.board.is_batch(
            summary.slack_channel, summary.slack_ts
        )

    def refresh_campaign_message(self, summary: CampaignSummary) -> None:
        """Best effort: what changed is already in the database (and in Meta)."""
        try:
            if self.board is not None and self._in_batch(summary):
                # coalesced: Approve all of 20 rows is one edit of their message, not 20
                self.board.refresh_soon(str(summary.slack_channel), str(summary.slack_ts))
                self._on_change(summary)
                return
            self.update_campaign_message(summary)
        except SlackApiError as exc:
            log.warning(
                "could not update message of #%s: %s", summary.id, exc.response.get("error")
            )
        except Exception as exc:  # no answer at all (Slack unreachable)
            log.warning("could not update message of #%s: %r", summary.id, exc)

    def update_campaign_message(self, summary: CampaignSummary) -> None:
        """Re-render the message now; raises when Slack does not take it."""
        if self.board is not None and self._in_batch(summary):
            self.board.update_now(str(summary.slack_channel), str(summary.slack_ts))
        elif summary.slack_channel and summary.slack_ts:
            if self._progress is not None:  # a pending progress edit must not overwrite it
                self._progress.close(summary.slack_channel, summary.slack_ts)
            self._client.chat_update(
                channel=summary.slack_channel,
                ts=summary.slack_ts,
                **render_campaign_message(summary, self._clock()),
            )
        self._on_change(summary)

    def post_card(
        self, summary: CampaignSummary, *, key: str, since: float | None
    ) -> CampaignSummary:
        """Post the approval card as its own message in the campaign's channel and make it the
        campaign's message; the progress message gets a last, expendable edit pointing at it.

        Raises when Slack does not take the post (the outbox retries it). A retry looks for the
        post by its key first (``post_once``), so the card is never posted twice, and a retry
        after the card was recorded finds it and records the same message again.

        A bulk row's card is its row in the batch message: that message is re-rendered (and
        raises the same way), nothing is posted.
        """
        # Nowhere to record it, or a bulk row: the card is an update of the message it is in.
        if self._record_message is None or self._in_batch(summary):
            self.update_campaign_message(summary)
            return summary
        channel, progress_ts = str(summary.slack_channel), str(summary.slack_ts)
        posted = post_once(
            self._client,
            key=key,
            channel=channel,
            sent_before=since,
            unfurl_links=False,
            **render_campaign_message(summary, self._clock()),
        )
        self._record_message(summary.id, posted.channel, posted.ts)
        if posted.ts != progress_ts and self._progress is not None:
            # Latest state wins over any progress edit still pending for that message.
            self._progress.edit(channel, progress_ts, build_created_note(summary), last=True)
        moved = replace(summary, slack_channel=posted.channel, slack_ts=posted.ts)
        self._on_change(moved)
        return moved


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        messages: CampaignMessages,
        clock: Clock = lambda: datetime.now(UTC),
        approvers_of: Callable[[int], Sequence[str]] = lambda _id: (),
        digest_channel: str | None = None,
    ) -> None:
        self._client = client
        self._channel = channel
        self._messages = messages
        self._clock = clock
        # Who a reminder mentions for a campaign (ApprovalReminders.approvers_of).
        self._approvers_of = approvers_of
        # Where the daily digest goes: the campaigns channel, where the team works.
        self._digest_channel = digest_channel or channel

    def send(
        self,
        *,
        kind: str,
        summary: CampaignSummary | None,
        detail: str | None,
        key: str,
        sent_before: datetime | None = None,
    ) -> None:
        since = utc(sent_before).timestamp() if sent_before else None
        if kind == CREATION_FINISHED:
            self._finish_creation(summary, detail, key=key, since=since)
            return
        if kind == DAILY_DIGEST_QUIET:
            return  # nothing ran that day: the key only records that the day was looked at
        if kind == DAILY_DIGEST and detail:
            self._post_digest(Digest.from_json(detail), key=key, since=since)
            return
        if kind == APPROVAL_REMINDER and summary is not None:
            reminder = build_approval_reminder(summary, self._approvers_of(summary.id), detail)
            self._in_thread_and_channel(summary, reminder, key=key, since=since, channel=False)
            return
        if kind == START_DELAYED and summary is not None:  # that campaign's news: its thread
            alert = build_alert(kind=kind, summary=summary, detail=detail, now=self._clock())
            self._in_thread_and_channel(summary, alert, key=key, since=since, channel=False)
            return
        if kind.startswith(PACING_PREFIX) and summary is not None:
            alert = build_pacing_alert(kind.removeprefix(PACING_PREFIX), summary, detail)
            self._in_thread_and_channel(summary, alert, key=key, since=since, channel=True)
            return
        payload = build_alert(kind=kind, summary=summary, detail=detail, now=self._clock())
        post_once(
            self._client,
            key=key,
            channel=self._channel,
            sent_before=since,
            unfurl_links=False,
            **payload,
        )
        if kind == SETTINGS_DRIFT and summary and summary.slack_channel and summary.slack_ts:
            # The people who approved it follow the campaign's thread: it is said there too.
            post_once(
                self._client,
                key=f"{key}:thread",
                channel=summary.slack_channel,
                thread_ts=summary.slack_ts,
                sent_before=since,
                unfurl_links=False,
                **payload,
            )
        if summary is not None:
            self._messages.refresh_campaign_message(summary)

    def _post_digest(self, digest: Digest, *, key: str, since: float | None) -> None:
        """The digest, then its chart right under it (files_upload_v2: upload, then share)."""
        from meta.services.charts import daily_chart_png  # matplotlib only when a chart is drawn

        posted = post_once(
            self._client,
            key=key,
            channel=self._digest_channel,
            sent_before=since,
            unfurl_links=False,
            **build_digest(digest),
        )
        png = daily_chart_png(
            digest.history,
            currency=digest.currency,
            title=digest_chart_title(digest),
            subtitle=f"to {digest.day.isoformat()} · {digest.timezone} · {digest.attribution}",
        )
        self._client.files_upload_v2(
            channel=posted.channel,
            content=png,
            filename=digest_chart_filename(digest),
            title=digest_chart_title(digest),
            alt_txt=digest_chart_alt_text(digest),
        )

    def _in_thread_and_channel(
        self,
        summary: CampaignSummary,
        payload: dict,
        *,
        key: str,
        since: float | None,
        channel: bool,
    ) -> None:
        """The campaign's thread (when it has a card), and the alerts channel when ``channel``
        (or when there is no thread: a campaign made from the command line). Each post carries
        its own key, so a retry after a half-done send posts only what is missing."""
        thread = bool(summary.slack_channel and summary.slack_ts)
        if thread:
            post_once(
                self._client,
                key=f"{key}:thread",
                channel=str(summary.slack_channel),
                thread_ts=summary.slack_ts,
                sent_before=since,
                unfurl_links=False,
                **payload,
            )
        if channel or not thread:
            post_once(
                self._client,
                key=key,
                channel=self._channel,
                sent_before=since,
                unfurl_links=False,
                **payload,
            )

    def send_burst(
        self, alerts: list[BurstAlert], *, key: str, sent_before: datetime | None = None
    ) -> None:
        """One summary in the alerts channel; each campaign's card shows its new state, and a
        failed one's thread says why (the alert it would have had on its own)."""
        since = utc(sent_before).timestamp() if sent_before else None
        now = self._clock()
        payload = build_burst_summary([(a.kind, a.summary, a.detail) for a in alerts], now=now)
        post_once(
            self._client,
            key=key,
            channel=self._channel,
            sent_before=since,
            unfurl_links=False,
            **payload,
        )
        for alert in alerts:  # best effort: the summary already names every campaign
            summary = alert.summary
            self._messages.refresh_campaign_message(summary)
            if alert.kind not in THREAD_KINDS or not (summary.slack_channel and summary.slack_ts):
                continue
            detail = build_alert(kind=alert.kind, summary=summary, detail=alert.detail, now=now)
            try:
                post_once(
                    self._client,
                    key=f"{alert.key}:thread",
                    channel=summary.slack_channel,
                    thread_ts=summary.slack_ts,
                    sent_before=since,
                    unfurl_links=False,
                    text=detail["text"],
                    blocks=detail["blocks"][:1],  # what happened and what to do
                )
            except Exception as exc:
                log.warning("could not tell the thread of #%s: %r", summary.id, exc)

    def _finish_creation(
        self, summary: CampaignSummary | None, reply: str | None, *, key: str, since: float | None
    ) -> None:
        """Ready for approval: the card is posted on its own (it mentions the requester, who is
        notified). Otherwise (failed, stopped) the progress message shows how the creation
        ended, with Resume, and its thread says it once."""
        if summary is None or not (summary.slack_channel and summary.slack_ts):
            return  # started from the command line: nothing in Slack to finish
        if summary.status == Status.CREATED:
            self._messages.post_card(summary, key=f"{key}:card", since=since)  # raises: retried
            return
        self._messages.update_campaign_message(summary)  # raises: retried until Slack takes it
        if reply:
            post_once(
                self._client,
                key=key,
                channel=summary.slack_channel,
                thread_ts=summary.slack_ts,
                sent_before=since,
                text=reply,
                unfurl_links=False,
            )
