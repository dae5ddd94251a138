"""View-submission listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.ids import CampaignCreate
from handlers.views.create_campaign import handle_create_campaign_submission


def register(app: App) -> None:
    app.view(str(CampaignCreate.CALLBACK))(handle_create_campaign_submission)
