"""Button and select listeners: one listener per campaign button, named after its verb."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import campaign_buttons as buttons
from handlers.actions import duplicate_buttons, edit_buttons
from handlers.actions.bulk_buttons import on_approve_all
from handlers.actions.modal_selects import handle_account_select, handle_template_select
from handlers.ids import (
    CampaignAction,
    CampaignBulk,
    CampaignCreateAction,
    EditAction,
    action_pattern,
)
from meta.services.lifecycle import CampaignLifecycle


def register(app: App) -> None:
    app.action(CampaignAction.APPROVE.value)(buttons.verb_listener(CampaignLifecycle.approve))
    app.action(CampaignAction.REJECT.value)(buttons.verb_listener(CampaignLifecycle.reject))
    app.action(CampaignAction.REJECT_AD.value)(buttons.on_reject_ad)
    app.action(CampaignAction.CANCEL.value)(buttons.verb_listener(CampaignLifecycle.cancel))
    app.action(CampaignAction.PAUSE.value)(buttons.verb_listener(CampaignLifecycle.pause))
    app.action(CampaignAction.RESUME.value)(buttons.verb_listener(CampaignLifecycle.resume))
    app.action(CampaignAction.ACTIVATE.value)(buttons.verb_listener(CampaignLifecycle.activate_now))
    app.action(CampaignAction.REAPPLY.value)(buttons.verb_listener(CampaignLifecycle.reapply))
    app.action(CampaignAction.SYNC.value)(buttons.on_sync)
    app.action(CampaignAction.RESUME_CREATION.value)(buttons.on_resume_creation)
    app.action(CampaignAction.OPEN_ADS_MANAGER.value)(buttons.on_link)
    app.action(CampaignAction.REPORT.value)(buttons.on_report)
    app.action(CampaignAction.EDIT.value)(edit_buttons.on_edit)
    app.action(CampaignAction.DUPLICATE.value)(duplicate_buttons.on_duplicate)
    app.action(CampaignAction.RESUBMIT.value)(duplicate_buttons.on_resubmit)
    for decision in EditAction:
        app.action(decision.value)(edit_buttons.on_edit_decision)
    app.action(CampaignBulk.APPROVE_ALL.value)(on_approve_all)
    app.action(CampaignCreateAction.TEMPLATE.value)(handle_template_select)
    app.action(action_pattern(CampaignCreateAction.ACCOUNT))(handle_account_select)
