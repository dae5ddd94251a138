"""The batch messages of ``/campaign bulk``, kept current: the one place a bulk row shows.

A bulk row posts no progress message and no card of its own (Slack paces ``chat.postMessage``
at about one per second per channel, so N rows cost 2N seconds). Its request records the batch
message it is shown in (``CreationRequestStore.join_batch``), and its campaign's
``slack_channel``/``slack_ts`` are that message, so alerts, reminders and approvals reply in the
batch thread. Whatever would re-render one campaign's message re-renders its whole batch message
instead, from the store (``render``): progress coalesced (at most one render per message every
``interval`` seconds, sent through ``ProgressEdits``, latest state wins), a finished creation at
once and raising (``update_now``: the outbox retries it until Slack takes it).

The in-flight step of a row (uploading 40%, processing…) is kept in memory; after a restart a
row shows the step its campaign row recorded (``recorded_step``, without the percent) until its
next progress event; everything else comes from the store.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack.budget import ProgressEdits, SlackBudget
from handlers.blocks.bulk import ROWS_PER_MESSAGE, BoardRow, build_batch_board
from meta.domain.records import CreationRequestRecord
from meta.services.summary import CampaignSummary
from storage.requests import CreationRequestStore

log = logging.getLogger(__name__)
Summaries = Callable[[int], CampaignSummary | None]
Message = tuple[str, str]  # (channel, ts)
FAILED = frozenset({"refused", "failed"})
# Seconds a finished row's edit waits after the previous edit of its message, so rows ending
# within it share one edit: 20 rows of one video end over ~0.3 s, and an edit per row in that
# time would empty chat.update's Tier 3 burst (the budget keeps ~8 tokens for these), leaving the
# last rows' Approve ~1.2 s behind each refill.
GATHER_SECONDS = 0.15


class BatchBoard:
    def __init__(
        self,
        client: WebClient,
        *,
        requests: CreationRequestStore,
        summaries: Summaries,
        progress: ProgressEdits,
        budget: SlackBudget | None = None,
        interval: float = 1.0,
        gather: float = GATHER_SECONDS,
    ) -> None:
        self._client = client
        self._budget = budget
        self._gather = gather
        self._requests = requests
        self._summaries = summaries
        self._progress = progress
        self._interval = interval
        self._batches: dict[Message, str] = {}  # batch messages seen: a message stays one
        self._steps: dict[tuple[str, int], str] = {}  # ("campaign"|"request", id) -> step text
        self._timers: dict[Message, threading.Timer] = {}
        self._last: dict[Message, float] = {}
        # update_now's calls per message, and how many of them the last landed render covers
        self._asked: dict[Message, int] = {}
        self._shown: dict[Message, int] = {}
        self._edited: dict[Message, float] = {}  # when update_now's last edit of it landed
        self._lock = threading.Lock()
        # Per message: its renders reach Slack in the order they were made.
        self._render_locks: dict[Message, threading.Lock] = {}

    def _render_lock(self, message: Message) -> threading.Lock:
        with self._lock:
            return self._render_locks.setdefault(message, threading.Lock())

    # ------------------------------------------------------------------ which messages
    def is_batch(self, channel: str | None, ts: str | None) -> bool:
        """True when ``channel``/``ts`` is a batch message (then no single card goes there)."""
        if not (channel and ts):
            return False
        return self._batch_of((channel, ts)) is not None

    def _batch_of(self, message: Message) -> str | None:
        with self._lock:
            known = self._batches.get(message)
        if known is not None:
            return known
        batch = self._requests.batch_shown_in(*message)
        if batch is not None:
            with self._lock:
                self._batches[message] = batch
        return batch

    # ------------------------------------------------------------------ progress
    def step(
        self,
        channel: str,
        ts: str,
        *,
        text: str,
        campaign_id: int | None = None,
        request_id: int | None = None,
    ) -> None:
        """A row's in-flight step changed: the batch message shows it soon (coalesced)."""
        with self._lock:
            if campaign_id is not None:
                self._steps[("campaign", campaign_id)] = text
            if request_id is not None:
                self._steps[("request", request_id)] = text
        self.refresh_soon(channel, ts)

    def refresh_soon(self, channel: str, ts: str) -> None:
        """Re-render the batch message within ``interval`` seconds; never blocks, never raises."""
        message = (channel, ts)
        with self._lock:
            if message in self._timers:
                return  # a render is due: it reads the store then, so it shows this change too
            wait = max(0.0, self._last.get(message, 0.0) + self._interval - time.monotonic())
            timer = threading.Timer(wait, self._render_soon, args=(message,))
            timer.daemon = True
            self._timers[message] = timer
        timer.start()

    def _render_soon(self, message: Message) -> None:
        with self._lock:
            self._timers.pop(message, None)
            self._last[message] = time.monotonic()
        try:
            with self._render_lock(message):
                payload = self.render(*message)
                self._progress.edit(*message, payload)
        except Exception:  # best effort: the next change or the card's update renders it again
            log.warning("could not render the batch message %s", message, exc_info=True)

    # ------------------------------------------------------------------ now
    def update_now(self, channel: str, ts: str) -> None:
        """Re-render the batch message now; raises when Slack does not take it (the outbox
        retries a finished creation until it does).

        The caller's change is in the store before it calls. Rows ending together queue here
        one behind the other, and a render that began after a caller asked reads that caller's
        row too: once such a render has landed, the caller is shown and sends nothing. So 20
        rows ready within a second are a few edits of their message, not 20 paced at
        ``chat.update``'s Tier 3 (~50 a minute), the last row's Approve waiting ~12 s. To make
        them few, an edit waits ``gather`` seconds after the one before it, and takes its
        ``chat.update`` token before it renders: if it had to wait for one, it shows every row
        that ended meanwhile.
        """
        message = (channel, ts)
        with self._lock:
            asked = self._asked[message] = self._asked.get(message, 0) + 1
        with self._render_lock(message):
            with self._lock:
                if self._shown.get(message, 0) >= asked:
                    return  # a render that read the store after this call asked has landed
                wait = self._edited.get(message, float("-inf")) + self._gather - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # rows ending meanwhile queue behind this lock: shown by it
            paid = self._budget.paid("chat.update") if self._budget else contextlib.nullcontext()
            with paid:
                with self._lock:
                    reading = self._asked[message]
                payload = self.render(channel, ts)
                self._progress.close(channel, ts)  # an older pending render must not land after
                self._client.chat_update(channel=channel, ts=ts, **payload)
            with self._lock:
                self._shown[message] = max(self._shown.get(message, 0), reading)
                self._edited[message] = time.monotonic()

    # ------------------------------------------------------------------ rendering
    def render(self, channel: str, ts: str) -> dict[str, Any]:
        """The batch message ``channel``/``ts`` as the store says its rows are now."""
        batch = self._batch_of((channel, ts))
        if batch is None:
            raise KeyError((channel, ts))
        everyone = self._requests.in_batch(batch)
        messages: list[str] = []
        for request in everyone:
            if request.slack_ts and request.slack_ts not in messages:
                messages.append(request.slack_ts)
        mine = [r for r in everyone if r.slack_channel == channel and r.slack_ts == ts]
        part = messages.index(ts) + 1 if ts in messages else 1
        rows = [self._row(request) for request in mine]
        return build_batch_board(
            batch=batch,
            rows=rows,
            requested_by=mine[0].requested_by if mine else "",
            total=len(everyone),
            part=part,
            parts_count=max(1, len(messages)),
        )

    def _row(self, request: CreationRequestRecord) -> BoardRow:
        name = str(request.form.get("name") or f"request {request.id}")
        summary = self._summaries(request.campaign_id) if request.campaign_id else None
        with self._lock:
            if request.campaign_id is not None:
                step = self._steps.get(("campaign", request.campaign_id))
            else:
                step = self._steps.get(("request", request.id))
        failed = None
        if summary is None and request.status in FAILED:
            failed = request.error or "its video did not pass the check (see the thread)"
        return BoardRow(
            row=request.batch_row or 0,
            name=summary.name if summary else name,
            summary=summary,
            failed=failed,
            progress=step,
        )


def parts_of(count: int) -> list[range]:
    """The rows (0-based) of each batch message for a batch of ``count`` rows."""
    return [range(i, min(i + ROWS_PER_MESSAGE, count)) for i in range(0, count, ROWS_PER_MESSAGE)]
