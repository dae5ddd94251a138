"""Slack listeners: ``register(app)`` binds every id to its listener, one folder at a time."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, commands, events, views


def register(app: App) -> None:
    commands.register(app)
    views.register(app)
    actions.register(app)
    events.register(app)
