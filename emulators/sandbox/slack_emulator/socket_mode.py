"""Socket Mode server: the ``wss://…/link/?ticket=…`` side of Slack, on loopback.

Speaks what ``slack_sdk.socket_mode.builtin`` expects (see platform-facts.md §S1): a plain
``ws://`` URL (the builtin client only uses TLS on port 443), a ``hello`` frame on every new
connection, each JSON message as one unmasked, unfragmented text frame, pongs that echo the
ping payload (the client reconnects when pongs stop), envelopes spread over live
connections, and acks ``{"envelope_id", "payload"?}`` accepted on *any* connection (after a
reconnect the client acks on its new socket).

Slack's ack rules are reproduced rather than simplified: an envelope not acked within
``ack_timeout`` (3 s) is redelivered with ``retry_attempt``+1 / ``retry_reason`` only for types
Slack retries (``events_api`` by default, up to 3 retries); for slash commands and
interactivity the user just sees an error, which the emulator records as a problem and
reports to the waiting test as ``TimeoutError``.

It runs the ``websockets`` asyncio server on a private event loop in a daemon thread; other
threads talk to it only through thread-safe submission and ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .state import Workspace

log = logging.getLogger("sandbox.slack_emulator.socket_mode")

MAX_CONNECTIONS = 10
RETRY_REASON_TIMEOUT = "timeout"


@dataclass
class Envelope:
    """One thing Slack has to get to the app (a user action or event), across all its attempts."""

    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    on_ack: Callable[[Envelope], None] | None = None
    envelope_id: str = ""
    retry_attempt: int = 0
    retry_reason: str = ""
    envelope_ids: list[str] = field(default_factory=list)
    status: str = "queued"  # queued | sent | acked | timed_out | dispatch_failed
    created_at: float = field(default_factory=time.monotonic)
    sent_at: float | None = None
    acked_at: float | None = None  # monotonic time the accepted ack frame arrived
    connection_id: int | None = None
    ack_payload: dict[str, Any] | None = None
    acked_envelope_id: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    wire: list[dict[str, Any]] = field(default_factory=list)

    def message(self) -> dict[str, Any]:
        """The wire frame. Slack puts retry fields on ``events_api`` envelopes (and retries) only."""
        msg: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api" or self.retry_attempt:
            msg["retry_attempt"] = self.retry_attempt
            msg["retry_reason"] = self.retry_reason
        return msg

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """Block until acked; return the ack ``payload`` (None for a bare ack)."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"{self.type} envelope {self.envelope_id} not acked in {timeout}s")
        if self.status != "acked":
            raise TimeoutError(
                f"{self.type} envelope {self.envelope_id} {self.status}"
                + (
                    " (Slack shows the user operation_timeout)"
                    if self.status == "timed_out"
                    else ""
                )
            )
        return self.ack_payload


@dataclass
class _Conn:
    id: int
    ws: ServerConnection
    opened_at: float
    draining: bool = False  # told to reconnect; gets no new envelopes while others are live


class SocketModeServer:
    """The Socket Mode endpoint plus Slack's delivery, ack, retry and disconnect behaviour."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        host: str = "127.0.0.1",
        ack_timeout: float = 3.0,
        max_retries: int = 3,
        retry_types: Iterable[str] = ("events_api",),
        dispatch_timeout: float = 5.0,
    ) -> None:
        self.ws = workspace
        self.host = host
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.retry_types = frozenset(retry_types)
        self.dispatch_timeout = dispatch_timeout
        self.port = 0
        self.envelopes: list[Envelope] = []
        self.connections_opened = 0
        self._lock = threading.Lock()
        self._by_id: dict[str, Envelope] = {}
        self._tickets: dict[str, bool] = {}
        self._conns: dict[int, _Conn] = {}
        self._rr = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:  # surfaced to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            pump = loop.create_task(self._pump())
            try:
                loop.run_forever()
            finally:
                pump.cancel()
                loop.run_until_complete(self._shutdown())
                loop.close()

        self._thread = threading.Thread(target=run, name="slack-emu-socket-mode", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]

    async def _startup(self) -> None:
        self._wake = asyncio.Event()
        self._server = await serve(
            self._handle,
            self.host,
            0,
            process_request=self._check_request,
            ping_interval=20,
            ping_timeout=20,
            max_size=2**22,
            logger=logging.getLogger("sandbox.slack_emulator.websockets"),
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 3)

    def stop(self) -> None:
        self._stopping = True
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        for env in self.envelopes:
            if not env.done.is_set():
                env.status = "dispatch_failed"
                env.done.set()

    # -- tickets / connections ---------------------------------------------

    def issue_url(self) -> str:
        """What ``apps.connections.open`` hands out: a fresh single-use ticket URL."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = False
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.ws.app_id}"

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path.rstrip("/") != "/link":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._lock:
            used = self._tickets.get(ticket)
            if used is None or used:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
            self._tickets[ticket] = True
        return None

    async def _handle(self, websocket: ServerConnection) -> None:
        with self._lock:
            self.connections_opened += 1
            conn = _Conn(id=self.connections_opened, ws=websocket, opened_at=time.monotonic())
            too_many = len(self._conns) >= MAX_CONNECTIONS
            if not too_many:
                self._conns[conn.id] = conn
            count = len(self._conns)
        debug_info = {
            "host": "applink-emulator",
            "build_number": 1,
            "approximate_connection_time": 18060,
        }
        try:
            if too_many:
                await websocket.send(
                    json.dumps(
                        {
                            "type": "disconnect",
                            "reason": "too_many_websockets",
                            "debug_info": debug_info,
                        }
                    )
                )
                await websocket.close(1008, "too_many_websockets")
                return
            await websocket.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": count,
                        "debug_info": debug_info,
                        "connection_info": {"app_id": self.ws.app_id},
                    }
                )
            )
            nudge = asyncio.ensure_future(self._nudge_draining())
            self._poke()
            async for raw in websocket:
                self._on_frame(conn.id, raw)
        except ConnectionClosed:
            pass
        finally:
            if nudge is not None:
                nudge.cancel()
            with self._lock:
                self._conns.pop(conn.id, None)
            self.ws.notify()

    async def _nudge_draining(self) -> None:
        """Ping sockets that were told to reconnect once their replacement is up.

        The builtin client closes its old socket only after a blocking ``recv`` (3 s timeout)
        returns; any frame ends that wait, so the switch-over takes milliseconds instead of
        up to 3 s during which envelopes on the new socket would sit unread.
        """
        for _ in range(40):  # for up to 2 s, until the client has let go of its old sockets
            with self._lock:
                draining = [c for c in self._conns.values() if c.draining]
            if not draining:
                return
            for conn in draining:
                with contextlib.suppress(Exception):
                    await conn.ws.ping(b"emulator")
            await asyncio.sleep(0.05)

    def connection_count(self) -> int:
        with self._lock:
            return len(self._conns)

    def wait_for_connection(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connection_count():
                return True
            time.sleep(0.01)
        return bool(self.connection_count())

    # -- acks ----------------------------------------------------------------

    def _on_frame(self, conn_id: int, raw: str | bytes) -> None:
        received = time.monotonic()
        try:
            msg = json.loads(raw)
        except ValueError:
            self.ws.problem(f"socket mode: non-JSON frame from app: {raw!r:.200}")
            return
        envelope_id = msg.get("envelope_id") if isinstance(msg, dict) else None
        if not envelope_id:
            self.ws.problem(f"socket mode: frame without envelope_id: {msg!r:.200}")
            return
        with self._lock:
            env = self._by_id.get(envelope_id)
            if env is None:
                late = None
            elif env.status in ("sent", "queued"):
                env.status = "acked"
                env.acked_at = received
                env.ack_payload = msg.get("payload")
                env.acked_envelope_id = envelope_id
                late = False
            else:
                late = True
        if env is None:
            self.ws.problem(f"socket mode: ack for unknown envelope {envelope_id}")
            return
        if late:
            self.ws.problem(
                f"socket mode: ack for {env.type} envelope {envelope_id} ignored ({env.status})"
            )
            return
        if env.on_ack is not None:
            try:
                env.on_ack(env)
            except Exception as exc:  # an emulator bug must not kill the loop
                log.exception("applying ack failed")
                self.ws.problem(f"emulator failed to apply ack: {exc!r}")
        env.done.set()
        self.ws.notify()

    # -- delivery ------------------------------------------------------------

    def submit(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        on_ack: Callable[[Envelope], None] | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Envelope:
        env = Envelope(
            type=type_,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            on_ack=on_ack,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        self._assign_id(env)
        with self._lock:
            self.envelopes.append(env)
        self._poke()
        return env

    def _assign_id(self, env: Envelope) -> None:
        env.envelope_id = str(uuid.uuid4())
        env.envelope_ids.append(env.envelope_id)
        with self._lock:
            self._by_id[env.envelope_id] = env

    def redeliver(self, env: Envelope, *, reason: str = RETRY_REASON_TIMEOUT) -> Envelope:
        """Send ``env``'s payload again as Slack does after a late ack: new id, retry_attempt+1."""
        return self.submit(
            env.type,
            env.payload,
            accepts_response_payload=env.accepts_response_payload,
            retry_attempt=env.retry_attempt + 1,
            retry_reason=reason,
        )

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    async def _pump(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.02)
            self._wake.clear()
            now = time.monotonic()
            to_send: list[tuple[Envelope, _Conn]] = []
            finished: list[Envelope] = []
            with self._lock:
                live = sorted(self._conns.values(), key=lambda c: c.id)
                live = [c for c in live if not c.draining] or live
                for env in self.envelopes:
                    if env.status == "sent" and env.sent_at is not None:
                        if now - env.sent_at < self.ack_timeout:
                            continue
                        if env.type in self.retry_types and env.retry_attempt < self.max_retries:
                            env.retry_attempt += 1
                            env.retry_reason = RETRY_REASON_TIMEOUT
                            env.envelope_id = str(uuid.uuid4())
                            env.envelope_ids.append(env.envelope_id)
                            self._by_id[env.envelope_id] = env
                            env.status = "queued"
                            env.created_at = now
                        else:
                            env.status = "timed_out"
                            finished.append(env)
                            continue
                    if env.status != "queued":
                        continue
                    if not live:
                        if now - env.created_at > self.dispatch_timeout:
                            env.status = "dispatch_failed"
                            finished.append(env)
                        continue
                    conn = live[self._rr % len(live)]
                    self._rr += 1
                    env.status = "sent"
                    env.sent_at = now
                    env.connection_id = conn.id
                    to_send.append((env, conn))
            for env in finished:
                what = env.payload.get("command") or env.payload.get("type") or env.type
                self.ws.problem(f"socket mode: {what} envelope {env.envelope_id} {env.status}")
                env.done.set()
            for env, conn in to_send:
                message = env.message()
                try:
                    await conn.ws.send(json.dumps(message))
                    env.wire.append(message)
                except ConnectionClosed:
                    with self._lock:
                        if env.status == "sent":
                            env.status = "queued"
                            env.created_at = time.monotonic()
                    self._wake.set()
            if finished or to_send:
                self.ws.notify()

    # -- faults --------------------------------------------------------------

    def _run(self, coro_factory: Callable[[], Any], timeout: float = 5) -> Any:
        if self._loop is None:
            raise RuntimeError("socket mode server is not running")
        return asyncio.run_coroutine_threadsafe(coro_factory(), self._loop).result(timeout)

    def drop(self, mode: str = "reset") -> int:
        """Kill every live connection: ``reset`` = TCP RST (no close frame), ``close`` = close frame."""

        async def do() -> int:
            with self._lock:
                conns = list(self._conns.values())
                self._conns.clear()
            for conn in conns:
                if mode == "close":
                    with contextlib.suppress(Exception):
                        await conn.ws.close(1011, "emulator dropped the connection")
                    continue
                transport = conn.ws.transport
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                transport.abort()
            return len(conns)

        return int(self._run(do))

    def send_disconnect(self, reason: str, *, close_after: float | None = 10.0) -> int:
        """Send ``{"type": "disconnect", "reason": …}``; the server closes the old socket later."""

        async def do() -> int:
            with self._lock:
                conns = list(self._conns.values())
            message = json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}}
            )
            for conn in conns:
                conn.draining = True
                with contextlib.suppress(ConnectionClosed):
                    await conn.ws.send(message)
                if close_after is not None:
                    asyncio.get_running_loop().call_later(
                        close_after, lambda c=conn: asyncio.ensure_future(self._close_quietly(c))
                    )
            return len(conns)

        return int(self._run(do))

    async def _close_quietly(self, conn: _Conn) -> None:
        with contextlib.suppress(Exception):
            await conn.ws.close(1000, "refreshed")
