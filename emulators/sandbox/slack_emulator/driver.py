"""The test-user side: act as people in Slack and wait for what the app does in response.

Every action goes through the same path as on Slack: a payload is built (``payloads``), sent
as a Socket Mode envelope, the app's ack is awaited, and the ack is applied the way Slack
applies it (a slash-command reply becomes an ephemeral or channel message; a
``view_submission`` ack closes, errors, updates, pushes or clears the modal). Actions a real
user could not take raise instead: clicking a button that is not on the message, submitting a
modal that is not on top of the stack or whose required fields are empty (``UIValidationError``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .blockkit import normalize_blocks, validate_blocks, validate_view
from .methods import MAX_VIEW_STACK, WebApi
from .payloads import (
    STATEFUL,
    UIValidationError,
    action_for,
    block_actions_message,
    block_actions_view,
    event_callback,
    fill,
    find_element,
    is_raw_values,
    iter_elements,
    slash_command,
    state_entry,
    ui_check,
    view_closed,
    view_state_values,
    view_submission,
)
from .socket_mode import Envelope, SocketModeServer
from .state import Message, ResponseUrl, Trigger, View, Workspace

T = TypeVar("T")


class UserDriver:
    """Mixin for ``SlackEmulator``: user actions, waits and inspection helpers."""

    ws: Workspace
    api: WebApi
    socket: SocketModeServer
    subscribed_events: set[str]
    home_tab_enabled: bool

    # -- plumbing ------------------------------------------------------------

    def _wait_timeout(self, timeout: float | None) -> float:
        if timeout is not None:
            return timeout
        s = self.socket
        return s.dispatch_timeout + s.ack_timeout * (s.max_retries + 1) + 1.0

    def _issue_trigger(self, user_id: str, view_id: str | None = None) -> str:
        ws = self.ws
        trigger_id = ws.ids.trigger_id(ws.team_num)
        with ws.lock:
            ws.triggers[trigger_id] = Trigger(
                id=trigger_id, user_id=user_id, issued_at=ws.clock(), view_id=view_id
            )
        return trigger_id

    def _issue_response_url(
        self, kind: str, user_id: str, channel_id: str | None, original: Message | None = None
    ) -> ResponseUrl:
        ws = self.ws
        rid = ws.ids.new("R")
        path = f"/hooks/{kind}/{ws.team_id}/{rid}/{ws.ids.secret(12)}"
        ru = ResponseUrl(
            id=rid,
            path=path,
            kind=kind,
            user_id=user_id,
            channel_id=channel_id,
            issued_at=ws.clock(),
            original=original,
        )
        with ws.lock:
            ws.response_urls[path] = ru
        return ru

    def _response_url(self, ru: ResponseUrl) -> str:
        return self.ws.root_url.rstrip("/") + ru.path

    def handle_response_url(self, path: str, body: dict[str, Any]) -> tuple[int, str]:
        """A POST to a response_url: Slack allows 5 uses within 30 minutes."""
        ws = self.ws
        with ws.lock:
            ru = ws.response_urls.get(path)
            record = {
                "url": ws.root_url.rstrip("/") + path,
                "body": copy.deepcopy(body),
                "user": ru.user_id if ru else None,
                "channel": ru.channel_id if ru else None,
            }
            ws.responses.append(record)
            if ru is None:
                record["status"] = 404
                ws.problem(f"response_url {path} is unknown")
                return 404, "no_service"
            if ws.clock() - ru.issued_at > ws.response_url_ttl:
                record["status"] = 404
                ws.problem(f"response_url {path} expired")
                return 404, "expired_url"
            if ru.uses >= ws.response_url_max_uses:
                record["status"] = 404
                ws.problem(f"response_url {path} used more than {ws.response_url_max_uses} times")
                return 404, "used_url"
            ru.uses += 1
            status, text = self.api.respond(ru, body)
            record["status"] = status
        ws.notify()
        return status, text

    def _deliver(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        accepts: bool,
        on_ack: Callable[[Envelope], None] | None,
        timeout: float | None,
    ) -> dict[str, Any] | None:
        env = self.socket.submit(type_, payload, accepts_response_payload=accepts, on_ack=on_ack)
        return env.wait(self._wait_timeout(timeout))

    def _member_check(self, user_id: str, channel_id: str) -> None:
        self.ws.user(user_id)
        ch = self.ws.channel(channel_id)
        if not ch.has_member(user_id):
            raise UIValidationError(f"{user_id} is not a member of {channel_id}")

    # -- slash commands ------------------------------------------------------

    def slash_command(
        self, user: str, channel: str, command: str, text: str = "", timeout: float | None = None
    ) -> dict[str, Any] | None:
        """Type ``/command text`` in ``channel``; return the app's ack payload (None if bare)."""
        if not command.startswith("/"):
            raise ValueError("command must start with '/'")
        channel = self._cid(channel)
        self._member_check(user, channel)
        ws = self.ws
        ru = self._issue_response_url("commands", user, channel)
        payload = slash_command(
            ws,
            user_id=user,
            channel_id=channel,
            command=command,
            text=text,
            response_url=self._response_url(ru),
            trigger_id=self._issue_trigger(user),
        )

        def on_ack(env: Envelope) -> None:
            body = env.ack_payload or {}
            if not any(body.get(k) for k in ("text", "blocks", "attachments")):
                return
            if body.get("blocks") is not None:
                problems = validate_blocks(body["blocks"], surface="message")
                if problems:
                    ws.problem(f"{command} ack: invalid_blocks {problems}")
                    return
            message = ws.bot_message(
                str(body.get("text", "")),
                normalize_blocks(body["blocks"]) if body.get("blocks") else None,
                ts="",
            )
            message.pop("ts")
            if body.get("response_type") == "in_channel":
                reply = ws.add_message(channel, message, source="ack")
            else:
                reply = ws.add_ephemeral(channel, user, message, source="ack")
            # a respond() racing ahead of the ack frame already made its own "original"
            ru.original = ru.original or reply

        return self._deliver(
            "slash_commands", payload, accepts=True, on_ack=on_ack, timeout=timeout
        )

    # -- files ----------------------------------------------------------------

    def upload_file(
        self,
        user: str,
        filename: str,
        content: bytes | None = None,
        *,
        path: str | Path | None = None,
        filetype: str | None = None,
        mimetype: str | None = None,
        title: str | None = None,
        channel: str | None = None,
    ) -> str:
        """Upload a file as ``user``; return its ``F…`` id.

        Without ``channel`` the file is attached in one of the app's forms (a ``file_input``),
        which the app may read. With ``channel`` it is shared in that channel only, and the app
        sees it only if it is a member there (files.info answers ``not_visible`` otherwise).
        """
        self.ws.user(user)
        if (content is None) == (path is None):
            raise ValueError("pass exactly one of content= or path=")
        data = content if content is not None else Path(path).read_bytes()  # type: ignore[arg-type]
        f = self.ws.add_file(
            user, filename, data, title=title, filetype=filetype, mimetype=mimetype
        )
        if channel is not None:
            with self.ws.lock:
                f.shared_with_app = False
                f.channels.append(self._cid(channel))
        return f.id

    def serve_sign_in_page(self, file_id: str) -> None:
        """Answer downloads of this file the way Slack answers a token that cannot read it:
        a redirect to the workspace's sign-in page (HTML, HTTP 200), not an error."""
        with self.ws.lock:
            self.ws.sign_in_page_files.add(file_id)

    @property
    def downloads(self) -> list[dict[str, Any]]:
        """Every request to the file host: path, status, Host header, whether it had the token."""
        return self.file_downloads()  # type: ignore[attr-defined, no-any-return]

    def _file_object(self, file_id: str) -> dict[str, Any]:
        with self.ws.lock:
            f = self.ws.files.get(file_id)
            if f is None:
                raise LookupError(f"unknown file {file_id!r}; upload it with emu.upload_file()")
            return f.to_api(self.ws.root_url)

    # -- modals ---------------------------------------------------------------

    def _view_for(self, view: dict[str, Any] | str) -> View:
        view_id = view if isinstance(view, str) else view["id"]
        with self.ws.lock:
            if view_id not in self.ws.views:
                raise LookupError(f"unknown view {view_id!r}")
            return self.ws.views[view_id]

    def _visible_view(self, user: str, view_id: str) -> View:
        record = self._view_for(view_id)
        top = self.ws.top_view(user)
        if top is None or top.id != view_id:
            raise UIValidationError(f"view {view_id} is not the modal {user} currently sees")
        return record

    def view(self, view_id: str) -> dict[str, Any]:
        """The view as the app last set it, with the user's current input in ``state``."""
        record = self._view_for(view_id)
        with self.ws.lock:
            out = self.ws.view_to_api(record, with_state=True)
            out["errors"] = copy.deepcopy(record.errors)
            out["is_open"] = record.is_open
        return out

    def views(self, user: str) -> list[dict[str, Any]]:
        """The user's modal stack, bottom first."""
        return [self.view(v.id) for v in self.ws.stack(user)]

    def view_history(self, view_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._view_for(view_id).history)

    def wait_for_view(
        self,
        user: str,
        timeout: float = 5,
        *,
        callback_id: str | None = None,
        after: dict[str, Any] | str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Wait for the modal on top of ``user``'s stack.

        ``after`` (a view dict or hash) waits for a newer version than that one, e.g. after an
        async ``views.update``; ``callback_id``/``predicate`` narrow which view counts.
        """
        stale_hash = after.get("hash") if isinstance(after, dict) else after

        def probe() -> dict[str, Any] | None:
            top = self.ws.top_view(user)
            if top is None:
                return None
            current = self.view(top.id)
            if callback_id is not None and current["callback_id"] != callback_id:
                return None
            if stale_hash is not None and current["hash"] == stale_hash:
                return None
            if predicate is not None and not predicate(current):
                return None
            return current

        return self.wait_until(probe, timeout=timeout, message=f"no matching modal for {user}")

    def fill(self, view: dict[str, Any] | str, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Plain values -> ``state.values`` entries, element types taken from the view's blocks."""
        record = self._view_for(view)
        return fill(record.payload.get("blocks", []), values, self._file_object)

    def submit_view(
        self,
        user: str,
        view_id: str,
        values: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        enforce_ui: bool = True,
    ) -> dict[str, Any] | None:
        """Press the modal's submit button; return the ack payload (None: modal closed).

        ``values`` may be raw ``{block_id: {action_id: {"type": …}}}`` or plain values as
        accepted by ``fill``; they are merged over what the user already entered.
        """
        ws = self.ws
        record = self._visible_view(user, view_id)
        if not record.payload.get("submit"):
            raise UIValidationError(f"view {view_id} has no submit button")
        if values:
            raw = values if is_raw_values(values) else self.fill(view_id, values)
            with ws.lock:
                for bid, actions in raw.items():
                    record.draft.setdefault(bid, {}).update(copy.deepcopy(actions))
        if enforce_ui:
            with ws.lock:
                problems = ui_check(record.payload, view_state_values(record), ws.files)
            if problems:
                raise UIValidationError("; ".join(problems))
        payload = view_submission(
            ws, user_id=user, view=record, trigger_id=self._issue_trigger(user, view_id)
        )
        with ws.lock:
            record.errors = None

        def on_ack(env: Envelope) -> None:
            self._apply_view_ack(user, record, env.ack_payload or {})

        return self._deliver("interactive", payload, accepts=True, on_ack=on_ack, timeout=timeout)

    def _apply_view_ack(self, user: str, record: View, body: dict[str, Any]) -> None:
        ws = self.ws
        action = body.get("response_action")
        if action is None:
            top = ws.top_view(user)
            if top is not None and top.id == record.id:
                ws.close_views(user, all_views=False)
            return
        if action == "errors":
            problems = self.api.validate_errors_ack(record, body.get("errors"))
            if problems:
                ws.problem(f"view_submission ack rejected by Slack: {problems}")
                return
            with ws.lock:
                record.errors = dict(body["errors"])
            ws.notify()
        elif action in ("update", "push"):
            new_view = body.get("view")
            problems = validate_view(new_view, pointer="/view")
            if problems:
                ws.problem(f"view_submission ack {action}: invalid view {problems}")
                return
            new_view = copy.deepcopy(new_view)
            new_view["blocks"] = normalize_blocks(new_view.get("blocks", []))
            if action == "update":
                self.api.replace_view(record, new_view)
            elif len(ws.stack(user)) >= MAX_VIEW_STACK:
                ws.problem("view_submission ack push: push_limit_reached")
            else:
                self.api.push_view(user, new_view)
        elif action == "clear":
            ws.close_views(user, all_views=True)
        else:
            ws.problem(f"view_submission ack: unknown response_action {action!r}")

    def close_view(
        self, user: str, view_id: str, timeout: float | None = None
    ) -> dict[str, Any] | None:
        """Press Cancel/X. Sends ``view_closed`` only if the view set ``notify_on_close``."""
        ws = self.ws
        record = self._visible_view(user, view_id)
        clear = bool(record.payload.get("clear_on_close"))
        ws.close_views(user, all_views=clear)
        if not record.payload.get("notify_on_close"):
            return None
        payload = view_closed(ws, user_id=user, view=record, is_cleared=clear)
        return self._deliver("interactive", payload, accepts=False, on_ack=None, timeout=timeout)

    def select_option(
        self,
        user: str,
        view_id: str,
        block_id: str,
        action_id: str,
        value: Any,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Change an element inside a modal (select, date, checkbox…).

        Slack sends ``block_actions`` only for elements outside input blocks or in input blocks
        with ``dispatch_action: true``; otherwise the choice is just kept in the view state
        and None is returned without contacting the app.
        """
        ws = self.ws
        record = self._visible_view(user, view_id)
        block, element = find_element(record.payload.get("blocks", []), block_id, action_id)
        if element.get("type") not in STATEFUL:
            raise UIValidationError(f"{action_id} is a {element.get('type')}, not a choice element")
        entry = state_entry(element, value, self._file_object)
        with ws.lock:
            record.draft.setdefault(block_id, {})[action_id] = entry
        ws.notify()
        if block.get("type") == "input" and not block.get("dispatch_action"):
            return None
        action = action_for(element, block_id, ws.ids.ts(), entry)
        payload = block_actions_view(
            ws,
            user_id=user,
            view=record,
            action=action,
            trigger_id=self._issue_trigger(user, view_id),
        )
        return self._deliver("interactive", payload, accepts=False, on_ack=None, timeout=timeout)

    def click_view_button(
        self,
        user: str,
        view_id: str,
        action_id: str,
        *,
        block_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        record = self._visible_view(user, view_id)
        return self._click_in_view(user, record, action_id, block_id, timeout, modal=True)

    def _click_in_view(
        self,
        user: str,
        record: View,
        action_id: str,
        block_id: str | None,
        timeout: float | None,
        *,
        modal: bool,
    ) -> dict[str, Any] | None:
        ws = self.ws
        block, element = find_element(record.payload.get("blocks", []), block_id, action_id)
        if element.get("type") != "button":
            raise UIValidationError(f"{action_id} is not a button")
        action = action_for(element, block["block_id"], ws.ids.ts())
        payload = block_actions_view(
            ws,
            user_id=user,
            view=record,
            action=action,
            # A modal's trigger can push onto its stack; a Home tab's opens a new modal.
            trigger_id=self._issue_trigger(user, record.id if modal else None),
        )
        return self._deliver("interactive", payload, accepts=False, on_ack=None, timeout=timeout)

    # -- App Home -------------------------------------------------------------

    def open_app_home(self, user: str, *, tab: str = "home") -> Envelope | None:
        """``user`` clicks the app in the sidebar: ``app_home_opened`` goes out if subscribed.

        The event carries the user's DM with the app as ``channel`` and, once a Home view was
        published, that ``view`` (docs.slack.dev/reference/events/app_home_opened). Without
        ``features.app_home.home_tab_enabled`` in the manifest there is no Home tab to open.
        Returns the envelope, or None when the app does not subscribe to the event.
        """
        ws = self.ws
        if tab == "home" and not self.home_tab_enabled:
            raise UIValidationError("the app has no Home tab (features.app_home.home_tab_enabled)")
        if user not in ws.users:
            raise UIValidationError(f"unknown user {user}")
        dm = ws.open_im(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm.id,
            "tab": tab,
            "event_ts": ws.ids.ts(),
        }
        with ws.lock:
            published = ws.views.get(ws.home_views.get(user, ""))
            if published is not None and tab == "home":
                event["view"] = ws.view_to_api(published)
        if "app_home_opened" not in self.subscribed_events:
            return None
        return self.send_event(event)

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab ``user`` sees now (the last ``views.publish`` for them), or None."""
        with self.ws.lock:
            view_id = self.ws.home_views.get(user)
        return self.view(view_id) if view_id else None

    def wait_for_home(
        self,
        user: str,
        *,
        after: dict[str, Any] | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5,
    ) -> dict[str, Any]:
        """Wait for ``user``'s Home tab: published, newer than ``after``, matching ``predicate``."""
        stale = after.get("hash") if after else None

        def probe() -> dict[str, Any] | None:
            view = self.home_view(user)
            if view is None or (stale is not None and view["hash"] == stale):
                return None
            return view if predicate is None or predicate(view) else None

        return self.wait_until(probe, timeout=timeout, message=f"no matching Home tab for {user}")

    def click_home_button(
        self,
        user: str,
        action_id: str,
        *,
        block_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Click a button on ``user``'s Home tab (a ``block_actions`` with a ``view`` container)."""
        with self.ws.lock:
            view_id = self.ws.home_views.get(user)
        if view_id is None:
            raise UIValidationError(f"{user} has no Home tab published")
        record = self._view_for(view_id)
        return self._click_in_view(user, record, action_id, block_id, timeout, modal=False)

    # -- messages -------------------------------------------------------------

    def click_button(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Click a button on a message (channel or ephemeral) as ``user``; return the ack payload."""
        channel = self._cid(channel)
        ws = self.ws
        ws.user(user)
        msg = ws.find_message(channel, message_ts)
        is_ephemeral = False
        if msg is None:
            msg = ws.find_ephemeral(user, message_ts)
            is_ephemeral = msg is not None
        if msg is None or msg.deleted:
            raise LookupError(f"no message {message_ts} in {channel} visible to {user}")
        if not is_ephemeral:
            self._member_check(user, channel)
        with ws.lock:
            current = copy.deepcopy(msg.current)
        buttons = [
            (b, e)
            for b, e in iter_elements(current.get("blocks") or [])
            if e.get("type") == "button"
            and e.get("action_id") == action_id
            and (value is None or e.get("value") == value)
            and (block_id is None or b.get("block_id") == block_id)
        ]
        if not buttons:
            raise LookupError(
                f"message {message_ts} has no button action_id={action_id!r} value={value!r}"
            )
        block, element = buttons[0]
        ru = self._issue_response_url("actions", user, channel, original=msg)
        action = action_for(element, block["block_id"], ws.ids.ts())
        payload = block_actions_message(
            ws,
            user_id=user,
            channel_id=channel,
            message=current,
            is_ephemeral=is_ephemeral,
            action=action,
            trigger_id=self._issue_trigger(user),
            response_url=self._response_url(ru),
        )
        return self._deliver("interactive", payload, accepts=False, on_ack=None, timeout=timeout)

    def post_user_message(
        self, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> str:
        """A person writes in a channel; subscribed events (``message``/``app_mention``) go out."""
        ws = self.ws
        self._member_check(user, channel)
        content = {
            "type": "message",
            "text": text,
            "user": user,
            "team": ws.user(user).team_id,
            "client_msg_id": ws.ids.secret(8),
        }
        msg = ws.add_message(channel, content, thread_ts=thread_ts, source="user")
        event = dict(
            copy.deepcopy(msg.current),
            channel=channel,
            event_ts=msg.ts,
            channel_type="im" if ws.channel(channel).is_im else "channel",
        )
        if "message" in self.subscribed_events:
            self.send_event(dict(event))
        if f"<@{ws.bot_user_id}>" in text and "app_mention" in self.subscribed_events:
            self.send_event(dict(event, type="app_mention"))
        return msg.ts

    def send_event(self, event: dict[str, Any]) -> Envelope:
        """Deliver an Events API event; returns the envelope (``.wait(t)`` for the ack)."""
        ws = self.ws
        payload = event_callback(ws, event, ws.ids.new("Ev"))
        return self.socket.submit("events_api", payload, accepts_response_payload=False)

    # -- inspection -------------------------------------------------------------

    def _cid(self, channel: str) -> str:
        """Accept a user id for "the bot's DM with that user", as chat.postMessage does."""
        with self.ws.lock:
            if channel not in self.ws.channels and channel in self.ws.users:
                return self.ws.open_im(channel).id
        return channel

    def messages(self, channel: str, *, include_replies: bool = False) -> list[dict[str, Any]]:
        """Current version of each message, oldest first (top-level only, like the channel)."""
        channel = self._cid(channel)
        ws = self.ws
        with ws.lock:
            return [
                ws.render(m)
                for m in ws.messages.get(channel, [])
                if not m.deleted
                and (
                    include_replies
                    or m.thread_ts is None
                    or m.current.get("subtype") == "thread_broadcast"
                )
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        channel = self._cid(channel)
        msg = self.ws.find_message(channel, ts)
        if msg is None:
            raise LookupError(f"no message {ts} in {channel}")
        with self.ws.lock:
            return dict(self.ws.render(msg), deleted=msg.deleted)

    def message_history(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Every version of one message: as posted, then after each update."""
        channel = self._cid(channel)
        msg = self.ws.find_message(channel, ts)
        if msg is None:
            raise LookupError(f"no message {ts} in {channel}")
        with self.ws.lock:
            return copy.deepcopy(msg.versions)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Parent then replies, like conversations.replies."""
        channel = self._cid(channel)
        ws = self.ws
        parent = ws.find_message(channel, ts)
        if parent is None:
            raise LookupError(f"no message {ts} in {channel}")
        with ws.lock:
            replies = [
                ws.render(m)
                for m in ws.messages.get(channel, [])
                if m.thread_ts == ts and not m.deleted
            ]
            return [ws.render(parent), *replies]

    def ephemerals(self, user: str) -> list[dict[str, Any]]:
        """Ephemeral messages ``user`` can see (chat.postEphemeral, command acks, response_url)."""
        ws = self.ws
        with ws.lock:
            return [
                dict(copy.deepcopy(m.current), channel=m.channel, source=m.source)
                for m in ws.ephemerals
                if m.ephemeral_user == user and not m.deleted
            ]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Every POST the app made to a response_url, with the status Slack answered."""
        with self.ws.lock:
            return copy.deepcopy(self.ws.responses)

    @property
    def problems(self) -> list[str]:
        """Things Slack would have rejected or shown the user as errors (late acks, bad acks…)."""
        with self.ws.lock:
            return list(self.ws.problems)

    def wait_until(
        self,
        predicate: Callable[[], T],
        timeout: float = 10,
        interval: float = 0.02,
        message: str | None = None,
    ) -> T:
        """Poll ``predicate`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(message or f"condition not met within {timeout}s")
            with self.ws.changed:
                self.ws.changed.wait(min(interval, remaining))
