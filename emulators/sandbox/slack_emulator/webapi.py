"""HTTP side of the emulator: ``/api/<method>``, response_urls, uploads, file downloads.

``slack_sdk.WebClient(base_url=emu.api_url)`` POSTs every method (even documented GETs) as a
form or JSON body with the token in ``Authorization: Bearer``; Bolt's ``respond()`` POSTs JSON
to the ``response_url``; ``files_upload_v2`` POSTs raw bytes to ``upload_url`` without auth;
the bot GETs ``url_private_download`` with the bot token. All of these are served here by a
``ThreadingHTTPServer`` (one thread per connection, keep-alive capable), so a slow or blocked
test thread never stalls the app's calls.

Injected faults (``fail_next``) are consumed here, before authentication, the way Slack's
rate limiter answers before the method runs: HTTP 429 with ``Retry-After`` and
``{"ok": false, "error": "ratelimited"}``, or HTTP 200 with any other error code. Two faults are
about the network rather than Slack's answers: a dropped answer (``drop_answer``: the method runs
and is applied, then the connection is cut before the response, as when a load balancer or the
client's network fails mid-call) and an outage (``down``: every request's connection is cut
unanswered and nothing is applied).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .methods import ApiError, WebApi
from .ratelimit import RateLimiter
from .state import Workspace

log = logging.getLogger("sandbox.slack_emulator.webapi")

METHOD_RE = re.compile(r"^/(?:api/)?([a-zA-Z]+(?:\.[a-zA-Z]+)+)/?$")
JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "options")
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Slack</title></head><body>"
    b"<h1>Sign in to AdBee Emulated</h1><form>...</form></body></html>"
)


@dataclass
class Fault:
    method: str
    error: str
    status: int
    retry_after: int | None
    times: int
    # Apply the call, then cut the connection before answering (the client never learns).
    drop_answer: bool = False


@dataclass
class CallRecord:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    token_kind: str
    dropped: bool = False  # applied, but the answer never reached the client


class DropConnection(Exception):
    """Raised to the request handler: cut the connection without sending anything."""


class FaultInjector:
    """Queue of one-shot failures per method (``"*"`` matches any method)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # undecodable values stay strings; the method reports them the way Slack does
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Form, JSON or multipart body -> params (multipart file parts become bytes)."""
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data
    if ctype == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        out: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                out[str(name)] = payload
                out.setdefault("filename", part.get_filename())
            else:
                out[str(name)] = payload.decode("utf-8")
        return _decode_json_fields(out)
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return _decode_json_fields({k: v[-1] for k, v in form.items()})


class HttpFrontend:
    """Owns the HTTP server thread and routes requests to the Web API and helper routes."""

    def __init__(
        self,
        workspace: Workspace,
        api: WebApi,
        *,
        host: str,
        port: int,
        on_response_url: Callable[[str, dict[str, Any]], tuple[int, str]],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.ws = workspace
        self.api = api
        self.faults = FaultInjector()
        # An outage: every request is cut unanswered (connection reset) until this is False.
        self.down = False
        self.refused_while_down = 0
        self.limiter = limiter or RateLimiter()
        self.calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        # A big file over a slow link: each download's body is spread over this many seconds
        # (headers at once, the bytes in pieces), so a test can act while one is in progress.
        self.download_seconds = 0.0
        # Cleared: each download (of a path containing ``held_only``, when set) is recorded,
        # then its answer waits until this is set again (a test holds the bot at "downloading"
        # for as long as it needs, with no timing).
        self.downloads_flowing = threading.Event()
        self.downloads_flowing.set()
        self.held_only: str | None = None
        # Every request to the file host: {"path", "status", "finished", "host", "bot_token"}.
        self.downloads: list[dict[str, Any]] = []
        self._on_response_url = on_response_url
        frontend = self

        class Handler(_Handler):
            owner = frontend

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.host, self.port = self.server.server_address[:2]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emu-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def record(self, rec: CallRecord) -> None:
        with self._calls_lock:
            self.calls.append(rec)
        self.ws.notify()

    def snapshot_calls(self) -> list[CallRecord]:
        with self._calls_lock:
            return list(self.calls)

    # -- routes --------------------------------------------------------------

    def api_call(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        headers = {"x-oauth-scopes": ",".join(self.ws.scopes)}
        if token is None and "token" in params:
            token = str(params.pop("token"))
        params.pop("token", None)
        kind = (
            "bot"
            if token == self.ws.bot_token
            else "app"
            if token == self.ws.app_token
            else "none"
            if not token
            else "other"
        )
        fault = self.faults.take(method)
        status = 200
        dropped = fault is not None and fault.drop_answer
        wait = None if fault is not None else self.limiter.take(method, params)
        if fault is not None and not dropped:
            body: dict[str, Any] = {"ok": False, "error": fault.error}
            status = fault.status
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
        elif wait is not None:
            body, status = {"ok": False, "error": "ratelimited"}, 429
            headers["Retry-After"] = str(wait)
        else:
            try:
                body = self.api.call(method, params, token)
            except ApiError as err:
                body = err.body()
            except Exception as exc:  # an emulator bug should look like Slack's internal_error
                log.exception("method %s failed", method)
                self.ws.problem(f"emulator error in {method}: {exc!r}")
                body = {"ok": False, "error": "internal_error"}
        self.record(CallRecord(method, params, status, body, kind, dropped=dropped))
        if dropped:
            raise DropConnection(method)
        return status, headers, body

    def download(
        self, path: str, query: str, auth: str | None, host: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Slack's file hosts: ``url_private[_download]`` and the file host it redirects to.

        Slack answers a file URL with the bytes, or (public reports of ``url_private_download``)
        with a 302 to its file host, which again wants the bot token; a request it cannot
        authorise (no or wrong token, a file the token may not read) gets a 302 to the
        workspace's sign-in page, an HTML page with status 200, never an error status.
        """
        ws = self.ws
        token = auth[7:].strip() if auth and auth.lower().startswith("bearer ") else None
        authorised = token == ws.bot_token and "files:read" in ws.scopes
        edge = path.startswith("/files-edge/")
        m = re.match(r"^/files-(?:pri|edge)/([A-Z0-9]+)-([A-Z0-9]+)/(?:download/)?(.+)$", path)
        sign_in = 302, {"Location": f"{ws.root_url}?redir={quote(path)}"}, b""
        if not authorised:
            return sign_in
        not_found = (
            404,
            {"Content-Type": "text/html; charset=utf-8"},
            b"<html>File not found</html>",
        )
        with ws.lock:
            f = ws.files.get(m.group(2)) if m else None
            if f is None or m is None or m.group(1) != f.team_id or not f.complete:
                return not_found
            if unquote(m.group(3)) != f.name:
                return not_found
            if f.id in ws.sign_in_page_files or not ws.file_visible_to_bot(f):
                return sign_in
            wants_download = "/download/" in path or "dl=1" in query
            if not edge and ws.download_redirect:
                base = ws.download_redirect_base or ws.root_url
                signature = ws.ids.secret(8)
                target = (
                    f"{base.rstrip('/')}/files-edge/{f.team_id}-{f.id}/{quote(f.name)}"
                    f"?dl={int(wants_download)}&sig={signature}"
                )
                return 302, {"Location": target}, b""
            disposition = "attachment" if wants_download else "inline"
            return (
                200,
                {
                    "Content-Type": f.mimetype,
                    "Content-Disposition": f'{disposition}; filename="{f.name}"',
                },
                f.content,
            )

    def upload(self, ticket: str, content_type: str, body: bytes) -> tuple[int, str]:
        with self.ws.lock:
            file_id = self.ws.upload_tickets.pop(ticket, None)
            f = self.ws.files.get(file_id) if file_id else None
            if f is None:
                return 404, "invalid upload ticket"
            if content_type.startswith("multipart/form-data"):
                parts = parse_body(content_type, body)
                body = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            f.content = body
            f.uploaded = True
        self.ws.notify()
        return 200, f"OK - {len(body)}"


class _Handler(BaseHTTPRequestHandler):
    owner: HttpFrontend
    protocol_version = "HTTP/1.1"
    server_version = "SlackEmulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_slowly(self, headers: dict[str, str], body: bytes, seconds: float) -> None:
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        pieces = 20
        size = max(1, -(-len(body) // pieces))
        for start in range(0, len(body), size):
            self.wfile.write(body[start : start + size])
            self.wfile.flush()
            time.sleep(seconds / pieces)

    def _json(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
        headers = dict(headers, **{"Content-Type": "application/json; charset=utf-8"})
        self._send(status, headers, json.dumps(body).encode("utf-8"))

    def _text(self, status: int, text: str, ctype: str = "text/plain; charset=utf-8") -> None:
        self._send(status, {"Content-Type": ctype}, text.encode("utf-8"))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        """Cut the connection with nothing sent: the client sees a reset or an empty answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # linger 0: closing sends RST, not a clean FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def _route(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        path = parts.path
        try:
            body = self._body()
            if owner.down:
                owner.refused_while_down += 1
                self._drop()
                return
            if path.startswith(("/files-pri/", "/files-edge/")):
                auth = self.headers.get("Authorization")
                host = self.headers.get("Host", "")
                status, headers, data = owner.download(path, parts.query, auth, host)
                record = {
                    "path": path,
                    "status": status,
                    "finished": False,
                    "host": host,
                    "bot_token": auth == f"Bearer {owner.ws.bot_token}",
                }
                with owner._calls_lock:
                    owner.downloads.append(record)
                owner.ws.notify()
                if owner.held_only is None or owner.held_only in path:
                    owner.downloads_flowing.wait()
                if status == 200 and owner.download_seconds > 0 and self.command != "HEAD":
                    self._send_slowly(headers, data, owner.download_seconds)
                else:
                    self._send(status, headers, data)
                record["finished"] = True
                owner.ws.notify()
                return
            if path.startswith("/upload/v1/"):
                status, text = owner.upload(
                    path.rsplit("/", 1)[-1], self.headers.get("Content-Type", ""), body
                )
                self._text(status, text)
                return
            if path.startswith("/hooks/"):
                try:
                    payload = json.loads(body.decode("utf-8") or "{}")
                    if not isinstance(payload, dict):
                        raise ValueError("not an object")
                except ValueError:
                    ctype = self.headers.get("Content-Type", "")
                    payload = parse_body(ctype, body) if "form" in ctype else {}
                    if "payload" in payload:
                        payload = json.loads(payload["payload"])
                    elif not payload:
                        self._text(400, "invalid_payload")
                        return
                status, text = owner._on_response_url(path, payload)
                self._text(status, text)
                return
            m = METHOD_RE.match(path)
            if m:
                params = {
                    k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
                }
                try:
                    params.update(parse_body(self.headers.get("Content-Type", ""), body))
                except ValueError:
                    self._json(200, {}, {"ok": False, "error": "invalid_json"})
                    return
                _decode_json_fields(params)
                auth = self.headers.get("Authorization") or ""
                token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
                try:
                    status, headers, result = owner.api_call(m.group(1), params, token)
                except DropConnection:
                    self._drop()
                    return
                self._json(status, headers, result)
                return
            if path in ("/", "/login"):
                self._send(200, {"Content-Type": "text/html; charset=utf-8"}, LOGIN_PAGE)
                return
            if path == "/health":
                self._text(200, "ok")
                return
            self._text(404, "not found")
        except (BrokenPipeError, ConnectionResetError):
            pass
