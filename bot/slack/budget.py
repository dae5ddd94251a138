"""One Slack budget per process: Slack's rate tiers as token buckets every sender draws from.

Slack limits each Web API method per app per workspace (docs.slack.dev "Rate limits",
https://docs.slack.dev/apis/web-api/rate-limits): ``chat.postMessage`` "generally allows posting
one message per second per channel" with "short bursts >1 allowed"; ``chat.update`` is Tier 3,
"50+ per minute", "sporadic bursts are welcome". Over the limit Slack answers HTTP 429 with
``Retry-After`` (seconds) and ``{"ok": false, "error": "ratelimited"}``.

When every creation, alert and listener calls Slack on its own, a few creations' progress edits
use up ``chat.update`` and the message that matters (the card with Approve) is refused. So:

* ``SlackBudget`` holds a bucket per (method, channel) for ``chat.postMessage`` and per method for
  ``chat.update``, refilled at Slack's published rate, with a burst *smaller* than Slack's (Slack
  publishes none; ``BURSTS``). A sender takes a token before its call and waits when there is
  none; waiters are served by ``Priority`` (cards, alerts and answers to people before progress
  edits), then first come first served.
* A 429 that gets through anyway (another replica, a burst Slack did not grant) empties the
  bucket until ``Retry-After``; ``BudgetRetryHandler`` then waits for the budget, not a blind
  sleep, and tries again.
* ``BudgetedWebClient`` draws from the budget on every call; the Bolt app's per-request clients
  are replaced by it in a middleware (``bot.slack.app``), so listeners share the same budget.
* ``ProgressEdits`` (below) coalesces progress edits: the latest state of a message wins and
  older pending ones are dropped; one sender sends them at the lowest priority.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """Lower goes first."""

    URGENT = 0  # cards (Approve), alerts, thread replies, answers to a person
    PROGRESS = 1  # progress edits: expendable, the latest state replaces older ones


@dataclass(frozen=True)
class Tier:
    rate: float  # calls per second (Slack's published figure)
    burst: int  # calls allowed at once (ours: Slack publishes no number)
    per_channel: bool


# Slack's rates (see the module docstring). The bursts are a deliberate allowance below what
# Slack tolerates, so the budget, not a 429, is what paces AdBee.
TIERS: dict[str, Tier] = {
    "chat.postMessage": Tier(rate=1.0, burst=3, per_channel=True),
    "chat.update": Tier(rate=50 / 60, burst=10, per_channel=False),
    # Tier 4, "100+ per minute" for the workspace: every user's Home tab shares it.
    "views.publish": Tier(rate=100 / 60, burst=15, per_channel=False),
    # The other Tier 4 and Tier 3 methods AdBee calls in bursts (50 submissions at once read 50
    # files). views.open/update/push are not paced here: a modal's trigger expires in 3 s, so
    # a wait in the budget would fail it as surely as Slack's 429.
    "files.info": Tier(rate=100 / 60, burst=28, per_channel=False),
    "users.info": Tier(rate=100 / 60, burst=28, per_channel=False),
    "chat.postEphemeral": Tier(rate=100 / 60, burst=28, per_channel=False),
    "files.list": Tier(rate=50 / 60, burst=18, per_channel=False),
    "conversations.info": Tier(rate=50 / 60, burst=18, per_channel=False),
    "conversations.history": Tier(rate=50 / 60, burst=18, per_channel=False),
    "conversations.replies": Tier(rate=50 / 60, burst=18, per_channel=False),
}
# chat.update tokens progress edits leave in the bucket for the edits people wait for: a card
# re-rendered after Approve/Reject, alerts refreshing a card, a failed creation's Resume. (An
# approval card itself is a new message, chat.postMessage, paced per channel: campaign_messages.)
# Without it, 20 creations' progress edits empty the burst and those edits then go out at Tier 3's
# refill rate, one per 1.2 s; progress edits only ever use the refill above the reserve.
CARD_RESERVE = 8.0
# Tries of a message's final state (``ProgressEdits.edit(last=True)``), each paced by the budget
# (a 429 blocks the method until its Retry-After), before it is given up and logged.
LAST_TRIES = 8
_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "adbee_slack_priority", default=Priority.URGENT
)
# The method whose token this context took ahead of its call (``SlackBudget.paid``).
_paid: contextvars.ContextVar[str | None] = contextvars.ContextVar("adbee_slack_paid", default=None)


@contextlib.contextmanager
def sending_as(priority: Priority) -> Iterator[None]:
    """Slack calls inside the ``with`` body wait in the budget with ``priority``."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    return _priority.get()


@dataclass
class _Bucket:
    tokens: float
    last: float
    blocked_until: float = 0.0
    waiters: list[tuple[int, int]] = field(default_factory=list)  # heap of (priority, seq)


class SlackBudget:
    """Token buckets per (method, channel), shared by every Slack client of the process."""

    def __init__(
        self,
        tiers: dict[str, Tier] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tiers = dict(TIERS if tiers is None else tiers)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self.waited: dict[str, float] = {}  # method -> seconds spent waiting (for the bench)
        self.refusals = 0  # 429s Slack answered despite the budget
        self.retry_waits: list[float] = []  # what each retry after a 429 waited (for tests)

    def key(self, method: str, params: dict[str, Any] | None) -> str:
        tier = self.tiers.get(method)
        if tier is None or not tier.per_channel:
            return ""
        return str((params or {}).get("channel") or "")

    def _bucket(self, method: str, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get((method, key))
        if bucket is None:
            tier = self.tiers.get(method)
            bucket = _Bucket(tokens=float(tier.burst) if tier else 0.0, last=now)
            self._buckets[(method, key)] = bucket
        return bucket

    def _refill(self, method: str, bucket: _Bucket, now: float) -> None:
        tier = self.tiers.get(method)
        if tier is not None:
            bucket.tokens = min(float(tier.burst), bucket.tokens + (now - bucket.last) * tier.rate)
        bucket.last = now

    def acquire(
        self,
        method: str,
        key: str = "",
        priority: Priority | None = None,
        *,
        reserve: float = 0.0,
    ) -> float:
        """Wait for a token of ``method``/``key``; returns the seconds waited.

        Methods without a tier pass at once unless a 429 blocked them. ``reserve`` tokens are
        left in the bucket for others: the call waits until one more than that is there.
        """
        priority = current_priority() if priority is None else priority
        tier = self.tiers.get(method)
        started = self._clock()
        with self._cond:
            bucket = self._buckets.get((method, key))
            if tier is None and (bucket is None or bucket.blocked_until <= started):
                return 0.0
            bucket = self._bucket(method, key, started)
            ticket = (int(priority), next(self._seq))
            heapq.heappush(bucket.waiters, ticket)
            slept = False
            try:
                while True:
                    now = self._clock()
                    self._refill(method, bucket, now)
                    blocked = bucket.blocked_until - now
                    first = bucket.waiters[0] == ticket
                    # Never more than the bucket can hold, or a small tier would starve the call.
                    needed = min(1.0 + reserve, float(tier.burst)) if tier else 1.0
                    if first and blocked <= 0 and (tier is None or bucket.tokens >= needed):
                        if tier is not None:
                            bucket.tokens -= 1.0
                        break
                    if not first:
                        wait = None  # the one before us notifies when it is through
                    elif blocked > 0:
                        wait = blocked
                    else:
                        assert tier is not None
                        wait = (needed - bucket.tokens) / tier.rate
                    slept = True
                    self._cond.wait(timeout=wait)
            finally:
                bucket.waiters.remove(ticket)
                heapq.heapify(bucket.waiters)
                self._cond.notify_all()
        if not slept:
            return 0.0
        waited = self._clock() - started
        self.waited[method] = self.waited.get(method, 0.0) + waited
        return waited

    @contextlib.contextmanager
    def paid(
        self, method: str, key: str = "", priority: Priority | None = None, *, reserve: float = 0.0
    ) -> Iterator[float]:
        """Take the token of one ``method`` call now, before what the call sends is made; yields
        the seconds waited. The first ``method`` call of a ``BudgetedWebClient`` in the body
        uses this token instead of taking another.

        A sender that waited for its token then renders what is true after the wait (a batch
        message shows the rows that ended meanwhile), instead of sending what it rendered
        before and leaving those rows to an edit of their own behind another wait.
        """
        waited = self.acquire(method, key, priority, reserve=reserve)
        token = _paid.set(method)
        try:
            yield waited
        finally:
            _paid.reset(token)

    def refused(self, method: str, key: str, retry_after: float) -> None:
        """Slack answered 429: nothing more of ``method``/``key`` until ``retry_after`` is over."""
        now = self._clock()
        with self._cond:
            bucket = self._bucket(method, key, now)
            self._refill(method, bucket, now)
            bucket.tokens = 0.0
            bucket.blocked_until = max(bucket.blocked_until, now + retry_after)
            self.refusals += 1
            self._cond.notify_all()

    def waiting(self, method: str, key: str = "", *, before: Priority) -> bool:
        """Is anyone of a priority higher than ``before`` waiting for ``method``/``key``?"""
        with self._cond:
            bucket = self._buckets.get((method, key))
            return bool(bucket and bucket.waiters and bucket.waiters[0][0] < int(before))


def _method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def _params_of(request: HttpRequest) -> dict[str, Any]:
    """The call's arguments from the request body (JSON or form-encoded)."""
    if request.body_params:
        return dict(request.body_params)
    raw = request.data
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {}
    except ValueError:
        return {k: v[0] for k, v in parse_qs(text).items() if v}


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(float(values[0]), 0.0)
            except ValueError:
                break
    return 1.0


class BudgetRetryHandler(RetryHandler):
    """On a 429: tell the budget (nothing of that method/channel until Retry-After), then wait
    in the budget with the caller's priority and try again, up to ``max_retry_count`` times.

    Replaces slack_sdk's ``RateLimitErrorRetryHandler``, which sleeps ``Retry-After`` on its own
    and then calls at once, ahead of everyone else waiting.
    """

    def __init__(self, budget: SlackBudget, max_retry_count: int = 8) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._budget = budget

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        method = _method_of(request.url)
        self._budget.refused(
            method, self._budget.key(method, _params_of(request)), _retry_after(response)
        )
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        method = _method_of(request.url)
        waited = self._budget.acquire(method, self._budget.key(method, _params_of(request)))
        self._budget.retry_waits.append(waited)
        state.increment_current_attempt()


class BudgetedWebClient(WebClient):
    """A ``WebClient`` that takes a token from the process's budget before every call."""

    def __init__(self, *args: Any, budget: SlackBudget, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> SlackResponse:
        args = json or data or params or {}
        if _paid.get() == api_method:
            _paid.set(None)  # its token was taken before the call was made (SlackBudget.paid)
        else:
            self.budget.acquire(api_method, self.budget.key(api_method, args))
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


def is_rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, SlackApiError) and exc.response.status_code == 429


class ProgressEdits:
    """Progress edits, coalesced: per message only the latest state is kept and sent.

    ``edit`` never blocks the pipeline. One sender thread sends pending edits oldest message
    first, each only when the ``chat.update`` budget has a token nobody more important is waiting
    for, and more than ``reserve`` tokens left, which are kept for the final cards. ``close`` (before a message becomes its final card) drops what is pending for it and
    waits for an edit in flight, so no progress edit can land on top of the card.
    """

    def __init__(
        self, client: WebClient, budget: SlackBudget, *, reserve: float = CARD_RESERVE
    ) -> None:
        self._client = client
        self._budget = budget
        self._reserve = reserve
        self._pending: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._last: dict[tuple[str, str], int] = {}  # final states pending: tries so far
        self._inflight: tuple[str, str] | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.sent = 0
        self.coalesced = 0  # edits replaced by a newer one before they were sent
        self.failed = 0

    def edit(self, channel: str, ts: str, payload: dict[str, Any], *, last: bool = False) -> None:
        """Queue the message's new state. ``last``: its final state (nothing follows to replace
        it), so a failed send is tried again, up to ``LAST_TRIES`` times, instead of dropped."""
        key = (channel, ts)
        with self._cond:
            if self._stopped:
                return
            if key in self._pending:
                self.coalesced += 1
            if last:
                self._last[key] = 0
            else:
                self._last.pop(key, None)
            self._pending[key] = payload  # keeps its place in the queue: no starvation
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="slack-progress", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def close(self, channel: str, ts: str) -> None:
        """Nothing more for this message: drop its pending edit, wait out one in flight."""
        key = (channel, ts)
        with self._cond:
            if self._pending.pop(key, None) is not None:
                self.coalesced += 1
            self._last.pop(key, None)
            while self._inflight == key:
                self._cond.wait(timeout=1.0)

    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()

    def _again_if_last(self, key: tuple[str, str], payload: dict[str, Any]) -> None:
        """A message's final state that failed goes back in the queue (unless a newer state
        came meanwhile): nothing else would ever replace a stale progress message."""
        with self._cond:
            tries = self._last.get(key)
            if tries is None or key in self._pending or self._stopped:
                return
            if tries + 1 >= LAST_TRIES:
                self._last.pop(key, None)
                log.warning("the last state of message %s was not taken by Slack", key[1])
                return
            self._last[key] = tries + 1
            self._pending[key] = payload
            self._cond.notify_all()

    def _run(self) -> None:
        with sending_as(Priority.PROGRESS):
            while True:
                with self._cond:
                    while not self._pending and not self._stopped:
                        self._cond.wait()
                    if self._stopped:
                        return
                    # A message's final state is sent out of the reserve too: it is the last
                    # edit of its message, and a stale "Creating…" would stay for good.
                    last = next(iter(self._pending), None) in self._last
                # Behind every card and alert, and only out of what they leave over.
                # One token per edit: the client's own draw is this one (SlackBudget.paid).
                with self._budget.paid("chat.update", reserve=0.0 if last else self._reserve):
                    with self._cond:
                        if not self._pending:
                            continue
                        key, payload = self._pending.popitem(last=False)
                        self._inflight = key
                    self._send(key, payload)

    def _send(self, key: tuple[str, str], payload: dict[str, Any]) -> None:
        try:
            self._client.chat_update(channel=key[0], ts=key[1], **payload)
            self.sent += 1
            with self._cond:
                if key not in self._pending:
                    self._last.pop(key, None)
        except Exception as exc:  # expendable: the next edit or the card replaces it
            self.failed += 1
            self._again_if_last(key, payload)
            if is_rate_limited(exc):
                assert isinstance(exc, SlackApiError)
                headers = exc.response.headers or {}
                wait = next((v for k, v in headers.items() if k.lower() == "retry-after"), "1")
                self._budget.refused("chat.update", "", float(wait))
            detail = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
            log.info("progress edit of %s dropped: %r", key[1], detail)
        finally:
            with self._cond:
                self._inflight = None
                self._cond.notify_all()
