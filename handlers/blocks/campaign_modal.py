"""The ``/campaign create`` modal: one input per ``campaign_spec`` field, prefilled from a template.

Countries are a multi-select of common markets rather than free text: no typos to explain back,
readable names, and nothing to sanitise. Codes a template names that are not in the list are added
as extra options, so a template still round-trips; other markets go through a template or the CLI.

Template and account selects dispatch actions: the handler rebuilds the modal with ``views.update``
(template → new ``prefill``; account → same ``prefill``, new ``selected_account`` so the budget
label shows its currency). A new prefill gives the inputs new action ids (``ids.revisioned``),
because Slack ignores new initial values for inputs whose block and action ids did not change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.blocks import modal_inputs as inp
from handlers.blocks import modal_selects as sel
from handlers.blocks.common import context, esc, plain
from handlers.ids import CampaignCreate, CampaignCreateAction, CampaignCreateBlock, revisioned
from handlers.modal_memory import remember
from meta.domain.accounts import AccountConfig
from meta.domain.money import offset
from meta.domain.spec import CTA_TYPES, MAX_TEXTS, MAX_URL_LENGTH, TEXT_LIMITS

_B, _A = CampaignCreateBlock, CampaignCreateAction


def build_campaign_modal(
    *,
    accounts: list[AccountConfig],
    templates: list[tuple[str, str]],
    prefill: Mapping[str, object] | None = None,
    selected_account: str | None = None,
    private_metadata: str | None = None,
    template_notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The create modal; ``prefill`` holds ``campaign_spec`` field values (plus ``template``).

    ``template_notes`` name the templates that were skipped as broken (file: problem): they are
    left out of the select, and a note under it says which and why, so nobody wonders where a
    template went. ``private_metadata`` defaults to the remembered prefill
    (``handlers.modal_memory``), so the submission still has the prefilled values if Slack
    leaves untouched inputs out of it.
    """
    if not accounts:
        raise ValueError("no ad accounts configured; the modal needs at least one")
    values = dict(prefill or {})
    if private_metadata is None:
        private_metadata = remember(values)
    if len(private_metadata) > 3000:
        raise ValueError("private_metadata is longer than Slack's 3000 characters")
    rev = _revision(values)

    def aid(action: CampaignCreateAction) -> str:
        return revisioned(action, rev)

    by_key = {a.key: a for a in accounts}
    account_key = selected_account or str(values.get("account") or "")
    account = by_key.get(account_key) or accounts[0]
    has_minor_unit = offset(account.currency) == 100
    template_video = str(values.get("video") or "").rsplit("/", 1)[-1]

    blocks: list[dict[str, Any]] = [
        context(
            "Everything is created *paused*; nothing spends until an approver approves it.",
            block_id=_B.INTRO,
        )
    ]
    usable = [(key, label) for key, label in templates if 0 < len(key) <= 150][:100]
    if usable:
        blocks.append(sel.template_select(usable, values.get("template")))
    if template_notes:
        shown = "; ".join(esc(n) for n in template_notes[:5])
        shown += "; …" if len(template_notes) > 5 else ""
        blocks.append(
            context(
                f":warning: Unavailable template{'s' if len(template_notes) > 1 else ''}, "
                f"skipped: {shown}",
                block_id=_B.TEMPLATE_NOTES,
            )
        )
    blocks += [
        sel.account_select(accounts, by_key.get(account_key), aid(_A.ACCOUNT)),
        inp.text_input(
            _B.NAME, aid(_A.NAME), "Campaign name", values.get("name"), TEXT_LIMITS["name"]
        ),
        inp.budget_input(account, aid(_A.DAILY_BUDGET), values.get("daily_budget"), has_minor_unit),
        inp.time_picker(
            _B.START_TIME,
            aid(_A.START_TIME),
            "Start",
            values.get("start_time"),
            account,
            hint="Shown in your Slack timezone; the campaign runs in the account's timezone "
            f"({account.timezone}).",
        ),
        inp.time_picker(
            _B.END_TIME,
            aid(_A.END_TIME),
            "End",
            values.get("end_time"),
            account,
            hint="Leave empty to run until someone pauses it.",
            optional=True,
        ),
        sel.countries_select(aid(_A.COUNTRIES), values.get("countries")),
        inp.video_input(str(_A.VIDEO), template_video),  # no initial value: keep the upload
        inp.video_link_input(str(_A.VIDEO_LINK)),
        inp.text_input(
            _B.PRIMARY_TEXT,
            aid(_A.PRIMARY_TEXT),
            "Primary text",
            inp.box_text(values, "primary_text"),
            inp.MAX_TEXT_INPUT,
            multiline=True,
            hint="Meta shows about 125 characters before “See more”. Several texts (up to "
            f"{MAX_TEXTS}): put a line of three dashes ({inp.TEXT_SEPARATOR}) between them; "
            "with several videos, ad N shows text N.",
        ),
        inp.text_input(
            _B.HEADLINE,
            aid(_A.HEADLINE),
            "Headline",
            inp.box_text(values, "headline"),
            (TEXT_LIMITS["headline"] + 1) * MAX_TEXTS,
            multiline=True,
            hint=f"Several (up to {MAX_TEXTS}): one per line; with several videos, ad N shows "
            "headline N.",
        ),
        inp.text_input(
            _B.DESCRIPTION,
            aid(_A.DESCRIPTION),
            "Description",
            values.get("description"),
            TEXT_LIMITS["description"],
            optional=True,
        ),
        inp.link_input(aid(_A.LINK), values.get("link"), MAX_URL_LENGTH),
        sel.cta_select(aid(_A.CALL_TO_ACTION), values.get("call_to_action"), CTA_TYPES),
        inp.text_input(
            _B.URL_TAGS,
            aid(_A.URL_TAGS),
            "URL tags (UTMs)",
            values.get("url_tags"),
            MAX_URL_LENGTH,
            optional=True,
            hint=_url_tags_hint(account.creative.url_tags),
        ),
    ]
    return {
        "type": "modal",
        "callback_id": str(CampaignCreate.CALLBACK),
        "title": plain("New campaign", 24),
        "submit": plain("Create", 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def _url_tags_hint(account_tags: str | None) -> str:
    """Say what an empty field means: the account's own url_tags, or none."""
    tokens = "{campaign}, {adset}, {ad}, {name}, {account}, {countries}, {start:%Y%m%d} …"
    if account_tags:
        return f"Empty: the account's {account_tags[:1500]}. Tokens: {tokens}"
    return f"Appended to the link, e.g. utm_source=meta&utm_campaign={{campaign}}. Tokens: {tokens}"


def _revision(prefill: Mapping[str, object]) -> str:
    """Same prefill, same action ids (typing survives); a new prefill resets the inputs."""
    if not prefill:
        return ""
    encoded = json.dumps(prefill, sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:8]
