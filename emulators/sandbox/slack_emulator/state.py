"""The emulated workspace: users, channels, messages (with every version), views, files.

One ``Workspace`` is shared by the HTTP Web API threads, the Socket Mode event loop and the
test thread, so every read and write goes through one re-entrant lock; ``changed`` (a
condition on that lock) is notified on each mutation so waiters wake without busy polling.
Records keep the raw Slack-shaped dicts so that what tests read back is what the bot sent,
after Slack's own normalisation (generated block/action ids, ``edited`` stamps, thread fields).
"""

from __future__ import annotations

import copy
import datetime as dt
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .ids import IdFactory
from .manifest import manifest_scopes

# What the app is installed with: the manifest's bot scopes, nothing more.
DEFAULT_SCOPES = manifest_scopes()

PRETTY_TYPES = {
    "mp4": "MPEG 4 Video",
    "mov": "QuickTime Movie",
    "webm": "WebM",
    "png": "PNG",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "pdf": "PDF",
    "csv": "CSV",
    "text": "Plain Text",
    "json": "JSON",
    "zip": "Zip",
    "binary": "Binary",
}


def _tz_fields(tz: str, now: float) -> tuple[str, int]:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    moment = dt.datetime.fromtimestamp(now, zone)
    offset = moment.utcoffset() or dt.timedelta()
    return moment.tzname() or tz, int(offset.total_seconds())


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str
    team_id: str
    is_bot: bool = False
    email: str | None = None
    deleted: bool = False

    def to_api(self, now: float) -> dict[str, Any]:
        tz_label, tz_offset = _tz_fields(self.tz, now)
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": self.team_id,
        }
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now),
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    members: set[str] | None = None  # None: every user of the workspace is a member
    bot_member: bool = True
    is_archived: bool = False
    created: int = 0

    def has_member(self, user_id: str) -> bool:
        if self.is_im:
            return user_id == self.im_user
        return self.members is None or user_id in self.members

    def to_api(self) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot_member,
            "created": self.created,
        }


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    users: list[str]


@dataclass
class Message:
    """One message and every version of it (post, each chat.update / replace_original)."""

    channel: str
    ts: str
    versions: list[dict[str, Any]]
    thread_ts: str | None = None
    deleted: bool = False
    ephemeral_user: str | None = None  # set for ephemeral messages (only that user sees them)
    source: str = "chat.postMessage"

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]


@dataclass
class View:
    id: str
    user_id: str
    payload: dict[str, Any]  # the view as the app sent it, with generated ids filled in
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    is_open: bool = True
    draft: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    updated_by_api: bool = False  # the app replaced it with views.update at least once

    @property
    def external_id(self) -> str:
        return str(self.payload.get("external_id") or "")


@dataclass
class File:
    id: str
    user_id: str
    team_id: str
    name: str
    title: str
    filetype: str
    mimetype: str
    content: bytes
    created: int
    channels: list[str] = field(default_factory=list)
    complete: bool = True  # False between files.getUploadURLExternal and completeUploadExternal
    uploaded: bool = True  # False until the bytes were POSTed to the upload_url
    # Attached in a form of this app (file_input) or uploaded by the bot: the app may read it.
    # Otherwise only where it is shared (``channels``) in a channel the bot is a member of.
    shared_with_app: bool = True

    def to_api(self, root_url: str) -> dict[str, Any]:
        name = quote(self.name)
        base = f"{root_url}files-pri/{self.team_id}-{self.id}"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "filetype": self.filetype,
            "pretty_type": PRETTY_TYPES.get(self.filetype, self.filetype.upper()),
            "user": self.user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(self.content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(self.channels),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{name}",
            "url_private_download": f"{base}/download/{name}",
            "permalink": f"{root_url}files/{self.user_id}/{self.id}/{name}",
            "permalink_public": f"{root_url}{self.team_id}-{self.id}-public",
            "has_rich_preview": False,
            "file_access": "visible",
            "channels": list(self.channels),
            "groups": [],
            "ims": [],
        }


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: float
    used: bool = False
    view_id: str | None = None  # set when the interaction happened inside a modal


@dataclass
class ResponseUrl:
    id: str
    path: str
    kind: str  # "commands" | "actions"
    user_id: str
    channel_id: str | None
    issued_at: float
    original: Message | None = None
    uses: int = 0


def guess_filetype(filename: str, mimetype: str | None) -> tuple[str, str]:
    """Slack's ``filetype`` is the lower-case extension; ``mimetype`` is guessed from it."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "binary"
    if ext == "txt":
        ext = "text"
    mime = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return ext, mime


class Workspace:
    """All Slack-side state for one emulated workspace plus the app installed in it."""

    def __init__(
        self,
        *,
        team_id: str,
        clock: Callable[[], float],
        bot_token: str,
        app_token: str,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = clock
        self.ids = IdFactory(clock)
        self.team_id = team_id
        self.team_name = "AdBee Emulated"
        self.domain = "adbee-emu"
        self.enterprise_id: str | None = None
        self.app_id = "A0EMUADBEE"
        self.bot_user_id = "U0EMUADBEE"
        self.bot_id = "B0EMUADBEE"
        self.bot_name = "adbee"
        self.bot_token = bot_token
        self.app_token = app_token
        self.verification_token = "emu-verification"
        self.scopes: tuple[str, ...] = tuple(scopes)
        self.root_url = "http://127.0.0.1/"  # replaced with the real address on start
        self.trigger_ttl = 3.0
        self.response_url_ttl = 30 * 60.0
        self.response_url_max_uses = 5

        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Message] = []
        self.views: dict[str, View] = {}
        self.view_stacks: dict[str, list[str]] = {}
        # user id -> the id of their published Home tab view (views.publish); one per user
        self.home_views: dict[str, str] = {}
        self.files: dict[str, File] = {}
        self.upload_tickets: dict[str, str] = {}  # ticket -> file id (files.getUploadURLExternal)
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.responses: list[dict[str, Any]] = []
        self.problems: list[str] = []
        # File downloads: how Slack's file host answers, and every request it got.
        self.download_redirect = True  # url_private_download answers 302 to the file host
        self.download_redirect_base: str | None = None  # e.g. another host; None: root_url
        self.sign_in_page_files: set[str] = set()  # downloads answered with the sign-in page
        # Slack sometimes leaves inputs the user did not touch out of state.values after a
        # views.update that set their initial values [P: bolt-js#1258, bolt-python#572].
        self.omit_untouched_after_update = False

        self.users[self.bot_user_id] = User(
            id=self.bot_user_id,
            name=self.bot_name,
            real_name="AdBee",
            tz="UTC",
            team_id=team_id,
            is_bot=True,
        )

    # -- helpers -------------------------------------------------------------

    @property
    def team_num(self) -> int:
        return sum(ord(c) for c in self.team_id)

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def problem(self, text: str) -> None:
        """Record something Slack would have refused or shown as an error to the user."""
        with self.lock:
            self.problems.append(text)
        self.notify()

    def user(self, user_id: str) -> User:
        with self.lock:
            if user_id not in self.users:
                raise KeyError(f"unknown user {user_id!r}; add it with emu.add_user()")
            return self.users[user_id]

    def channel(self, channel_id: str) -> Channel:
        with self.lock:
            if channel_id not in self.channels:
                raise KeyError(f"unknown channel {channel_id!r}; add it with emu.add_channel()")
            return self.channels[channel_id]

    def resolve_channel(self, ref: str) -> Channel | None:
        """Channel by id, by ``#name``/name, or the DM with a user id (as chat.postMessage does)."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            name = ref.lstrip("#")
            for ch in self.channels.values():
                if not ch.is_im and ch.name == name:
                    return ch
            if ref in self.users and not self.users[ref].is_bot:
                return self.open_im(ref)
            return None

    def open_im(self, user_id: str) -> Channel:
        with self.lock:
            for ch in self.channels.values():
                if ch.is_im and ch.im_user == user_id:
                    return ch
            ch = Channel(
                id=self.ids.new("D"),
                name=user_id,
                is_im=True,
                im_user=user_id,
                created=int(self.clock()),
            )
            self.channels[ch.id] = ch
            self.messages.setdefault(ch.id, [])
            return ch

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            for msg in self.messages.get(channel_id, []):
                if msg.ts == ts:
                    return msg
            return None

    def find_ephemeral(self, user_id: str, ts: str) -> Message | None:
        with self.lock:
            for msg in self.ephemerals:
                if msg.ephemeral_user == user_id and msg.ts == ts:
                    return msg
            return None

    # -- messages ------------------------------------------------------------

    def bot_message(
        self, text: str, blocks: list[Any] | None, ts: str, **extra: Any
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message",
            "text": text,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": "AdBee",
                "team_id": self.team_id,
                "deleted": False,
            },
        }
        if blocks is not None:
            msg["blocks"] = blocks
        msg.update({k: v for k, v in extra.items() if v is not None})
        return msg

    def add_message(
        self,
        channel_id: str,
        content: dict[str, Any],
        *,
        thread_ts: str | None = None,
        source: str = "chat.postMessage",
    ) -> Message:
        with self.lock:
            ts = content.get("ts") or self.ids.ts()
            content = dict(content, ts=ts)
            if thread_ts:
                content["thread_ts"] = thread_ts
            msg = Message(
                channel=channel_id, ts=ts, versions=[content], thread_ts=thread_ts, source=source
            )
            self.messages.setdefault(channel_id, []).append(msg)
        self.notify()
        return msg

    def add_ephemeral(
        self, channel_id: str | None, user_id: str, content: dict[str, Any], *, source: str
    ) -> Message:
        with self.lock:
            ts = self.ids.ts()
            content = dict(content, ts=ts)
            msg = Message(
                channel=channel_id or "",
                ts=ts,
                versions=[content],
                ephemeral_user=user_id,
                source=source,
            )
            self.ephemerals.append(msg)
        self.notify()
        return msg

    def edit_message(self, msg: Message, changes: dict[str, Any], *, editor: str) -> dict[str, Any]:
        with self.lock:
            new = copy.deepcopy(msg.current)
            for key in ("text", "blocks", "attachments", "files", "metadata"):
                if key in changes:
                    if changes[key] is None:
                        new.pop(key, None)
                    else:
                        new[key] = changes[key]
            if msg.ephemeral_user is None:
                new["edited"] = {"user": editor, "ts": self.ids.ts()}
            msg.versions.append(new)
        self.notify()
        return new

    def delete_message(self, msg: Message) -> None:
        with self.lock:
            msg.deleted = True
        self.notify()

    def thread_fields(self, msg: Message) -> dict[str, Any]:
        """``reply_count``/``latest_reply``/``reply_users`` the way conversations.history shows them."""
        with self.lock:
            replies = [
                m
                for m in self.messages.get(msg.channel, [])
                if m.thread_ts == msg.ts and not m.deleted
            ]
            if not replies:
                return {}
            users = sorted({m.current.get("user", "") for m in replies})
            return {
                "thread_ts": msg.ts,
                "reply_count": len(replies),
                "reply_users": users,
                "reply_users_count": len(users),
                "latest_reply": replies[-1].ts,
            }

    def render(self, msg: Message) -> dict[str, Any]:
        out = copy.deepcopy(msg.current)
        if msg.thread_ts is None:
            out.update(self.thread_fields(msg))
        return out

    # -- views ---------------------------------------------------------------

    def view_to_api(self, view: View, *, with_state: bool = False) -> dict[str, Any]:
        p = view.payload
        from .payloads import view_state_values  # local import: payloads depends on state

        return {
            "id": view.id,
            "team_id": self.team_id,
            "type": p.get("type", "modal"),
            "blocks": copy.deepcopy(p.get("blocks", [])),
            "private_metadata": p.get("private_metadata", "") or "",
            "callback_id": p.get("callback_id", "") or "",
            "state": {"values": view_state_values(view) if with_state else {}},
            "hash": view.hash,
            "title": copy.deepcopy(p.get("title")),
            "clear_on_close": bool(p.get("clear_on_close", False)),
            "notify_on_close": bool(p.get("notify_on_close", False)),
            "close": copy.deepcopy(p.get("close")),
            "submit": copy.deepcopy(p.get("submit")),
            "previous_view_id": view.previous_view_id,
            "root_view_id": view.root_view_id,
            "app_id": self.app_id,
            "external_id": view.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def stack(self, user_id: str) -> list[View]:
        with self.lock:
            return [self.views[v] for v in self.view_stacks.get(user_id, [])]

    def top_view(self, user_id: str) -> View | None:
        stack = self.stack(user_id)
        return stack[-1] if stack else None

    def close_views(self, user_id: str, *, all_views: bool) -> list[View]:
        with self.lock:
            stack = self.view_stacks.get(user_id, [])
            closed: list[View] = []
            while stack:
                view = self.views[stack.pop()]
                view.is_open = False
                closed.append(view)
                if not all_views:
                    break
        self.notify()
        return closed

    # -- files ---------------------------------------------------------------

    def file_visible_to_bot(self, f: File) -> bool:
        """Slack lets a bot read a file it uploaded, one attached in its forms, or one shared in
        a conversation the bot is in; anything else is ``not_visible`` (files.info docs)."""
        with self.lock:
            if f.user_id == self.bot_user_id or f.shared_with_app:
                return True
            for channel_id in f.channels:
                ch = self.channels.get(channel_id)
                if ch is not None and (ch.bot_member or (ch.is_im and ch.im_user == f.user_id)):
                    return True
            return False

    def add_file(
        self,
        user_id: str,
        filename: str,
        content: bytes,
        *,
        title: str | None = None,
        filetype: str | None = None,
        mimetype: str | None = None,
        complete: bool = True,
        uploaded: bool = True,
    ) -> File:
        ext, mime = guess_filetype(filename, mimetype)
        with self.lock:
            user = self.users.get(user_id)
            f = File(
                id=self.ids.new("F"),
                user_id=user_id,
                team_id=user.team_id if user else self.team_id,
                name=filename,
                title=title or filename,
                filetype=filetype or ext,
                mimetype=mime,
                content=content,
                created=int(self.clock()),
                complete=complete,
                uploaded=uploaded,
            )
            self.files[f.id] = f
        self.notify()
        return f
