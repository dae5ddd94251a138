"""Posting a Slack message once, although the connection can drop after Slack posted it.

``chat.postMessage`` is not idempotent: when the connection drops after Slack applied the call,
sending it again posts the message twice ("is live" twice, an orphan "Preparing…"). slack_sdk's
``ConnectionErrorRetryHandler`` does exactly that, so the bot's client does not retry
``chat.postMessage`` (``NoRepostRetryHandler``) and ``post_once`` retries it instead: every
post carries an idempotency mark (message metadata, ``event_type`` ``adbee_post`` with the
post's key in ``event_payload``), and before sending again it looks in the channel (or thread)
for a message with that mark (``conversations.history`` / ``conversations.replies`` with
``include_all_metadata``; scopes ``channels:history`` / ``groups:history``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

EVENT_TYPE = "adbee_post"
# What urllib raises when the connection fails or drops (slack_sdk's own retry list, plus
# timeouts): Slack may or may not have applied the call.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    URLError,
    ConnectionError,
    RemoteDisconnected,
    TimeoutError,
)
# Tries of one post_once call and the waits between them (~3.5 s in all, like the SDK's own
# connection retries); after that the caller decides (the alert outbox keeps it for later).
BACKOFF_SECONDS = (0.5, 1.0, 2.0)
# Messages older than the first try minus this are not looked at (clock skew between hosts).
SKEW_SECONDS = 120.0
MAX_PAGES = 5


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class NoRepostRetryHandler(ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retry, except for ``chat.postMessage``.

    Repeating a post whose answer was lost can post it twice; ``post_once`` retries posts after
    checking the channel. Every other method the bot uses is safe to repeat (updates, reads,
    views, file downloads), or a repeat is harmless (an ephemeral answer).
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith("/chat.postMessage"):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def mark(key: str) -> dict[str, Any]:
    """The idempotency mark of a post: Slack message metadata holding its key."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def post_once(
    client: WebClient,
    *,
    key: str,
    channel: str,
    thread_ts: str | None = None,
    sent_before: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **message: Any,
) -> Posted:
    """``chat.postMessage`` at most once per ``key``, retried on connection errors.

    ``sent_before`` (epoch seconds): this post may already have gone out in an earlier try
    that failed (an alert the outbox retries), so the channel is checked before the first send
    too, back to that time. Raises the last connection error once the tries are used up, or
    Slack's own error (``SlackApiError``) at once.
    """
    oldest = min(sent_before or time.time(), time.time()) - SKEW_SECONDS
    uncertain = sent_before is not None  # may Slack hold this post already?
    last: Exception | None = None
    for attempt in range(len(BACKOFF_SECONDS) + 1):
        if attempt:
            sleep(BACKOFF_SECONDS[attempt - 1])
        try:
            if uncertain:
                found = find_post(
                    client, key=key, channel=channel, thread_ts=thread_ts, oldest=oldest
                )
                if found is not None:
                    log.info("post %s was already in Slack (%s); not sent again", key, found.ts)
                    return found
                uncertain = False
            posted = client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, metadata=mark(key), **message
            )
            return Posted(channel=posted["channel"], ts=posted["ts"])
        except CONNECTION_ERRORS as exc:
            log.warning("post %s: Slack did not answer (%s); checking before retrying", key, exc)
            last, uncertain = exc, True
    assert last is not None
    raise last


def find_post(
    client: WebClient, *, key: str, channel: str, thread_ts: str | None, oldest: float
) -> Posted | None:
    """The bot's message marked ``key`` in ``channel`` (or in the thread), newer than ``oldest``.

    When the bot cannot read the channel (a missing history scope, an old install) it cannot
    tell, and says so in the log: the post is then sent again (at least once beats never).
    """
    cursor: str | None = None
    try:
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest:.6f}",
                "include_all_metadata": True,
                "limit": 200,
                "cursor": cursor,
            }
            if thread_ts:
                page = client.conversations_replies(ts=thread_ts, **params)
            else:
                page = client.conversations_history(**params)
            messages: list[dict[str, Any]] = page.get("messages", [])
            for message in messages:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    return Posted(channel=channel, ts=str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
    except SlackApiError as exc:
        log.warning(
            "cannot check %s for post %s (%s); sending it again",
            channel,
            key,
            exc.response.get("error"),
        )
    return None
