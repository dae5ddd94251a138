"""HTTP front end: ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive like graph.facebook.com.

It only decodes the wire (path, query, urlencoded/multipart body, headers), adds the configured
latency, and writes the pipeline's answer — or closes the socket unanswered for
``drop_connection`` faults.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .app import GraphApp
from .errors import GraphError
from .httpbody import BodyError, decode_body, decode_chunked, parse_qs_flat
from .settings import Settings
from .wire import Request, Response

log = logging.getLogger(__name__)


class GraphHTTPServer(ThreadingHTTPServer):
    """Server carrying the app and settings for its handler threads."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: GraphApp, settings: Settings) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.settings = settings

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A client that went away before its answer (killed, timed out, stopped) is logged, not
        printed as a traceback on stderr: kill -9 stories do it on purpose, and the tracebacks
        read like a failure of whatever test output they land in."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            log.debug("client %s went away before its answer: %r", client_address, error)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: GraphHTTPServer  # type: ignore[assignment]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle + delayed ACK
        # add ~40 ms to every keep-alive request and distort latency benchmarks.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = bytearray()
            while True:
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    raw += self.rfile.readline()
                    break
                raw += self.rfile.read(size + 2)
            return decode_chunked(bytes(raw))
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        raw = self._read_body()
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=parse_qs_flat(split.query),
            body={},
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        try:
            decoded = decode_body(self.headers.get("Content-Type"), raw)
        except BodyError as exc:
            error = GraphError(message=f"(#100) Could not parse the request body: {exc}", code=100)
            self._write(self.server.app.reject(request, error))
            return
        request.body, request.files = decoded.params, decoded.files
        latency = self.server.settings.latency_ms
        if latency:
            time.sleep(latency / 1000)
        response = self.server.app.handle(request)
        if response.drop_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
