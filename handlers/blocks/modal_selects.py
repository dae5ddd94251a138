"""Select inputs of the create modal (template, account, countries, call to action).

Option texts are cut to Slack's 75 characters and values checked against its 150, since a single
bad option makes Slack refuse the whole view.
"""

from __future__ import annotations

from typing import Any

from handlers.blocks.common import plain
from handlers.blocks.modal_inputs import input_block
from handlers.ids import CampaignCreateAction, CampaignCreateBlock
from meta.domain.accounts import AccountConfig
from meta.domain.countries import COUNTRY_CODES

_B = CampaignCreateBlock
COMMON_MARKETS: tuple[tuple[str, str], ...] = (
    ("SG", "Singapore"), ("MY", "Malaysia"), ("ID", "Indonesia"), ("TH", "Thailand"),
    ("PH", "Philippines"), ("VN", "Vietnam"), ("HK", "Hong Kong"), ("TW", "Taiwan"),
    ("JP", "Japan"), ("KR", "South Korea"), ("CN", "China"), ("IN", "India"),
    ("AU", "Australia"), ("NZ", "New Zealand"), ("AE", "United Arab Emirates"),
    ("SA", "Saudi Arabia"), ("US", "United States"), ("CA", "Canada"), ("MX", "Mexico"),
    ("BR", "Brazil"), ("GB", "United Kingdom"), ("IE", "Ireland"), ("DE", "Germany"),
    ("FR", "France"), ("NL", "Netherlands"), ("BE", "Belgium"), ("ES", "Spain"),
    ("IT", "Italy"), ("SE", "Sweden"), ("DK", "Denmark"), ("NO", "Norway"), ("CH", "Switzerland"),
)  # fmt: skip


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def template_select(templates: list[tuple[str, str]], selected: object) -> dict[str, Any]:
    options = [option(label, key) for key, label in templates]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": str(CampaignCreateAction.TEMPLATE),
        "placeholder": plain("Start from a template", 150),
        "options": options,
    }
    _initial_option(element, options, selected)
    return input_block(_B.TEMPLATE, "Template", element, optional=True, dispatch_action=True)


def account_select(
    accounts: list[AccountConfig], selected: AccountConfig | None, action_id: str
) -> dict[str, Any]:
    for account in accounts:
        if not 0 < len(account.key) <= 150:
            raise ValueError(f"account key {account.key[:40]!r}… is longer than Slack allows")
    options = [option(f"{a.name} · {a.currency} · {a.timezone}", a.key) for a in accounts[:100]]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    element["placeholder"] = plain("Choose the client's ad account", 150)
    only = accounts[0].key if len(accounts) == 1 else None
    _initial_option(element, options, selected.key if selected else only)
    return input_block(_B.ACCOUNT, "Ad account", element, dispatch_action=True)


def countries_select(action_id: str, value: object) -> dict[str, Any]:
    codes = value.replace(",", " ").split() if isinstance(value, str) else value
    wanted = (
        [str(c).strip().upper() for c in codes or ()] if isinstance(codes, list | tuple) else []
    )
    known = {code for code, _ in COMMON_MARKETS}
    extra = [c for c in dict.fromkeys(wanted) if c in COUNTRY_CODES and c not in known]
    options = [option(f"{name} ({code})", code) for code, name in COMMON_MARKETS]
    options += [option(code, code) for code in extra][: 100 - len(options)]
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": action_id,
        "placeholder": plain("Choose countries", 150),
        "options": options,
    }
    initial = [o for o in options if o["value"] in wanted]
    if initial:
        element["initial_options"] = initial
    return input_block(
        _B.COUNTRIES,
        "Countries",
        element,
        hint="Singapore and EU countries need the account's verified payer and beneficiary ids.",
    )


def cta_select(action_id: str, value: object, cta_types: tuple[str, ...]) -> dict[str, Any]:
    options = [option(cta.replace("_", " ").capitalize(), cta) for cta in cta_types]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = str(value or "").strip().upper().replace(" ", "_")
    _initial_option(element, options, chosen if chosen in cta_types else "SHOP_NOW")
    return input_block(_B.CALL_TO_ACTION, "Call to action", element)


def _initial_option(element: dict[str, Any], options: list[dict[str, Any]], value: object) -> None:
    match = next((o for o in options if value is not None and o["value"] == str(value)), None)
    if match:
        element["initial_option"] = match
