"""Plain data carried between the HTTP layer, the pipeline and batch execution."""

from __future__ import annotations

from dataclasses import dataclass, field

from .httpbody import UploadedFile


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it (batch items too, with ``via_batch=True``)."""

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, str]
    status: int
    time: float
    via_batch: bool = False
    files: dict[str, int] = field(default_factory=dict)  # part name -> size in bytes
    error_code: int | None = None
    error_subcode: int | None = None

    @property
    def params(self) -> dict[str, str]:
        """Query and body merged as Graph sees them (body wins)."""
        return {**self.query, **self.body}


@dataclass
class Request:
    """A decoded HTTP request (or batch item)."""

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, str]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    via_batch: bool = False


@dataclass
class Response:
    """What to send back."""

    status: int
    body: bytes
    headers: dict[str, str]
    drop_connection: bool = False
