"""``HEALTH_PORT``: the health report over HTTP, for container and orchestrator probes.

``GET /healthz`` (or ``/health``) answers the report as JSON: 200 when healthy or degraded
(restarting would not help), 503 when down. It runs inside the bot, so it sees the Socket Mode
connection and the scheduler, which a separate ``python -m bot health`` process cannot.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.health_report import HealthReport
from bot.http_serving import BackgroundServer

log = logging.getLogger(__name__)
PATHS = ("/healthz", "/health")


def serve_health(
    port: int, report: Callable[[], HealthReport], *, host: str = "0.0.0.0"
) -> BackgroundServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] not in PATHS:
                self._send(404, {"error": "not found; try /healthz"})
                return
            try:
                current = report()
            except Exception as exc:  # the probe must answer, and say why it could not check
                log.exception("health check failed")
                self._send(503, {"status": "down", "error": f"{type(exc).__name__}: {exc}"})
                return
            self._send(503 if current.status == "down" else 200, current.to_json())

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("health probe: " + format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="health-http", daemon=True)
    thread.start()
    log.info("health on port %s (/healthz)", server.server_address[1])
    return BackgroundServer(server, thread)
