"""``python -m bench.trivial_app``: the ack-latency baseline, a Bolt app that only acks.

Same Bolt and slack_sdk versions, same Socket Mode handler and defaults, same WebClient as
AdBee's bot, and the same modal opened after the ack (so simulated users can submit it), but no
middleware, no database and no validation before ``ack()``. What it measures is the framework and
transport's own share of the ack time. Configured from the same environment as ``python -m bot``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bench.common import ROOT, accounts
from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.ids import CampaignCreate
from meta.domain.templates import load_templates


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    registry = accounts()
    templates = load_templates(ROOT / "configs" / "templates", accounts=registry, base_dir=ROOT)
    modal = build_campaign_modal(
        accounts=registry.all(), templates=[(t.key, t.label) for t in templates.templates]
    )
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, token_verification_enabled=False, process_before_response=False)

    @app.command("/campaign")
    def command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        if command.get("text", "").strip().startswith("create"):
            client.views_open(trigger_id=command["trigger_id"], view=modal)

    @app.view(str(CampaignCreate.CALLBACK))
    def submission(ack: Ack) -> None:
        ack()

    handler = SocketModeHandler(app, os.environ["SLACK_APP_TOKEN"])
    handler.connect()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    handler.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
