"""Which modal submissions have had their ack sent, so a later ``views.update`` comes after it.

A create-modal submission is acked with ``response_action: update`` (the "working" view), and
the background work may re-show the form (a refused video) with ``views.update`` moments later.
Slack applies the ack's update when the ack reaches it; a ``views.update`` that overtook it would
be replaced by the working view and the refusal lost from sight. So the work waits for the event
"this submission's ack went out on the socket" (``SubmissionAcks.wait``), which
``AckNoticingHandler`` signals right after Bolt's Socket Mode adapter sent the ack frame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from handlers.views.create_campaign import submission_key

# Kept for submissions whose work has not asked yet; old ones fall out (their work is long done).
_REMEMBERED = 1000


class SubmissionAcks:
    """Submission keys (``handlers.views.create_campaign.submission_key``) whose ack was sent."""

    def __init__(self) -> None:
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._changed = threading.Condition()

    def sent(self, key: str) -> None:
        with self._changed:
            self._sent[key] = None
            while len(self._sent) > _REMEMBERED:
                self._sent.popitem(last=False)
            self._changed.notify_all()

    def wait(self, key: str, timeout: float) -> bool:
        """True once the ack for ``key`` was sent; False after ``timeout`` seconds without it."""
        with self._changed:
            return self._changed.wait_for(lambda: key in self._sent, timeout)


class AckNoticingHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, which also says when a modal submission's ack went out."""

    def __init__(self, app: Any, app_token: str, *, acks: SubmissionAcks, **kwargs: Any) -> None:
        super().__init__(app, app_token, **kwargs)
        self.acks = acks

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        super().handle(client, req)  # runs the listener up to its ack, then sends the ack frame
        payload = req.payload or {}
        if req.type == "interactive" and payload.get("type") == "view_submission":
            self.acks.sent(submission_key(payload.get("view") or {}))
