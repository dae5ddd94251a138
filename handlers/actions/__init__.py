"""Button and select listeners: one listener per campaign button, named after its verb."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import campaign_buttons as buttons
from handlers.actions.modal_selects import handle_account_select, handle_template_select
from handlers.ids import CampaignAction, CampaignCreateAction, action_pattern


def register(app: App) -> None:
    app.action(CampaignAction.APPROVE.value)(buttons.on_approve)
    app.action(CampaignAction.REJECT.value)(buttons.on_reject)
    app.action(CampaignAction.CANCEL.value)(buttons.on_cancel)
    app.action(CampaignAction.PAUSE.value)(buttons.on_pause)
    app.action(CampaignAction.RESUME.value)(buttons.on_resume)
    app.action(CampaignAction.ACTIVATE.value)(buttons.on_activate)
    app.action(CampaignAction.SYNC.value)(buttons.on_sync)
    app.action(CampaignAction.RESUME_CREATION.value)(buttons.on_resume_creation)
    app.action(CampaignCreateAction.TEMPLATE.value)(handle_template_select)
    app.action(action_pattern(CampaignCreateAction.ACCOUNT))(handle_account_select)
