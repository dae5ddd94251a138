"""What the pipeline, lifecycle and sync need from Meta, as protocols.

``meta.graph.client.GraphClient`` and ``meta.graph.upload.VideoUploader`` implement them; tests and
benchmarks may pass anything with the same methods.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class GraphApi(Protocol):
    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict: ...
    def get(self, path: str, params: dict[str, Any] | None = None) -> dict: ...
    def delete(self, path: str, params: dict[str, Any] | None = None) -> dict: ...


class Uploader(Protocol):
    def upload(
        self,
        *,
        account_id: str,
        path: Path,
        title: str,
        on_progress: Callable[[Any], None] | None = None,
        resume_session: Any | None = None,
        on_session: Callable[[Any], None] | None = None,
    ) -> str: ...


WaitUntilReady = Callable[..., dict]
