"""Builders' inputs made directly: ``CampaignSummary`` and ``AccountConfig`` with overridable defaults.

No database or service is involved; a summary is the DTO the builders receive in production.
``hostile_summary`` fills every user-typed field to its domain limit with markup that must not
reach Slack unescaped.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from meta.domain.accounts import AccountConfig, Regulation
from meta.services.summary import CampaignSummary
from sandbox.slack_emulator.blockkit import validate_blocks, validate_view
from sandbox.slack_emulator.methods import MAX_UPDATE_TEXT

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # Tue 1 Dec 2026, 20:00 in Singapore
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # Thu 3 Dec 2026, 20:00 SGT
HOSTILE = "<!channel> <@U0ALICE> <https://evil.example|click> & <#C123|ops> *bold* `tick`"


def make_summary(**overrides: Any) -> CampaignSummary:
    values: dict[str, Any] = {
        "id": 12,
        "name": "AINOTE2 launch SG",
        "account_key": "iflytek-sg",
        "account_name": "iFLYTEK Singapore",
        "ad_account_id": "act_1234567890",
        "status": "created",
        "step": None,
        "budget_text": "SGD 50.00",
        "currency": "SGD",
        "timezone": "Asia/Singapore",
        "start_time": START,
        "start_text": "Thu 3 Dec 2026, 20:00 SGT",
        "end_text": None,
        "countries": ("SG", "MY"),
        "video_id": "900000000000001",
        "creative_id": "900000000000002",
        "campaign_id": "900000000000003",
        "adset_id": "900000000000004",
        "ad_id": "900000000000005",
        "requested_by": "U0REQUESTER",
        "approved_by": None,
        "activate_at": None,
        "activated_at": None,
        "error": None,
        "slack_channel": "C0APPROVALS",
        "slack_ts": "1700000000.000100",
        "warnings": (),
        "advantage": None,
        "thumbnail_url": None,
        "previews": (),
        "request": None,
        "big_spend_approvers": (),
        "changed_since_approval": (),
        "daily_budget_minor": 5000,
        "drift": (),
        "ads": (),
    }
    unknown = set(overrides) - set(values)
    assert not unknown, f"CampaignSummary has no {unknown}"
    return CampaignSummary(**{**values, **overrides})


def hostile_summary(**overrides: Any) -> CampaignSummary:
    """Every free-text field at its limit, full of mentions, links and entities."""
    long = (HOSTILE + " ") * 40
    values: dict[str, Any] = {
        "name": long[:400],
        "account_name": long[:200],
        "error": long[:2200],
        "warnings": tuple(long[:300] for _ in range(12)),
        "countries": ("SG", "MY", "ID", "TH", "PH", "VN", "AU", "HK", "TW", "GB", "DE", "FR"),
        "requested_by": "<!here>",
        "approved_by": "U0APPROVER",
        "end_text": "Sat 2 Jan 2027, 20:00 SGT",
        "activate_at": START,
        "activated_at": START + timedelta(minutes=7),
    }
    return make_summary(**{**values, **overrides})


def replace(summary: CampaignSummary, **changes: Any) -> CampaignSummary:
    return dataclasses.replace(summary, **changes)


def make_account(**overrides: Any) -> AccountConfig:
    values: dict[str, Any] = {
        "key": "iflytek-sg",
        "name": "iFLYTEK Singapore",
        "ad_account_id": "act_1234567890",
        "page_id": "1122334455",
        "pixel_id": "5566778899",
        "currency": "SGD",
        "timezone": "Asia/Singapore",
        "max_daily_budget": 2000,
        "regulation": Regulation(singapore_beneficiary="998877", singapore_payer="998877"),
    }
    return AccountConfig(**{**values, **overrides})


def assert_slack_accepts(surface: str, payload: dict[str, Any]) -> None:
    """Slack would take ``payload``: the emulator's Block Kit judge accepts it.

    That judge is ``slack_sdk.models`` (each block parsed and rendered, the view through
    ``View``) plus the documented limits the models do not check; see
    ``sandbox.slack_emulator.blockkit``. A message also needs its notification ``text``, within
    what ``chat.update`` accepts (Slack answers ``msg_too_long`` above 4,000 characters).
    """
    wire = json.loads(json.dumps(payload))  # what Slack receives: plain JSON
    if surface in ("modal", "home"):
        problems = validate_view(wire)
    else:
        problems = validate_blocks(wire.get("blocks"), surface="message")
        text = wire.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append("text: a message needs fallback text for notifications")
        elif len(text) > MAX_UPDATE_TEXT:
            problems.append(f"text: {len(text)} > {MAX_UPDATE_TEXT} characters")
        if not wire.get("blocks"):
            problems.append("blocks: AdBee's messages always carry blocks")
    assert problems == [], "\n".join(problems)


def all_text(payload: dict[str, Any]) -> str:
    """Every string in the payload, to search for things that must (not) appear."""
    return json.dumps(payload, ensure_ascii=False)


def state_from_view(view: dict[str, Any], **typed: Any) -> dict[str, Any]:
    """``view.state.values`` as Slack submits ``view`` when the user kept every initial value;
    ``typed`` replaces the state of a block (by block id) as if the user had entered it."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind in ("static_select",):
            state = {"selected_option": element.get("initial_option")}
        elif kind == "multi_static_select":
            state = {"selected_options": element.get("initial_options", [])}
        elif kind == "datetimepicker":
            state = {"selected_date_time": element.get("initial_date_time")}
        elif kind == "file_input":
            state = {"files": []}
        else:
            state = {"value": element.get("initial_value")}
        state = typed.get(block["block_id"], state)
        values[block["block_id"]] = {element["action_id"]: {"type": kind, **state}}
    return values


def slack_file(name: str = "launch.mp4", **overrides: Any) -> dict[str, Any]:
    """A file object as ``file_input`` returns it (the bolt-js required fields plus size)."""
    ext = name.rsplit(".", 1)[-1].lower()
    mimetypes = {"mp4": "video/mp4", "mov": "video/quicktime", "pdf": "application/pdf"}
    pretty = {"mp4": "MPEG 4 Video", "mov": "QuickTime Movie", "pdf": "PDF"}
    values = {
        "id": "F0VIDEO1",
        "created": 1764590400,
        "timestamp": 1764590400,
        "name": name,
        "title": name,
        "mimetype": mimetypes.get(ext, "application/octet-stream"),
        "filetype": ext,
        "pretty_type": pretty.get(ext, ext.upper()),
        "user": "U0REQUESTER",
        "user_team": "T0TEAM",
        "size": 5_242_880,
        "permalink": f"https://acme.slack.com/files/U0REQUESTER/F0VIDEO1/{name}",
        "url_private": f"https://files.slack.com/files-pri/T0TEAM-F0VIDEO1/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/T0TEAM-F0VIDEO1/download/{name}",
    }
    return {**values, **overrides}


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """Every string Slack parses for mentions and links: mrkdwn objects and the fallback text."""
    found = [payload["text"]] if isinstance(payload.get("text"), str) else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks", []))
    return found


RAW_MARKUP = ("<!channel>", "<!here>", "<@U0ALICE>", "<https://evil.example", "<#C123")


def assert_escaped(payload: dict[str, Any]) -> None:
    """User text reaches mrkdwn only escaped: no pings, no disguised links (plain_text is inert)."""
    for text in mrkdwn_texts(payload):
        for markup in RAW_MARKUP:
            assert markup not in text, f"{markup!r} unescaped in {text[:200]!r}"
