"""View-submission listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.ids import CampaignBulk, CampaignCreate, CampaignEdit
from handlers.views.bulk_launch import handle_bulk_submission
from handlers.views.create_campaign import handle_create_campaign_submission
from handlers.views.edit_campaign import handle_edit_submission


def register(app: App) -> None:
    app.view(str(CampaignCreate.CALLBACK))(handle_create_campaign_submission)
    app.view(str(CampaignEdit.CALLBACK))(handle_edit_submission)
    app.view(str(CampaignBulk.CALLBACK))(handle_bulk_submission)
