"""``SlackEmulator``: one object that owns the workspace, the Web API and Socket Mode.

Tests and local runs point the unmodified Bolt app at it::

    with SlackEmulator() as emu:
        emu.add_user("U_ALICE", name="alice")
        emu.add_channel("C_CAMPAIGNS", name="campaigns")
        app = App(client=WebClient(token=emu.bot_token, base_url=emu.api_url))
        handler = SocketModeHandler(app, emu.app_token); handler.connect()
        emu.slash_command(user="U_ALICE", channel="C_CAMPAIGNS", command="/campaign")

The Socket Mode URL comes from ``apps.connections.open``, which the app calls through its
``WebClient``, so ``api_url`` is the only address the app needs.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from .driver import UserDriver
from .manifest import manifest_bot_events, manifest_home_tab_enabled
from .methods import WebApi
from .ratelimit import RateLimiter
from .socket_mode import Envelope, SocketModeServer
from .state import DEFAULT_SCOPES, Channel, User, Usergroup, Workspace
from .webapi import CallRecord, Fault, HttpFrontend

log = logging.getLogger("sandbox.slack_emulator")


class SlackEmulator(UserDriver):
    """A loopback Slack workspace with one installed Socket Mode app (AdBee)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T0ADBEE",
        clock: Callable[[], float] | None = None,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        ack_timeout: float = 3.0,
        max_retries: int = 3,
        retry_types: Iterable[str] = ("events_api",),
        dispatch_timeout: float = 5.0,
        rate_limits: bool = True,
    ) -> None:
        """Create (not start) the emulator.

        ``clock`` (epoch seconds) drives message ``ts``, trigger and response_url expiry, so a
        test can expire a trigger by advancing it. ``retry_types`` are the envelope types that
        are redelivered after an ack timeout; Slack only does this for ``events_api``.
        ``rate_limits`` applies Slack's rate tiers to chat.postMessage/chat.update (429 +
        Retry-After); turn it off only in unit tests that fire many calls on purpose.
        """
        self.host = host
        self.port = port
        self.clock: Callable[[], float] = clock or time.time
        suffix = secrets.token_hex(2)
        self.ws = Workspace(
            team_id=team_id,
            clock=self.clock,
            bot_token=f"xoxb-emu{suffix}",
            app_token=f"xapp-emu{suffix}",
            scopes=tuple(scopes),
        )
        advertised = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.socket = SocketModeServer(
            self.ws,
            host=advertised,
            ack_timeout=ack_timeout,
            max_retries=max_retries,
            retry_types=retry_types,
            dispatch_timeout=dispatch_timeout,
        )
        self.api = WebApi(self.ws, self.socket.issue_url)
        # What the manifest subscribes to and enables; a test may narrow or widen them.
        self.subscribed_events: set[str] = set(manifest_bot_events())
        self.home_tab_enabled = manifest_home_tab_enabled()
        self.limiter = RateLimiter()
        self.limiter.enabled = rate_limits
        self._http: HttpFrontend | None = None
        self._advertised = advertised

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._http is not None:
            return self
        self._http = HttpFrontend(
            self.ws,
            self.api,
            host=self.host,
            port=self.port,
            on_response_url=self.handle_response_url,
            limiter=self.limiter,
        )
        self.ws.root_url = f"http://{self._advertised}:{self._http.port}/"
        self.socket.start()
        self._http.start()
        log.info("Slack emulator on %s (socket mode port %s)", self.api_url, self.socket.port)
        return self

    def stop(self) -> None:
        self.socket.stop()
        if self._http is not None:
            self._http.downloads_flowing.set()  # no download handler is left waiting
            self._http.stop()
            self._http = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and tokens ------------------------------------------------

    @property
    def api_url(self) -> str:
        """``WebClient(base_url=...)`` / ``SLACK_API_URL``; ends with ``/`` as the SDK requires."""
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        return f"{self.ws.root_url}api/"

    @property
    def bot_token(self) -> str:
        return self.ws.bot_token

    @property
    def app_token(self) -> str:
        return self.ws.app_token

    @property
    def team_id(self) -> str:
        return self.ws.team_id

    @property
    def bot_user_id(self) -> str:
        return self.ws.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.ws.bot_id

    @property
    def app_id(self) -> str:
        return self.ws.app_id

    @property
    def trigger_ttl(self) -> float:
        """Seconds a trigger_id stays valid (Slack: 3)."""
        return self.ws.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.ws.trigger_ttl = seconds

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.ws.scopes

    @scopes.setter
    def scopes(self, scopes: Iterable[str]) -> None:
        """Replace the bot's granted scopes (methods then fail with ``missing_scope``)."""
        self.ws.scopes = tuple(scopes)

    @property
    def omit_untouched_after_update(self) -> bool:
        """Reproduce Slack leaving untouched inputs out of ``state.values`` after views.update."""
        return self.ws.omit_untouched_after_update

    @omit_untouched_after_update.setter
    def omit_untouched_after_update(self, enabled: bool) -> None:
        self.ws.omit_untouched_after_update = enabled

    @property
    def rate_limits(self) -> bool:
        """Whether the Web API methods follow Slack's rate tiers (``ratelimit.TIERS``)."""
        return self.limiter.enabled

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        """Off only for unit tests that fire many calls on purpose; e2e tests keep them on."""
        self.limiter.enabled = enabled

    @property
    def rate_limited(self) -> list[tuple[str, str, int]]:
        """Every call the rate tiers refused: (method, channel or "", Retry-After seconds)."""
        return list(self.limiter.refused)

    # -- workspace setup -----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "UTC",
        team_id: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Add a person; a ``team_id`` other than the workspace's makes them an external user."""
        user = User(
            id=user_id,
            name=name,
            real_name=real_name or name,
            tz=tz,
            team_id=team_id or self.ws.team_id,
            email=email,
        )
        with self.ws.lock:
            self.ws.users[user_id] = user
        return user.to_api(self.clock())

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] | None = None,
        is_private: bool = False,
        bot_member: bool = True,
        is_archived: bool = False,
    ) -> dict[str, Any]:
        """Add a channel; ``members=None`` means every user is in it."""
        ch = Channel(
            id=channel_id,
            name=name,
            is_private=is_private,
            members=set(members) if members is not None else None,
            bot_member=bot_member,
            is_archived=is_archived,
            created=int(self.clock()),
        )
        with self.ws.lock:
            self.ws.channels[channel_id] = ch
            self.ws.messages.setdefault(channel_id, [])
        return ch.to_api()

    def add_usergroup(
        self, usergroup_id: str, handle: str, users: Iterable[str] = (), name: str | None = None
    ) -> None:
        with self.ws.lock:
            self.ws.usergroups[usergroup_id] = Usergroup(
                id=usergroup_id, handle=handle, name=name or handle, users=list(users)
            )

    def dm_channel(self, user: str) -> str:
        """The id of the bot's DM with ``user`` (created on first use, like conversations.open)."""
        return self.ws.open_im(user).id

    @property
    def file_download_seconds(self) -> float:
        """How long each file download takes (0: at once); the bytes arrive in pieces."""
        return self._http.download_seconds if self._http else 0.0

    @file_download_seconds.setter
    def file_download_seconds(self, seconds: float) -> None:
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        self._http.download_seconds = seconds

    def hold_file_downloads(self, named: str | None = None) -> None:
        """From now on each file download (of files called ``named`` only, when given) starts
        (it is in ``file_downloads``, unfinished) and then waits for ``release_file_downloads``:
        a link that stalls, for as long as a test needs the bot to stay in its download."""
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        self._http.held_only = f"/{named}" if named else None
        self._http.downloads_flowing.clear()

    def release_file_downloads(self) -> None:
        """Downloads held by ``hold_file_downloads`` go on, and new ones no longer wait."""
        if self._http is not None:
            self._http.downloads_flowing.set()

    def file_downloads(self) -> list[dict[str, Any]]:
        """Every GET of a file URL: ``{"path", "status", "finished", "host", "bot_token"}``."""
        if self._http is None:
            return []
        with self._http._calls_lock:
            return [dict(d) for d in self._http.downloads]

    def delete_file(self, file_id: str) -> None:
        """The user deletes the file in Slack: files.info answers file_not_found from now on."""
        with self.ws.lock:
            self.ws.files.pop(file_id, None)
        self.ws.notify()

    def file_content(self, file_id: str) -> bytes:
        with self.ws.lock:
            return self.ws.files[file_id].content

    # -- Web API inspection and faults --------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Web API call received, as ``(method, params)``; token removed."""
        return [(c.method, c.params) for c in self.call_log]

    @property
    def call_log(self) -> list[CallRecord]:
        """Calls with the HTTP status and response body the app got."""
        return self._http.snapshot_calls() if self._http else []

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [params for m, params in self.calls if m == method]

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` (``"*"``: any) fail.

        ``ratelimited`` defaults to HTTP 429 with ``Retry-After``; other errors to HTTP 200 with
        ``{"ok": false, "error": error}`` as Slack sends them.
        """
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        self._http.faults.add(
            Fault(
                method=method,
                error=error,
                status=code,
                retry_after=retry_after if code == 429 else None,
                times=times,
            )
        )

    def drop_answer_next(self, method: str, times: int = 1) -> None:
        """Apply the next ``times`` calls to ``method``, then cut each connection unanswered.

        Slack has done what was asked (the message is posted); the client sees a connection
        reset and cannot tell whether it was. ``call_log`` marks those calls ``dropped``.
        """
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        self._http.faults.add(
            Fault(
                method=method,
                error="",
                status=200,
                retry_after=None,
                times=times,
                drop_answer=True,
            )
        )

    def take_http_down(self) -> None:
        """Slack's HTTP side goes down: every Web API call, upload and download is cut.

        Nothing is applied while down (``refused_while_down`` counts the attempts). The Socket
        Mode connections are not touched; ``drop_socket_connections`` does that.
        """
        if self._http is None:
            raise RuntimeError("start() the emulator first")
        self._http.down = True

    def bring_http_up(self) -> None:
        if self._http is not None:
            self._http.down = False

    @contextlib.contextmanager
    def http_down(self) -> Iterator[None]:
        self.take_http_down()
        try:
            yield
        finally:
            self.bring_http_up()

    @property
    def refused_while_down(self) -> int:
        return self._http.refused_while_down if self._http else 0

    # -- Socket Mode ---------------------------------------------------------------

    @property
    def envelopes(self) -> list[Envelope]:
        return list(self.socket.envelopes)

    def last_envelope(self, envelope_type: str | None = None) -> Envelope:
        for env in reversed(self.socket.envelopes):
            if envelope_type is None or env.type == envelope_type:
                return env
        raise LookupError(f"no {envelope_type or ''} envelope sent yet")

    def wait_for_connection(self, timeout: float = 5.0, count: int = 1) -> int:
        """Wait until ``count`` Socket Mode connections are live; return how many are."""
        return self.wait_until(
            lambda: self.socket.connection_count() >= count and self.socket.connection_count(),
            timeout=timeout,
            message="no Socket Mode connection",
        )

    @property
    def connection_count(self) -> int:
        return self.socket.connection_count()

    @property
    def connections_opened(self) -> int:
        return self.socket.connections_opened

    def drop_socket_connections(self, mode: str = "reset") -> int:
        """Kill live connections (``reset``: TCP RST; ``close``: WebSocket close frame).

        The builtin client notices a reset on its next read and reconnects on its next
        monitor tick (``ping_interval``); a close frame makes it reconnect at once.
        """
        return self.socket.drop(mode)

    def redeliver_last(self, envelope_type: str | None = None, reason: str = "timeout") -> Envelope:
        """Send the last envelope's payload again: new envelope_id, retry_attempt+1."""
        return self.socket.redeliver(self.last_envelope(envelope_type), reason=reason)

    def close_handler(self, handler: Any) -> None:
        """Stop a ``SocketModeHandler`` (or builtin ``SocketModeClient``) quickly.

        ``handler.close()`` alone waits up to 3 s for the client's blocking ``recv`` and 1 s for
        its message queue to time out; turning auto-reconnect off, resetting the socket and
        waking the queue first makes it return at once.
        """
        client = getattr(handler, "client", handler)
        client.auto_reconnect_enabled = False
        client.default_auto_reconnect_enabled = False
        client.closed = True
        if self._http is not None:
            self.socket.drop("reset")
        queue = getattr(client, "message_queue", None)
        if queue is not None:
            queue.put("")  # wakes the message processor out of its 1 s queue.get()
        handler.close()

    def request_reconnect(
        self, reason: str = "refresh_requested", close_after: float | None = 10.0
    ) -> int:
        """Send ``{"type": "disconnect", "reason": reason}`` to every live connection."""
        return self.socket.send_disconnect(reason, close_after=close_after)
