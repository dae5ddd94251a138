"""Payloads Slack sends to the app, and the ``state.values`` the Slack client would compute.

Tests act as users; the payloads they cause must look like the ones Slack sends (field names,
string-typed slash-command fields, ``state.values`` keyed block_id -> action_id with a ``type``
on every entry, full file objects for ``file_input``). ``fill`` lets a test write plain values
(``{"budget": "50"}``) and infers the element shape from the view, so tests do not hand-build
Slack JSON and cannot build shapes Slack would never send.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from .blockkit import MAX_FILES_PER_INPUT
from .state import View, Workspace

# Slack's file_input element limits files to 10 MB each (docs.slack.dev file_input element).
FILE_INPUT_MAX_BYTES = 10 * 1024 * 1024

STATEFUL = {
    "plain_text_input": "value",
    "number_input": "value",
    "url_text_input": "value",
    "email_text_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "file_input": "files",
    "rich_text_input": "rich_text_value",
}
_LIST_KEYS = {
    "selected_options",
    "selected_users",
    "selected_conversations",
    "selected_channels",
    "files",
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://\S+$")


class UIValidationError(ValueError):
    """The Slack client itself would not let the user do this (e.g. submit an empty required field)."""


def iter_elements(blocks: list[Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (block, interactive element) pair, in display order."""
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict):
                yield block, block[key]
        if block.get("type") == "actions":
            for el in block.get("elements") or []:
                if isinstance(el, dict):
                    yield block, el


def find_element(
    blocks: list[Any], block_id: str | None, action_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    matches = [
        (b, e)
        for b, e in iter_elements(blocks)
        if (block_id is None or b.get("block_id") == block_id)
        and (action_id is None or e.get("action_id") == action_id)
    ]
    if not matches:
        raise LookupError(
            f"no element block_id={block_id!r} action_id={action_id!r} on this surface"
        )
    if len(matches) > 1 and action_id is None:
        raise LookupError(f"block {block_id!r} has several elements; pass action_id")
    return matches[0]


def _initial_state(el: dict[str, Any]) -> dict[str, Any]:
    kind = el["type"]
    key = STATEFUL[kind]
    entry: dict[str, Any] = {"type": kind}
    if key == "value":
        entry["value"] = el.get("initial_value")
    elif key == "selected_option":
        entry["selected_option"] = el.get("initial_option")
    elif key == "selected_options":
        entry["selected_options"] = list(el.get("initial_options") or [])
    elif key == "selected_date":
        entry["selected_date"] = el.get("initial_date")
    elif key == "selected_time":
        entry["selected_time"] = el.get("initial_time")
        if el.get("timezone"):
            entry["timezone"] = el["timezone"]
    elif key == "selected_date_time":
        entry["selected_date_time"] = el.get("initial_date_time")
    elif key == "files":
        entry["files"] = []
    elif key in _LIST_KEYS:
        entry[key] = list(el.get("initial_" + key.removeprefix("selected_")) or [])
    else:
        singular = key.removeprefix("selected_")
        entry[key] = el.get("initial_" + singular)
    return entry


def view_state_values(view: View) -> dict[str, dict[str, Any]]:
    """``view.state.values`` as the Slack client reports it: every stateful element, edited or not."""
    values: dict[str, dict[str, Any]] = {}
    for block, el in iter_elements(view.payload.get("blocks", [])):
        if el.get("type") not in STATEFUL:
            continue
        bid, aid = block.get("block_id"), el.get("action_id")
        entry = copy.deepcopy(view.draft.get(bid, {}).get(aid)) or _initial_state(el)
        values.setdefault(bid, {})[aid] = entry
    return values


def _option_for(el: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    options = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for opt in options:
        text = opt.get("text", {}).get("text")
        if value in (opt.get("value"), text):
            return copy.deepcopy(opt)
    if el.get("type", "").endswith("external_select"):
        return {
            "text": {"type": "plain_text", "text": str(value), "emoji": True},
            "value": str(value),
        }
    raise LookupError(f"{el.get('action_id')!r} has no option with value or text {value!r}")


def state_entry(
    el: dict[str, Any], value: Any, file_lookup: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """Turn a plain Python value into the ``state.values`` entry for element ``el``."""
    kind = el.get("type", "")
    if kind not in STATEFUL:
        raise LookupError(f"element type {kind!r} holds no state")
    if isinstance(value, dict) and value.get("type") == kind:
        return copy.deepcopy(value)
    key = STATEFUL[kind]
    entry: dict[str, Any] = {"type": kind}
    if key == "value":
        entry["value"] = None if value is None or value == "" else str(value)
    elif key == "selected_option":
        entry[key] = None if value is None else _option_for(el, value)
    elif key == "selected_options":
        items = value if isinstance(value, list | tuple | set) else [value]
        entry[key] = [_option_for(el, v) for v in items]
    elif key == "selected_date":
        entry[key] = value.isoformat() if isinstance(value, dt.date) else value
    elif key == "selected_time":
        entry[key] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
        if el.get("timezone"):
            entry["timezone"] = el["timezone"]
    elif key == "selected_date_time":
        entry[key] = int(value.timestamp()) if isinstance(value, dt.datetime) else value
    elif key == "files":
        items = value if isinstance(value, list | tuple) else [value]
        entry[key] = [v if isinstance(v, dict) else file_lookup(str(v)) for v in items if v]
    elif key == "rich_text_value":
        entry[key] = (
            value
            if isinstance(value, dict)
            else {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": str(value)}],
                    }
                ],
            }
        )
    elif key in _LIST_KEYS:
        entry[key] = list(value) if isinstance(value, list | tuple | set) else [value]
    else:
        entry[key] = value
    return entry


def is_raw_values(values: dict[str, Any]) -> bool:
    """True when ``values`` is already ``{block_id: {action_id: {"type": ...}}}``."""
    return bool(values) and all(
        isinstance(v, dict) and v and all(isinstance(e, dict) and "type" in e for e in v.values())
        for v in values.values()
    )


def fill(
    blocks: list[Any], values: dict[str, Any], file_lookup: Callable[[str], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Plain ``{block_id: value}`` (or ``{block_id: {action_id: value}}``) -> ``state.values``."""
    out: dict[str, dict[str, Any]] = {}
    for block_id, value in values.items():
        elements = [(b, e) for b, e in iter_elements(blocks) if b.get("block_id") == block_id]
        elements = [(b, e) for b, e in elements if e.get("type") in STATEFUL]
        if not elements:
            known = sorted({b.get("block_id") for b, e in iter_elements(blocks)} - {None})
            raise LookupError(f"no input element in block {block_id!r}; blocks: {known}")
        by_action = {e["action_id"]: e for _, e in elements}
        if (
            isinstance(value, dict)
            and value
            and set(value) <= set(by_action)
            and not (len(by_action) == 1 and "type" in value)
        ):
            items = value
        elif len(elements) == 1:
            items = {elements[0][1]["action_id"]: value}
        else:
            raise LookupError(f"block {block_id!r} has several elements; pass {{action_id: value}}")
        for action_id, v in items.items():
            out.setdefault(block_id, {})[action_id] = state_entry(
                by_action[action_id], v, file_lookup
            )
    return out


def _has_value(entry: dict[str, Any]) -> bool:
    key = STATEFUL.get(entry.get("type", ""), "value")
    v = entry.get(key)
    return bool(v) if isinstance(v, list) else v not in (None, "")


def ui_check(
    view: dict[str, Any], values: dict[str, dict[str, Any]], files: dict[str, Any]
) -> list[str]:
    """What the Slack client refuses before a submission ever reaches the app."""
    problems: list[str] = []
    for block in view.get("blocks", []):
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        el = block.get("element") or {}
        bid, aid = block.get("block_id"), el.get("action_id")
        entry = values.get(bid, {}).get(aid) or {"type": el.get("type")}
        kind = el.get("type")
        where = f"{bid}/{aid}"
        if not _has_value(entry):
            if not block.get("optional", False):
                problems.append(f"{where}: required field is empty")
            continue
        value = entry.get("value")
        if kind == "plain_text_input" and isinstance(value, str):
            if el.get("min_length") is not None and len(value) < el["min_length"]:
                problems.append(f"{where}: shorter than min_length {el['min_length']}")
            if el.get("max_length") is not None and len(value) > el["max_length"]:
                problems.append(f"{where}: longer than max_length {el['max_length']}")
        elif kind == "number_input" and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                problems.append(f"{where}: not a number")
                continue
            if not el.get("is_decimal_allowed") and not re.fullmatch(r"-?\d+", value):
                problems.append(f"{where}: decimals not allowed")
            for bound, ok in (
                ("min_value", number >= float(el.get("min_value", number))),
                ("max_value", number <= float(el.get("max_value", number))),
            ):
                if not ok:
                    problems.append(f"{where}: outside {bound} {el[bound]}")
        elif kind == "email_text_input" and not _EMAIL_RE.match(str(value)):
            problems.append(f"{where}: not an email address")
        elif kind == "url_text_input" and not _URL_RE.match(str(value)):
            problems.append(f"{where}: not a URL")
        elif kind in (
            "multi_static_select",
            "multi_external_select",
            "multi_users_select",
            "multi_conversations_select",
            "multi_channels_select",
        ):
            limit = el.get("max_selected_items")
            key = STATEFUL[kind]
            if limit is not None and len(entry.get(key) or []) > limit:
                problems.append(f"{where}: more than max_selected_items {limit}")
        elif kind == "file_input":
            chosen = entry.get("files") or []
            limit = el.get("max_files") or MAX_FILES_PER_INPUT
            if len(chosen) > limit:
                problems.append(f"{where}: more than max_files {limit}")
            allowed = [t.lower().lstrip(".") for t in el.get("filetypes") or []]
            for f in chosen:
                if allowed and str(f.get("filetype", "")).lower() not in allowed:
                    problems.append(f"{where}: filetype {f.get('filetype')!r} not in {allowed}")
                if int(f.get("size", 0)) > FILE_INPUT_MAX_BYTES:
                    problems.append(f"{where}: {f.get('name')} exceeds the 10 MB file_input limit")
                if f.get("id") not in files:
                    problems.append(f"{where}: file {f.get('id')} was never uploaded")
    return problems


# -- payload builders ---------------------------------------------------------


def user_ref(ws: Workspace, user_id: str) -> dict[str, Any]:
    u = ws.user(user_id)
    return {"id": u.id, "username": u.name, "name": u.name, "team_id": u.team_id}


def team_ref(ws: Workspace) -> dict[str, Any]:
    return {"id": ws.team_id, "domain": ws.domain}


def slash_command(
    ws: Workspace,
    *,
    user_id: str,
    channel_id: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    user = ws.user(user_id)
    ch = ws.channels.get(channel_id)
    channel_name = ("directmessage" if ch.is_im else ch.name) if ch else "unknown"
    payload = {
        "token": ws.verification_token,
        "team_id": ws.team_id,
        "team_domain": ws.domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    if ws.enterprise_id:
        payload["enterprise_id"] = ws.enterprise_id
    return payload


def block_actions_message(
    ws: Workspace,
    *,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    is_ephemeral: bool,
    action: dict[str, Any],
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    ch = ws.channels.get(channel_id)
    return {
        "type": "block_actions",
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": team_ref(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": ch.name if ch and not ch.is_im else "directmessage"},
        "message": copy.deepcopy(message),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def block_actions_view(
    ws: Workspace, *, user_id: str, view: View, action: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": trigger_id,
        "team": team_ref(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": ws.view_to_api(view, with_state=True),
        "actions": [action],
    }


def submitted_view(ws: Workspace, view: View) -> dict[str, Any]:
    """The ``view`` of a ``view_submission``: with its state, as Slack reports it.

    With ``ws.omit_untouched_after_update``, a view the app replaced with ``views.update``
    reports only the inputs the user changed: the others (showing their new initial values on
    screen) are missing from ``state.values``, a server behaviour public reports describe
    [P: bolt-js#1258, bolt-python#572].
    """
    out = ws.view_to_api(view, with_state=True)
    if ws.omit_untouched_after_update and view.updated_by_api:
        values = out["state"]["values"]
        kept = {
            bid: {aid: entry for aid, entry in actions.items() if aid in view.draft.get(bid, {})}
            for bid, actions in values.items()
        }
        out["state"]["values"] = {bid: actions for bid, actions in kept.items() if actions}
    return out


def view_submission(ws: Workspace, *, user_id: str, view: View, trigger_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team_ref(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "trigger_id": trigger_id,
        "view": submitted_view(ws, view),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(ws: Workspace, *, user_id: str, view: View, is_cleared: bool) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": team_ref(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "view": ws.view_to_api(view, with_state=True),
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def action_for(
    element: dict[str, Any], block_id: str, action_ts: str, entry: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One ``actions[]`` item: the element's identity plus what the user chose."""
    action: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if element.get("type") == "button":
        action["text"] = copy.deepcopy(element.get("text"))
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
    elif entry is not None:
        for key, v in entry.items():
            if key != "type":
                action[key] = v
        if "placeholder" in element:
            action["placeholder"] = copy.deepcopy(element["placeholder"])
    return action


def event_callback(ws: Workspace, event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": ws.verification_token,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(ws.clock()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
