"""Button and select listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions.campaign_buttons import handle_campaign_button
from handlers.actions.modal_selects import handle_account_select, handle_template_select
from handlers.ids import CampaignAction, CampaignCreateAction, action_pattern


def register(app: App) -> None:
    for action in CampaignAction:
        app.action(str(action))(handle_campaign_button)
    app.action(str(CampaignCreateAction.TEMPLATE))(handle_template_select)
    app.action(action_pattern(CampaignCreateAction.ACCOUNT))(handle_account_select)
