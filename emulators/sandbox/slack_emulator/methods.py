"""Web API methods, with the checks and error codes Slack applies.

Each method takes the already-parsed params (JSON body, form body and query merged, JSON-string
form values decoded) and returns the response dict, or raises ``ApiError`` with Slack's error
code. Only what the bot uses is implemented, but each of those behaves strictly: unknown
channels, used or expired triggers, stale view hashes, other people's messages, missing
scopes and invalid Block Kit all fail the way they fail on Slack, so bugs surface in tests
instead of in production.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .blockkit import input_block_ids, normalize_blocks, validate_blocks, validate_view
from .ids import TRIGGER_RE
from .payloads import iter_elements
from .state import Channel, Message, View, Workspace

MAX_TEXT = 40_000
MAX_UPDATE_TEXT = 4_000
MAX_VIEW_STACK = 3

# Bot scope each method needs (docs.slack.dev method pages); None: no scope.
METHOD_SCOPES: dict[str, str | None] = {
    "api.test": None,
    "auth.test": None,
    "apps.connections.open": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "files.info": "files:read",
    "files.list": "files:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.upload": "files:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "conversations.info": "channels:read",
    "conversations.open": "im:write",
    "conversations.join": "channels:join",
    "conversations.members": "channels:read",
    # checked per conversation type in the method (channels:/groups:/im:history)
    "conversations.history": None,
    "conversations.replies": None,
}

# conversations.history / .replies need the history scope of the conversation's type: a public
# channel channels:history, a private one groups:history, a DM im:history
# (docs.slack.dev/reference/methods/conversations.history, "Required scopes").
HISTORY_SCOPES = {"public": "channels:history", "private": "groups:history", "im": "im:history"}
# Message metadata: an object with a string ``event_type`` and an object ``event_payload``
# (docs.slack.dev/messaging/message-metadata; slack_sdk.models.metadata.Metadata). The error
# codes are the ones chat.postMessage documents; the exact event_type syntax Slack enforces
# is [uncertain], so only "a non-empty string" is checked.
MAX_METADATA_BYTES = 8_000  # [uncertain] Slack documents a size limit, not its exact value
# files.list's ``types`` filter (docs.slack.dev/reference/methods/files.list, "Types"; the same
# list in slack-ruby/slack-api-ref methods/files/files.list.json): there is no type for videos.
FILE_LIST_TYPES = frozenset({"all", "spaces", "snippets", "images", "gdocs", "zips", "pdfs"})
FILE_LIST_COUNT = 100  # the method's default ``count`` (slack-api-ref "default_count": 100)


class ApiError(Exception):
    """A Slack ``{"ok": false, "error": code, ...}`` response."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid(error: str, messages: list[str]) -> ApiError:
    return ApiError(
        error,
        errors=[m.removeprefix("[ERROR] ") for m in messages],
        response_metadata={"messages": messages},
    )


def _require(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise _invalid("invalid_arguments", [f"[ERROR] missing required field: {name}"])
    return value


def _metadata(value: Any) -> dict[str, Any]:
    """``metadata`` as Slack accepts it, or its error code."""
    if not isinstance(value, dict):  # a form value that was not a JSON object
        raise ApiError("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    if len(json.dumps(value)) > MAX_METADATA_BYTES:
        raise ApiError("metadata_too_large")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


def _bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _file_list_type(f: Any) -> str:
    """The ``types`` group a file falls in (images by mimetype, pdfs and zips by filetype)."""
    if str(f.mimetype).startswith("image/"):
        return "images"
    return {"pdf": "pdfs", "zip": "zips", "text": "snippets"}.get(str(f.filetype), "")


class WebApi:
    """Implements ``/api/<method>`` against a ``Workspace``."""

    def __init__(self, workspace: Workspace, issue_ws_url: Callable[[], str]) -> None:
        self.ws = workspace
        self.issue_ws_url = issue_ws_url
        self.methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda p: {"args": p},
            "auth.test": self.auth_test,
            "apps.connections.open": self.apps_connections_open,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_push,
            "views.publish": self.views_publish,
            "files.info": self.files_info,
            "files.list": self.files_list,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "files.upload": self.files_upload,
            "users.info": self.users_info,
            "users.lookupByEmail": self.users_lookup_by_email,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
            "conversations.info": self.conversations_info,
            "conversations.open": self.conversations_open,
            "conversations.join": self.conversations_join,
            "conversations.members": self.conversations_members,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
        }

    # -- entry point ---------------------------------------------------------

    def authenticate(self, method: str, token: str | None) -> None:
        ws = self.ws
        if not token:
            raise ApiError("not_authed")
        if method == "apps.connections.open":
            if token == ws.app_token:
                return
            raise ApiError("not_allowed_token_type" if token == ws.bot_token else "invalid_auth")
        if token == ws.app_token:
            raise ApiError("not_allowed_token_type")
        if token != ws.bot_token:
            raise ApiError("invalid_auth")
        needed = METHOD_SCOPES.get(method)
        if needed and needed not in ws.scopes:
            raise ApiError("missing_scope", needed=needed, provided=",".join(ws.scopes))

    def call(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method not in self.methods:
            raise ApiError("unknown_method", req_method=method)
        self.authenticate(method, token)
        result = self.methods[method](params)
        return {"ok": True, **result}

    # -- auth ------------------------------------------------------------------

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        return {
            "url": ws.root_url,
            "team": ws.team_name,
            "user": ws.bot_name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.issue_ws_url()}

    # -- channels --------------------------------------------------------------

    def _channel_for_bot(self, ref: Any, *, for_write: bool, allow_user_id: bool = True) -> Channel:
        ws = self.ws
        if not ref:
            raise ApiError("channel_not_found")
        ref = str(ref)
        with ws.lock:
            if not allow_user_id and ref in ws.users:
                raise ApiError("channel_not_found")
            ch = ws.resolve_channel(ref)
            if ch is None or (ch.is_private and not ch.bot_member):
                raise ApiError("channel_not_found")
            if for_write:
                if ch.is_archived:
                    raise ApiError("is_archived")
                if (
                    not ch.is_im
                    and not ch.bot_member
                    and (ch.is_private or "chat:write.public" not in ws.scopes)
                ):
                    raise ApiError("not_in_channel")
            return ch

    def _content(self, params: dict[str, Any], *, surface_text_max: int | None) -> dict[str, Any]:
        """Validated ``text``/``blocks``/``attachments`` of a message, with generated ids."""
        out: dict[str, Any] = {}
        blocks = params.get("blocks")
        if blocks is not None:
            if isinstance(blocks, str):
                raise ApiError("invalid_blocks_format")
            problems = validate_blocks(blocks, surface="message")
            if problems:
                raise _invalid("invalid_blocks", problems)
            out["blocks"] = normalize_blocks(blocks)
        attachments = params.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                raise ApiError("invalid_attachments")
            if len(attachments) > 100:
                raise ApiError("too_many_attachments")
            out["attachments"] = attachments
        text = params.get("text")
        if text is not None:
            text = str(text)
            if surface_text_max is not None and len(text) > surface_text_max:
                raise ApiError("msg_too_long")
            out["text"] = text
        if params.get("metadata") is not None:
            out["metadata"] = _metadata(params["metadata"])
        return out

    # -- chat ------------------------------------------------------------------

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=True)
        content = self._content(params, surface_text_max=None)
        if not content.get("text") and not content.get("blocks") and not content.get("attachments"):
            raise ApiError("no_text")
        extra: dict[str, Any] = {}
        text = content.get("text", "")
        if len(text) > MAX_TEXT:
            content["text"] = text[:MAX_TEXT]
            extra = {
                "warning": "message_truncated",
                "response_metadata": {"warnings": ["message_truncated"]},
            }
        thread_ts = params.get("thread_ts") or None
        if thread_ts:
            parent = ws.find_message(ch.id, str(thread_ts))
            if parent is None:
                ws.problem(f"chat.postMessage: thread_ts {thread_ts} is not a message in {ch.id}")
            elif parent.thread_ts:
                ws.problem(f"chat.postMessage: thread_ts {thread_ts} is a reply; use its parent")
        body = ws.bot_message(
            content.get("text", ""),
            content.get("blocks"),
            ts="",
            attachments=content.get("attachments"),
            metadata=content.get("metadata"),
        )
        body.pop("ts")
        msg = ws.add_message(ch.id, body, thread_ts=str(thread_ts) if thread_ts else None)
        if thread_ts and _bool(params.get("reply_broadcast")):
            msg.versions[-1]["subtype"] = "thread_broadcast"
        return {"channel": ch.id, "ts": msg.ts, "message": copy.deepcopy(msg.current), **extra}

    def chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        ts = str(_require(params, "ts"))
        msg = ws.find_message(ch.id, ts)
        if msg is None or msg.deleted:
            raise ApiError("message_not_found")
        if msg.current.get("bot_id") != ws.bot_id:
            raise ApiError("cant_update_message")
        content = self._content(params, surface_text_max=MAX_UPDATE_TEXT)
        if not content:
            raise ApiError("no_text")
        new = ws.edit_message(msg, content, editor=ws.bot_user_id)
        return {
            "channel": ch.id,
            "ts": ts,
            "text": new.get("text", ""),
            "message": {k: v for k, v in new.items() if k != "ts"},
        }

    def chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        ts = str(_require(params, "ts"))
        msg = ws.find_message(ch.id, ts)
        if msg is None or msg.deleted:
            raise ApiError("message_not_found")
        if msg.current.get("bot_id") != ws.bot_id:
            raise ApiError("cant_delete_message")
        ws.delete_message(msg)
        return {"channel": ch.id, "ts": ts}

    def chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=True)
        user_id = str(_require(params, "user"))
        if user_id not in ws.users:
            raise ApiError("user_not_found")
        if not ch.has_member(user_id):
            raise ApiError("user_not_in_channel")
        content = self._content(params, surface_text_max=None)
        if not content.get("text") and not content.get("blocks") and not content.get("attachments"):
            raise ApiError("no_text")
        body = ws.bot_message(
            content.get("text", ""),
            content.get("blocks"),
            ts="",
            attachments=content.get("attachments"),
        )
        body.pop("ts")
        if params.get("thread_ts"):
            body["thread_ts"] = str(params["thread_ts"])
        msg = ws.add_ephemeral(ch.id, user_id, body, source="chat.postEphemeral")
        return {"message_ts": msg.ts}

    def chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        ts = str(_require(params, "message_ts"))
        msg = ws.find_message(ch.id, ts)
        if msg is None or msg.deleted:
            raise ApiError("message_not_found")
        link = f"{ws.root_url}archives/{ch.id}/p{ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={ch.id}"
        return {"channel": ch.id, "permalink": link}

    # -- views -----------------------------------------------------------------

    def _view_arg(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _require(params, "view")
        if isinstance(view, str):
            raise _invalid(
                "invalid_arguments", ["[ERROR] failed to parse view JSON [json-pointer:/view]"]
            )
        problems = validate_view(view)
        if problems:
            if any("view_too_large" in p for p in problems):
                raise ApiError("view_too_large")
            raise _invalid("invalid_arguments", problems)
        view = copy.deepcopy(view)
        view["blocks"] = normalize_blocks(view.get("blocks", []))
        return view

    def _use_trigger(self, params: dict[str, Any]) -> tuple[str, str | None]:
        """Consume a trigger; return (user id, view id the interaction came from)."""
        ws = self.ws
        trigger_id = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger_id:
            raise _invalid("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        trigger_id = str(trigger_id)
        if not TRIGGER_RE.match(trigger_id):
            raise ApiError("invalid_trigger_id")
        with ws.lock:
            trig = ws.triggers.get(trigger_id)
            if trig is None:
                raise ApiError("invalid_trigger_id")
            if trig.used:
                raise ApiError("exchanged_trigger_id")
            if ws.clock() - trig.issued_at > ws.trigger_ttl:
                raise ApiError("expired_trigger_id")
            trig.used = True
            return trig.user_id, trig.view_id

    def _check_external_id(self, view: dict[str, Any], current: View | None = None) -> None:
        ext = view.get("external_id")
        if not ext:
            return
        with self.ws.lock:
            for other in self.ws.views.values():
                if other.external_id == ext and other is not current:
                    raise ApiError("duplicate_external_id")

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        view = self._view_arg(params)
        with ws.lock:
            self._check_external_id(view)
            user_id, _from_view = self._use_trigger(params)
            ws.close_views(user_id, all_views=True)
            record = self._new_view(user_id, view, root=None, previous=None)
            ws.view_stacks[user_id] = [record.id]
        ws.notify()
        return {"view": ws.view_to_api(record)}

    def _new_view(
        self, user_id: str, view: dict[str, Any], *, root: str | None, previous: str | None
    ) -> View:
        ws = self.ws
        view_id = ws.ids.new("V")
        record = View(
            id=view_id,
            user_id=user_id,
            payload=view,
            hash=ws.ids.view_hash(),
            root_view_id=root or view_id,
            previous_view_id=previous,
        )
        record.history.append(ws.view_to_api(record))
        ws.views[view_id] = record
        return record

    def views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        view = self._view_arg(params)
        with ws.lock:
            self._check_external_id(view)
            user_id, _from_view = self._use_trigger(params)
            stack = ws.view_stacks.get(user_id) or []
            if not stack:
                raise ApiError("not_found")
            if len(stack) >= MAX_VIEW_STACK:
                raise ApiError("push_limit_reached")
            record = self.push_view(user_id, view)
        return {"view": ws.view_to_api(record)}

    def push_view(self, user_id: str, view: dict[str, Any]) -> View:
        """Put ``view`` on top of the user's modal stack (views.push and ``response_action: push``)."""
        ws = self.ws
        with ws.lock:
            stack = ws.view_stacks.setdefault(user_id, [])
            top = ws.views[stack[-1]] if stack else None
            record = self._new_view(
                user_id,
                view,
                root=top.root_view_id if top else None,
                previous=top.id if top else None,
            )
            stack.append(record.id)
        ws.notify()
        return record

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        view = self._view_arg(params)
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _invalid(
                "invalid_arguments", ["[ERROR] either view_id or external_id is required"]
            )
        with ws.lock:
            record = (
                ws.views.get(str(view_id))
                if view_id
                else next((v for v in ws.views.values() if v.external_id == external_id), None)
            )
            if record is None or not record.is_open:
                raise ApiError("not_found")
            if params.get("hash") and str(params["hash"]) != record.hash:
                raise ApiError("hash_conflict")
            self._check_external_id(view, current=record)
            record.updated_by_api = True
            self.replace_view(record, view)
        return {"view": ws.view_to_api(record)}

    def replace_view(self, record: View, view: dict[str, Any]) -> None:
        """Swap a view's content, keeping the user's input where block_id/action_id survive."""
        ws = self.ws
        with ws.lock:
            record.payload = view
            record.hash = ws.ids.view_hash()
            record.errors = None
            keep = {
                (b.get("block_id"), e.get("action_id")) for b, e in iter_elements(view["blocks"])
            }
            record.draft = {
                bid: {aid: v for aid, v in actions.items() if (bid, aid) in keep}
                for bid, actions in record.draft.items()
            }
            record.history.append(ws.view_to_api(record))
        ws.notify()

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """Publish ``user_id``'s Home tab: one view per user, replaced in place.

        Slack keeps one Home view per user and app: publishing again replaces it (same view id,
        new hash), and a ``hash`` that is not the current one answers ``hash_conflict`` so an
        app does not overwrite a newer tab with an older one (docs.slack.dev/reference/methods/
        views.publish). Only ``home`` views can be published; the view is judged like any other
        (``validate_view``: slack_sdk.models ``View``, which refuses a home view with ``submit``
        or ``close`` and more than 100 blocks).
        """
        ws = self.ws
        user_id = str(_require(params, "user_id"))
        if user_id not in ws.users:
            raise ApiError("user_not_found")
        raw = _require(params, "view")
        if isinstance(raw, dict) and raw.get("type") != "home":
            raise _invalid("invalid_arguments", ["[ERROR] must be home [json-pointer:/view/type]"])
        view = self._view_arg(params)
        with ws.lock:
            current = ws.views.get(ws.home_views.get(user_id, ""))
            expected = params.get("hash")
            if expected and current is not None and expected != current.hash:
                raise ApiError("hash_conflict")
            if current is None:
                record = View(
                    id=ws.ids.new("V"),
                    user_id=user_id,
                    payload=view,
                    hash=ws.ids.view_hash(),
                    root_view_id="",
                    is_open=False,
                )
                record.root_view_id = record.id
                ws.views[record.id] = record
                ws.home_views[user_id] = record.id
            else:
                record = current
                record.payload = view
                record.hash = ws.ids.view_hash()
                record.updated_by_api = True
            record.history.append(ws.view_to_api(record))
        ws.notify()
        return {"view": ws.view_to_api(record)}

    # -- files -----------------------------------------------------------------

    def files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        file_id = str(params.get("file") or "")
        with ws.lock:
            f = ws.files.get(file_id)
            if f is None or not f.complete:
                raise ApiError("file_not_found")
            if not ws.file_visible_to_bot(f):
                raise ApiError("not_visible")
            return {
                "file": f.to_api(ws.root_url),
                "comments": [],
                "response_metadata": {"next_cursor": ""},
            }

    def files_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """``files.list``: the files the bot can see, newest first, filtered and paged.

        Arguments as docs.slack.dev/reference/methods/files.list and slack_sdk's
        ``WebClient.files_list`` name them: ``channel`` (files shared in that conversation),
        ``user``, ``types`` (comma-separated, from ``FILE_LIST_TYPES``; another is
        ``unknown_type``), ``ts_from``/``ts_to`` (inclusive), ``count`` and ``page`` (traditional
        paging: the answer's ``paging`` is ``{count, total, page, pages}``). A bot sees a file it
        uploaded, one attached in its forms, or one shared where it is a member (as files.info);
        newest first is how Slack lists them [uncertain: the docs say no order].
        """
        ws = self.ws
        types = {t for t in str(params.get("types") or "all").split(",") if t}
        if types - FILE_LIST_TYPES:
            raise ApiError("unknown_type")
        user = str(params.get("user") or "")
        if user and user not in ws.users:
            raise ApiError("user_not_found")
        try:
            count = int(params.get("count") or FILE_LIST_COUNT)
            page = int(params.get("page") or 1)
            ts_from = float(params.get("ts_from") or 0)
            ts_to = float(params.get("ts_to") or "inf")
        except ValueError as exc:
            raise _invalid(
                "invalid_arguments", ["[ERROR] count, page and ts_* are numbers"]
            ) from exc
        count, page = max(count, 1), max(page, 1)
        channel = str(params.get("channel") or "")
        with ws.lock:
            found = [
                f
                for f in ws.files.values()
                if f.complete
                and ws.file_visible_to_bot(f)
                and (not channel or channel in f.channels)
                and (not user or f.user_id == user)
                and ts_from <= f.created <= ts_to
                and ("all" in types or _file_list_type(f) in types)
            ]
            found.sort(key=lambda f: (f.created, f.id), reverse=True)
            listed = found[(page - 1) * count : page * count]
            return {
                "files": [f.to_api(ws.root_url) for f in listed],
                "paging": {
                    "count": count,
                    "total": len(found),
                    "page": page,
                    "pages": max(1, -(-len(found) // count)),
                },
            }

    def files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        filename = str(_require(params, "filename"))
        try:
            int(_require(params, "length"))
        except ValueError as exc:
            raise _invalid("invalid_arguments", ["[ERROR] length must be an integer"]) from exc
        f = ws.add_file(ws.bot_user_id, filename, b"", complete=False, uploaded=False)
        ticket = ws.ids.secret()
        with ws.lock:
            ws.upload_tickets[ticket] = f.id
        return {"upload_url": f"{ws.root_url}upload/v1/{ticket}", "file_id": f.id}

    def files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        files = _require(params, "files")
        if not isinstance(files, list) or not files:
            raise _invalid("invalid_arguments", ["[ERROR] files must be a JSON array"])
        channel_id = params.get("channel_id") or (
            str(params["channels"]).split(",")[0] if params.get("channels") else None
        )
        ch = self._channel_for_bot(channel_id, for_write=True) if channel_id else None
        out = []
        with ws.lock:
            records = []
            for item in files:
                f = ws.files.get(str(item.get("id") if isinstance(item, dict) else item))
                if f is None or f.complete or not f.uploaded:
                    raise ApiError("file_not_found")
                records.append((f, item))
            for f, item in records:
                f.complete = True
                if isinstance(item, dict) and item.get("title"):
                    f.title = str(item["title"])
                if ch is not None:
                    f.channels.append(ch.id)
                out.append(f.to_api(ws.root_url))
        if ch is not None:
            text = str(params.get("initial_comment") or "")
            body = ws.bot_message(text, None, ts="", files=out, upload=True)
            body.pop("ts")
            body["subtype"] = "file_share" if not text else body.get("subtype", "file_share")
            ws.add_message(
                ch.id,
                body,
                thread_ts=params.get("thread_ts") or None,
                source="files.completeUploadExternal",
            )
        ws.notify()
        return {"files": out}

    def files_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        raise ApiError("method_deprecated")

    # -- users -----------------------------------------------------------------

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        user = ws.users.get(str(params.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user.to_api(ws.clock())}

    def users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        email = str(_require(params, "email")).lower()
        for user in ws.users.values():
            if user.email and user.email.lower() == email:
                return {"user": user.to_api(ws.clock())}
        raise ApiError("users_not_found")

    def usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        include_users = _bool(params.get("include_users"))
        groups = []
        for g in ws.usergroups.values():
            item: dict[str, Any] = {
                "id": g.id,
                "team_id": ws.team_id,
                "name": g.name,
                "handle": g.handle,
                "user_count": len(g.users),
            }
            if include_users:
                item["users"] = list(g.users)
            groups.append(item)
        return {"usergroups": groups}

    def usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        group = ws.usergroups.get(str(params.get("usergroup") or ""))
        if group is None:
            raise ApiError("no_such_subteam")
        return {"users": list(group.users)}

    # -- conversations --------------------------------------------------------

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        return {"channel": ch.to_api()}

    def conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        if params.get("channel"):
            ch = self._channel_for_bot(params["channel"], for_write=False, allow_user_id=False)
            return {"channel": {"id": ch.id}}
        users = [u for u in str(_require(params, "users")).split(",") if u]
        if len(users) != 1:
            raise ApiError("not_supported", detail="the emulator opens 1:1 DMs only")
        if users[0] not in ws.users:
            raise ApiError("user_not_found")
        existed = any(c.is_im and c.im_user == users[0] for c in ws.channels.values())
        ch = ws.open_im(users[0])
        result: dict[str, Any] = {"channel": {"id": ch.id}}
        if existed:
            result.update(no_op=True, already_open=True)
        return result

    def conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = ws.resolve_channel(str(params.get("channel") or ""))
        if ch is None or ch.is_private or ch.is_im:
            raise ApiError(
                "channel_not_found"
                if ch is None or ch.is_private
                else "method_not_supported_for_channel_type"
            )
        if ch.is_archived:
            raise ApiError("is_archived")
        result: dict[str, Any] = {}
        if ch.bot_member:
            result = {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        ch.bot_member = True
        ws.notify()
        return {"channel": ch.to_api(), **result}

    def conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        if ch.is_im:
            members = [ch.im_user or ""]
        elif ch.members is None:
            members = sorted(
                u.id for u in ws.users.values() if not u.is_bot and u.team_id == ws.team_id
            )
        else:
            members = sorted(ch.members)
        if ch.bot_member and ws.bot_user_id not in members:
            members.append(ws.bot_user_id)
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _history_channel(self, params: dict[str, Any]) -> Channel:
        ch = self._channel_for_bot(params.get("channel"), for_write=False, allow_user_id=False)
        kind = "im" if ch.is_im else "private" if ch.is_private else "public"
        needed = HISTORY_SCOPES[kind]
        if needed not in self.ws.scopes:
            raise ApiError("missing_scope", needed=needed, provided=",".join(self.ws.scopes))
        if not ch.bot_member and not ch.is_im:
            raise ApiError("not_in_channel")
        return ch

    def _history_view(self, msg: Message, params: dict[str, Any]) -> dict[str, Any] | None:
        """A message as history shows it: ``metadata`` only with ``include_all_metadata``;
        ``oldest``/``latest`` bound the ts (exclusive unless ``inclusive``)."""
        ts = float(msg.ts)
        inclusive = _bool(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        if oldest not in (None, "") and (
            ts < float(oldest) or (ts == float(oldest) and not inclusive)
        ):
            return None
        if latest not in (None, "") and (
            ts > float(latest) or (ts == float(latest) and not inclusive)
        ):
            return None
        out = self.ws.render(msg)
        if not _bool(params.get("include_all_metadata")):
            out.pop("metadata", None)
        return out

    def conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._history_channel(params)
        limit = int(params.get("limit") or 100)
        with ws.lock:
            shown = [
                self._history_view(m, params)
                for m in ws.messages.get(ch.id, [])
                if not m.deleted
                and (m.thread_ts is None or m.current.get("subtype") == "thread_broadcast")
            ]
        msgs = [m for m in shown if m is not None]
        msgs.reverse()
        return {
            "messages": msgs[:limit],
            "has_more": len(msgs) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.ws
        ch = self._history_channel(params)
        ts = str(_require(params, "ts"))
        parent = ws.find_message(ch.id, ts)
        if parent is None or parent.deleted:
            raise ApiError("thread_not_found")
        with ws.lock:
            shown = [self._history_view(parent, {**params, "oldest": None, "latest": None})] + [
                self._history_view(m, params)
                for m in ws.messages.get(ch.id, [])
                if m.thread_ts == ts and not m.deleted
            ]
        msgs = [m for m in shown if m is not None]
        return {"messages": msgs, "has_more": False, "response_metadata": {"next_cursor": ""}}

    # -- acks / response_url (shared with the Socket Mode side) ----------------

    def validate_errors_ack(self, view: View, errors: Any) -> list[str]:
        """Slack only accepts ``errors`` keyed by input block ids of the submitted view."""
        if not isinstance(errors, dict) or not errors:
            return ["response_action errors needs a non-empty errors object"]
        allowed = input_block_ids(view.payload)
        return [
            f"errors key {k!r} is not an input block_id of the view"
            for k in errors
            if k not in allowed
        ]

    def respond(self, ru: Any, body: dict[str, Any]) -> tuple[int, str]:
        """Apply a POST to a ``response_url`` the way Slack does; return (status, text)."""
        ws = self.ws
        content = {k: body[k] for k in ("text", "blocks", "attachments") if k in body}
        if content.get("blocks") is not None:
            problems = validate_blocks(content["blocks"], surface="message")
            if problems:
                ws.problem(f"response_url: invalid_blocks {problems}")
                return 400, "invalid_blocks"
            content["blocks"] = normalize_blocks(content["blocks"])
        original: Message | None = ru.original
        if ru.kind == "commands" and (
            _bool(body.get("replace_original")) or _bool(body.get("delete_original"))
        ):
            # A slash command's response_url cannot replace or delete the message it answered
            # (its ephemeral ack, or one it posted itself): Slack posts the reply as a new
            # message [P: bolt-python#1268 (Slack staff), bolt-js#2287]. Only a response_url of
            # an interaction on a message (block_actions) can change that message.
            ws.problem(
                "response_url of a slash command: replace_original/delete_original is not "
                "supported there; Slack posted the reply as a new message"
            )
            original = None
            body = {
                k: v for k, v in body.items() if k not in ("replace_original", "delete_original")
            }
        if _bool(body.get("delete_original")):
            if original is not None:
                ws.delete_message(original)
            return 200, "ok"
        if _bool(body.get("replace_original")) and original is not None:
            if not content:
                return 400, "no_text"
            ws.edit_message(original, content, editor=ws.bot_user_id)
            return 200, "ok"
        if not content.get("text") and not content.get("blocks") and not content.get("attachments"):
            return 400, "no_text"
        message = ws.bot_message(
            content.get("text", ""),
            content.get("blocks"),
            ts="",
            attachments=content.get("attachments"),
        )
        message.pop("ts")
        if body.get("response_type") == "in_channel" and ru.channel_id:
            ru.original = ws.add_message(
                ru.channel_id, message, thread_ts=body.get("thread_ts"), source="response_url"
            )
        else:
            ru.original = ws.add_ephemeral(
                ru.channel_id, ru.user_id, message, source="response_url"
            )
        return 200, "ok"
