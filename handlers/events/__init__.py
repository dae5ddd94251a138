"""Events API listeners (delivered over Socket Mode): the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from handlers.events.home import on_app_home_opened


def register(app: App) -> None:
    app.event("app_home_opened")(on_app_home_opened)
