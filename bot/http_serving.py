"""A small HTTP server running on a thread of its own: the health probe and the metrics scrape."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import HTTPServer


@dataclass
class BackgroundServer:
    """What the runner keeps of a server it started: the port it got, and a way to stop it."""

    server: HTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
