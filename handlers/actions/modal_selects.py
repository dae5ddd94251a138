"""Selects inside the create modal that reshape it: a template pre-fills, an account relabels."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.forms import parse_campaign_form
from handlers.modal_memory import recall
from meta.services.campaigns import CampaignService


def handle_template_select(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    campaigns: CampaignService,
) -> None:
    ack()
    key = (action.get("selected_option") or {}).get("value", "")
    template = campaigns.template(key)
    prefill: dict[str, object] = {"template": key, **(template.values if template else {})}
    account = prefill.get("account")
    _redraw(body, client, campaigns, prefill, account if isinstance(account, str) else None)


def handle_account_select(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    campaigns: CampaignService,
) -> None:
    """Show the chosen account's currency next to the budget, keeping what was typed."""
    ack()
    account = (action.get("selected_option") or {}).get("value")
    view = body["view"]
    form = parse_campaign_form(
        view.get("state", {}).get("values"), remembered=recall(view.get("private_metadata"))
    )
    typed = {k: v for k, v in form.to_request().items() if v not in (None, [], "")}
    template = campaigns.template(form.template) if form.template else None
    # The template's video stays in force: the user did not attach another one.
    prefill = {**(template.values if template else {}), **typed}
    if form.template:
        prefill["template"] = form.template
    if form.duplicate_of:  # still a duplicate: its videos stay in force
        prefill["duplicate_of"] = form.duplicate_of
    _redraw(body, client, campaigns, prefill, account)


def _redraw(
    body: dict[str, Any],
    client: WebClient,
    campaigns: CampaignService,
    prefill: dict[str, Any],
    account: str | None,
) -> None:
    view = body["view"]
    client.views_update(
        view_id=view["id"],
        hash=view.get("hash"),
        view=build_campaign_modal(
            accounts=campaigns.accounts.all(),
            templates=campaigns.template_choices(),
            template_notes=campaigns.template_notes(),
            prefill=prefill,
            selected_account=str(account) if account else None,
        ),
    )
