"""Chunked, resumable upload of an ad video (the wait for processing: ``meta.video.processing``).

We speak the start/transfer/finish protocol of ``POST /act_<id>/advideos`` ourselves (the same
requests the SDK's ``VideoUploader`` sends, meta-api.md §1.1 B and §8) instead of using the SDK
because we need what it lacks: streaming from disk with bounded memory, progress reports, a
persistable session so a crashed upload resumes where it stopped, bounded retries and Meta's
rate-limit waits.

Memory: each transfer streams its window straight from the file in small blocks, so a 4 GB video
costs a few hundred KiB of RAM whatever window size Meta picks.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import requests

from meta.domain.errors import (
    AUTH_CODES,
    MetaApiError,
    VideoRejectedError,
)
from meta.domain.video_title import cut_to_limit
from meta.graph.errors import parse_graph_response
from meta.graph.http import new_session
from meta.graph.retry import RetryPolicy, is_throttle, redact_secrets
from meta.graph.usage import AccountUsage
from meta.telemetry import metrics

log = logging.getLogger(__name__)

CHUNK_MISMATCH_SUBCODE = 1363037  # "wrong chunk": error_data names the window Meta wants
READ_BLOCK = 256 * 1024  # bytes read from disk per socket write
RESUME_GUESS_WINDOW = 4 * 1024 * 1024  # window to send when resuming without a known end offset
_MAX_MISMATCHES = 3  # consecutive 1363037 answers before giving up
_MAX_STALLS = 3  # consecutive transfers after which Meta did not move the window forward


def start_params(size: int | str, title: str) -> dict[str, str]:
    """The form of ``upload_phase=start``; the dry run prints the same (``meta.graph.payloads``)."""
    return {"upload_phase": "start", "file_size": str(size), "title": cut_to_limit(title)}


def transfer_params(session_id: str, start: int | str) -> dict[str, str]:
    """The form fields of one ``upload_phase=transfer`` (the chunk itself is a file part)."""
    return {"upload_phase": "transfer", "upload_session_id": session_id, "start_offset": str(start)}


def finish_params(session_id: str, title: str) -> dict[str, str]:
    """The form of ``upload_phase=finish``."""
    return {"upload_phase": "finish", "upload_session_id": session_id, "title": cut_to_limit(title)}


@dataclass(frozen=True)
class UploadProgress:
    """Bytes Meta has confirmed so far (reported after each accepted chunk)."""

    bytes_sent: int
    total_bytes: int

    @property
    def percent(self) -> float:
        return 100.0 * self.bytes_sent / self.total_bytes if self.total_bytes else 100.0


@dataclass(frozen=True)
class UploadSession:
    """Everything needed to resume an interrupted upload; persist it as ``to_dict()`` JSON.

    ``end_offset`` is the end of the window Meta asked for next (None if unknown: AdBee then
    guesses and Meta corrects it with a 1363037 answer). ``file_size`` guards against resuming
    with a different file.
    """

    video_id: str
    upload_session_id: str
    next_offset: int
    end_offset: int | None = None
    file_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UploadSession:
        end = data.get("end_offset")
        size = data.get("file_size")
        return cls(
            video_id=str(data["video_id"]),
            upload_session_id=str(data["upload_session_id"]),
            next_offset=int(data["next_offset"]),
            end_offset=int(end) if end is not None else None,
            file_size=int(size) if size is not None else None,
        )


class _SessionGone(Exception):
    """A resumed upload session is unknown or expired on Meta's side: start a new one."""


class _ChunkBody:
    """A ``multipart/form-data`` body whose file part is bytes [start, end) of a file on disk.

    ``requests`` streams any iterable with a ``__len__`` (sending ``Content-Length``), so the
    window is read block by block while the socket drains instead of being loaded whole.
    """

    def __init__(
        self, path: Path, start: int, end: int, fields: Mapping[str, str], filename: str
    ) -> None:
        self.boundary = uuid.uuid4().hex
        self._path = path
        self._start = start
        self._end = end
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        ]
        parts.append(
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            f'name="video_file_chunk"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self._preamble = "".join(parts).encode()
        self._epilogue = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._preamble) + (self._end - self._start) + len(self._epilogue)

    def __iter__(self) -> Iterator[bytes]:
        yield self._preamble
        with self._path.open("rb") as f:
            f.seek(self._start)
            remaining = self._end - self._start
            while remaining > 0:
                block = f.read(min(READ_BLOCK, remaining))
                if not block:
                    raise VideoRejectedError(
                        f"{self._path.name} became shorter while it was being uploaded; "
                        "do not edit or replace the file during an upload."
                    )
                remaining -= len(block)
                yield block
        yield self._epilogue


def _safe_filename(name: str) -> str:
    cleaned = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return cleaned or "video"


def _offset(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MetaApiError(
            message=f"Meta's upload answer has an invalid {what}: {value!r}"
        ) from None


def _window(body: Mapping[str, Any], size: int) -> tuple[int, int]:
    """The (start, end) window Meta asks for next, checked against the file size."""
    start = _offset(body.get("start_offset"), "start_offset")
    end = _offset(body.get("end_offset"), "end_offset")
    if not 0 <= start <= end <= size:
        raise MetaApiError(
            message=f"Meta asked for bytes {start}-{end} of a {size}-byte video; the upload "
            "session is inconsistent, start the upload again"
        )
    return start, end


def _is_session_gone(error: MetaApiError) -> bool:
    """A clean refusal of a resumed session (unknown/expired), as opposed to a problem that a new
    session would hit as well (token, permissions, throttling, outage)."""
    if error.subcode == CHUNK_MISMATCH_SUBCODE or error.is_transient or is_throttle(error):
        return False
    if error.code in AUTH_CODES or error.code == 10 or error.http_status == 413:
        return False
    return not (error.code is not None and 200 <= error.code < 300)


class VideoUploader:
    """Uploads a video file to an ad account's ``advideos`` edge in server-chosen chunks.

    ``video_url`` is the upload host (``https://graph-video.facebook.com`` in production, an
    emulator in tests). ``sleep`` is injectable so tests never wait for real.
    """

    def __init__(
        self,
        *,
        video_url: str,
        api_version: str,
        access_token: str,
        appsecret_proof: str | None,
        session: requests.Session | None = None,
        timeout: float = 60,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        credentials: Callable[[], tuple[str, str | None]] | None = None,
        usage: AccountUsage | None = None,
    ) -> None:
        """``credentials`` (token, appsecret_proof), when given, is asked at every request, so a
        token renewed while the bot runs (``GraphClient.use_token``) reaches uploads too."""
        self._base = f"{video_url.rstrip('/')}/{api_version.strip('/')}"
        self._credentials = credentials or (lambda: (access_token, appsecret_proof))
        self._http = session or new_session(video_url)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._usage = usage or AccountUsage()  # shared with the Graph client by the root

    def __repr__(self) -> str:  # never show the token
        return f"VideoUploader({self._base!r})"

    def _auth(self) -> dict[str, str]:
        token, proof = self._credentials()
        return {"access_token": token, **({"appsecret_proof": proof} if proof else {})}

    # ------------------------------------------------------------------ public

    def upload(
        self,
        *,
        account_id: str,
        path: Path,
        title: str,
        on_progress: Callable[[UploadProgress], None] | None = None,
        resume_session: UploadSession | None = None,
        on_session: Callable[[UploadSession], None] | None = None,
    ) -> str:
        """Upload ``path`` and return Meta's video id (processing then still has to finish).

        ``on_session`` receives the session after start and after every accepted chunk; persist
        it and pass it back as ``resume_session`` after a crash to continue from ``next_offset``.
        A resumed session Meta no longer knows is replaced by a fresh upload.
        Raises ``MetaApiError`` (Meta refused), ``MetaTransportError`` (network, outcome unknown)
        or ``VideoRejectedError`` (the file is missing or empty).
        """
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise VideoRejectedError(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
        if size <= 0:
            raise VideoRejectedError(f"{path.name} is empty (0 bytes); nothing to upload.")
        act = account_id if account_id.startswith("act_") else f"act_{account_id}"
        url = f"{self._base}/{act}/advideos"
        title = cut_to_limit(title)  # callers pass a title that fits (meta.domain.video_title)
        progress = on_progress or (lambda _p: None)
        persist = on_session or (lambda _s: None)

        if resume_session is not None:
            if self._can_resume(resume_session, size):
                log.info(
                    "resuming upload of %s (video %s) at byte %d of %d",
                    path.name,
                    resume_session.video_id,
                    resume_session.next_offset,
                    size,
                )
                try:
                    return self._transfer_and_finish(
                        url, act, path, size, title, resume_session, progress, persist, True
                    )
                except _SessionGone as gone:
                    log.warning(
                        "upload session of video %s is gone (%s); starting over",
                        resume_session.video_id,
                        gone.__cause__,
                    )
            else:
                log.warning("saved upload session does not match %s; starting over", path.name)

        session = self._start(url, act, size, title)
        persist(session)
        return self._transfer_and_finish(
            url, act, path, size, title, session, progress, persist, False
        )

    # ------------------------------------------------------------------ phases

    @staticmethod
    def _can_resume(session: UploadSession, size: int) -> bool:
        if session.file_size is not None and session.file_size != size:
            return False
        return bool(session.video_id and session.upload_session_id) and (
            0 <= session.next_offset <= size
        )

    def _start(self, url: str, act: str, size: int, title: str) -> UploadSession:
        # The title goes with the start too, so a video whose start answer was lost can be
        # recognised (and removed) by its title.
        data = start_params(size, title)
        body = self._retry.run(
            lambda: self._post(url, act, data=data),
            idempotent=False,
            on_retry=self._log_retry,
            sleep=self._sleep,
            describe="the start of the video upload",
        )
        video_id = body.get("video_id")
        session_id = body.get("upload_session_id")
        if not video_id or not session_id:
            raise MetaApiError(
                message="Meta's answer to the upload start lacks video_id or upload_session_id"
            )
        start, end = _window(body, size)
        return UploadSession(str(video_id), str(session_id), start, end, size)

    def _transfer_and_finish(
        self,
        url: str,
        act: str,
        path: Path,
        size: int,
        title: str,
        session: UploadSession,
        progress: Callable[[UploadProgress], None],
        persist: Callable[[UploadSession], None],
        resuming: bool,
    ) -> str:
        start = session.next_offset
        end = session.end_offset
        if end is None or not start <= end <= size:
            end = min(size, start + RESUME_GUESS_WINDOW)
        unconfirmed = resuming  # until Meta accepts one request, a resumed session may be gone
        mismatches = stalls = 0
        progress(UploadProgress(start, size))

        while start < end:
            try:
                body = self._send_chunk(url, act, path, session.upload_session_id, start, end)
            except MetaApiError as err:
                if err.subcode == CHUNK_MISMATCH_SUBCODE:
                    mismatches += 1
                    wanted = self._mismatch_window(err, size)
                    if wanted is None or mismatches > _MAX_MISMATCHES:
                        raise
                    log.info("Meta wants bytes %d-%d instead of %d-%d", *wanted, start, end)
                    unconfirmed = False
                    start, end = wanted
                    continue
                if unconfirmed and _is_session_gone(err):
                    raise _SessionGone(err.message) from err
                raise
            unconfirmed = False
            mismatches = 0
            new_start, new_end = _window(body, size)
            stalls = stalls + 1 if new_start <= start else 0
            if stalls >= _MAX_STALLS:
                raise MetaApiError(
                    message=f"Meta keeps asking for bytes {new_start}-{new_end} again; the upload "
                    "is not progressing, start it again later"
                )
            start, end = new_start, new_end
            session = replace(session, next_offset=start, end_offset=end, file_size=size)
            persist(session)
            progress(UploadProgress(start, size))

        if start < size:
            log.warning("Meta ended the transfer at byte %d of %d; finishing anyway", start, size)
        try:
            self._finish(url, act, session.upload_session_id, title)
        except MetaApiError as err:
            if unconfirmed and _is_session_gone(err):
                raise _SessionGone(err.message) from err
            raise
        return session.video_id

    def _send_chunk(
        self, url: str, act: str, path: Path, session_id: str, start: int, end: int
    ) -> dict[str, Any]:
        fields = transfer_params(session_id, start)

        def once() -> dict[str, Any]:
            chunk = _ChunkBody(path, start, end, fields, _safe_filename(path.name))
            return self._post(url, act, data=chunk, headers={"Content-Type": chunk.content_type})

        # Offsets address the bytes, so resending a chunk is harmless: idempotent.
        return self._retry.run(
            once,
            idempotent=True,
            on_retry=self._log_retry,
            sleep=self._sleep,
            describe=f"the upload of bytes {start}-{end}",
        )

    def _finish(self, url: str, act: str, session_id: str, title: str) -> None:
        data = finish_params(session_id, title)
        body = self._retry.run(
            lambda: self._post(url, act, data=data),
            idempotent=False,
            on_retry=self._log_retry,
            sleep=self._sleep,
            describe="the end of the video upload",
        )
        if body.get("success") is not True:
            raise MetaApiError(message="Meta did not confirm the end of the video upload")

    @staticmethod
    def _mismatch_window(error: MetaApiError, size: int) -> tuple[int, int] | None:
        data = error.error_data
        if "start_offset" not in data or "end_offset" not in data:
            return None
        try:
            return _window(data, size)
        except MetaApiError:
            return None

    # ------------------------------------------------------------------ HTTP

    def _post(
        self,
        url: str,
        act: str,
        *,
        data: Mapping[str, str] | _ChunkBody,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.post(
                url,
                params=self._auth(),
                data=data,
                headers=dict(headers or {}),
                timeout=self._timeout,
            )
        except Exception:
            metrics.META_CALLS.labels("POST", "transport").inc()
            raise
        metrics.record_usage_headers(response.headers)
        self._usage.record(response.headers)
        try:
            body = parse_graph_response(
                response.status_code, response.headers, response.content, account_id=act
            )
        except MetaApiError as exc:
            metrics.META_CALLS.labels("POST", str(exc.code or "unknown")).inc()
            raise
        metrics.META_CALLS.labels("POST", "ok").inc()
        if not isinstance(body, dict):
            raise MetaApiError(message="Meta's upload answer is not a JSON object")
        return body

    @staticmethod
    def _log_retry(failure: Exception, delay: float) -> None:
        text = failure.message if isinstance(failure, MetaApiError) else str(failure)
        log.warning("video upload: %s; retrying in %.1f s", redact_secrets(text), delay)
