"""Slash-command listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands.campaign import handle_campaign_command


def register(app: App) -> None:
    app.command("/campaign")(handle_campaign_command)
