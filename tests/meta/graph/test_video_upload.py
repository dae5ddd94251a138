"""The chunked uploader against a real local HTTP server that speaks Meta's advideos protocol.

The server below is deliberately small and strict: it chooses the chunk windows, checks every
transfer against the window it asked for (answering 1363037 otherwise, like Meta), writes the
received bytes at their offsets into a file, and can inject the failures the uploader must survive.
It is not the shared Graph emulator (emulators/sandbox/), on purpose: these tests pin the uploader alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from meta.domain.errors import MetaApiError, MetaTransportError, VideoProcessingError
from meta.graph.retry import RetryPolicy
from meta.graph.upload import UploadProgress, UploadSession, VideoUploader
from meta.video.processing import wait_until_ready

TOKEN = "TOKEN-abc"
PROOF = "PROOF-123"
ACCOUNT = "act_123"
MiB = 1024 * 1024


# ------------------------------------------------------------------------------ fake server


@dataclass
class Fault:
    """One injected failure, consumed by the next request of ``phase``.

    kind: transient (500 code 2), bare502 (502 empty), throttle (400 code 80004 + ``headers``),
    too_large (413 empty body), fatal (400 code 352), drop_before (close the connection without
    acting), drop_after (act, then close without answering), pass (no fault), rewind (forget the last chunk, answer
    1363037 with the window wanted; ``data_as_string`` sends error_data JSON-encoded), forget
    (lose every upload session first).
    """

    phase: str
    kind: str
    headers: dict[str, str] = field(default_factory=dict)
    data_as_string: bool = False


@dataclass
class UploadState:
    video_id: str
    size: int
    path: Path
    start: int = 0
    end: int = 0
    last_chunk: tuple[int, int] | None = None
    finished: bool = False
    title: str | None = None


class AdVideosServer:
    """State shared with the handler threads."""

    def __init__(self, tmp: Path, windows: list[int]) -> None:
        self.tmp = tmp
        self.windows = windows
        self.window_index = 0
        self.sessions: dict[str, UploadState] = {}
        self.faults: list[Fault] = []
        self.log: list[tuple[str, int, int]] = []  # (phase, start_offset, chunk length)
        self.lock = threading.Lock()
        self.next_video = 1000

    def inject(self, phase: str, kind: str, **kwargs: Any) -> None:
        self.faults.append(Fault(phase, kind, **kwargs))

    def take_fault(self, phase: str) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.phase == phase:
                return self.faults.pop(index)
        return None

    def next_window(self, start: int, size: int) -> int:
        width = self.windows[self.window_index % len(self.windows)]
        self.window_index += 1
        return min(size, start + width)

    def count(self, phase: str) -> int:
        return sum(1 for entry in self.log if entry[0] == phase)

    def only_session(self) -> UploadState:
        assert len(self.sessions) == 1
        return next(iter(self.sessions.values()))


def _error(code: int, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "TRACE1",
            **extra,
        }
    }


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], memoryview]:
    """Fields and the chunk as a view into ``body`` (no copy: the memory test counts us too)."""
    boundary = content_type.split("boundary=", 1)[1].strip().encode()
    delimiter = b"--" + boundary
    fields: dict[str, str] = {}
    chunk = memoryview(b"")
    view = memoryview(body)
    position = body.index(delimiter) + len(delimiter)
    while body[position : position + 2] != b"--":
        header_end = body.index(b"\r\n\r\n", position)
        headers = body[position:header_end].decode()
        data_start = header_end + 4
        data_end = body.index(b"\r\n" + delimiter, data_start)
        name = headers.split('name="', 1)[1].split('"', 1)[0]
        if name == "video_file_chunk":
            assert "filename=" in headers
            chunk = view[data_start:data_end]
        else:
            fields[name] = body[data_start:data_end].decode()
        position = data_end + 2 + len(delimiter)
    return fields, chunk


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body as two writes cost a 40 ms delayed ACK
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(
        self, status: int, payload: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        raw = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _drop(self) -> None:
        self.close_connection = True  # no response at all: the client sees a dropped connection

    def do_POST(self) -> None:
        state: AdVideosServer = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        assert "chunked" not in self.headers.get("Transfer-Encoding", ""), "must send a length"
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if url.path != f"/v26.0/{ACCOUNT}/advideos":
            return self._send(404, _error(100, f"Unknown path {url.path}"))
        if query.get("access_token") != [TOKEN] or query.get("appsecret_proof") != [PROOF]:
            return self._send(400, _error(190, "Invalid OAuth access token."))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            fields, chunk = _parse_multipart(body, content_type)
        else:
            fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            chunk = memoryview(b"")
        phase = fields.get("upload_phase", "")

        with state.lock:
            state.log.append((phase, int(fields.get("start_offset", 0)), len(chunk)))
            fault = state.take_fault(phase)
            if fault is not None:
                if fault.kind == "transient":
                    return self._send(
                        500, _error(2, "Service temporarily unavailable", is_transient=True)
                    )
                if fault.kind == "bare502":
                    return self._send(502)
                if fault.kind == "throttle":
                    return self._send(
                        400,
                        _error(
                            80004,
                            "(#80004) There have been too many calls to this ad-account.",
                            error_subcode=2446079,
                        ),
                        headers=fault.headers,
                    )
                if fault.kind == "too_large":
                    return self._send(413)
                if fault.kind == "fatal":
                    return self._send(
                        400,
                        _error(
                            352,
                            "The video file you selected is in a format that we don't support.",
                            error_user_title="Unsupported video format",
                            error_user_msg="Upload a video in a supported format.",
                        ),
                    )
                if fault.kind == "drop_before":
                    return self._drop()
                if fault.kind == "forget":
                    state.sessions.clear()
                if fault.kind == "rewind":
                    upload = state.sessions[fields["upload_session_id"]]
                    assert upload.last_chunk is not None
                    upload.start, upload.end = upload.last_chunk
                    data: Any = {"start_offset": str(upload.start), "end_offset": str(upload.end)}
                    if fault.data_as_string:
                        data = json.dumps(data)
                    return self._send(
                        400,
                        _error(
                            100, "(#100) Invalid parameter", error_subcode=1363037, error_data=data
                        ),
                    )

            if phase == "start":
                size = int(fields["file_size"])
                session_id = uuid.uuid4().hex
                video_id = str(state.next_video)
                state.next_video += 1
                upload = UploadState(video_id, size, state.tmp / f"received-{video_id}.bin")
                upload.path.write_bytes(b"")
                upload.end = state.next_window(0, size)
                state.sessions[session_id] = upload
                answer = {
                    "video_id": video_id,
                    "upload_session_id": session_id,
                    "start_offset": "0",
                    "end_offset": str(upload.end),
                }
            elif phase in ("transfer", "finish"):
                upload = state.sessions.get(fields.get("upload_session_id", ""))
                if upload is None:
                    return self._send(400, _error(100, "(#100) Invalid upload session id"))
                if phase == "transfer":
                    start = int(fields["start_offset"])
                    if start != upload.start or len(chunk) != upload.end - upload.start:
                        return self._send(
                            400,
                            _error(
                                100,
                                "(#100) Invalid parameter",
                                error_subcode=1363037,
                                error_data={
                                    "start_offset": str(upload.start),
                                    "end_offset": str(upload.end),
                                },
                            ),
                        )
                    with upload.path.open("r+b") as f:
                        f.seek(start)
                        f.write(chunk)
                    upload.last_chunk = (upload.start, upload.end)
                    upload.start = upload.end
                    upload.end = state.next_window(upload.start, upload.size)
                    answer = {"start_offset": str(upload.start), "end_offset": str(upload.end)}
                else:
                    if upload.start != upload.size:
                        return self._send(
                            400,
                            _error(
                                6001,
                                "There was a problem uploading your video file. Please try again.",
                            ),
                        )
                    upload.finished = True
                    upload.title = fields.get("title")
                    answer = {"success": True}
            else:
                return self._send(400, _error(100, f"(#100) bad upload_phase {phase!r}"))

            if fault is not None and fault.kind == "drop_after":
                return self._drop()
        return self._send(200, answer)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[AdVideosServer, str]]:
    received = tmp_path / "server"
    received.mkdir()
    state = AdVideosServer(received, windows=[256 * 1024])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# ------------------------------------------------------------------------------ helpers


def make_file(path: Path, size: int) -> Path:
    """Random bytes (the uploader does not care about content), written block by block."""
    with path.open("wb") as f:
        remaining = size
        while remaining:
            block = os.urandom(min(MiB, remaining))
            f.write(block)
            remaining -= len(block)
    return path


def digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(MiB):
            hasher.update(block)
    return hasher.hexdigest()


def uploader(url: str, sleeps: list[float], **kwargs: Any) -> VideoUploader:
    policy = kwargs.pop("retry", RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0))
    return VideoUploader(
        video_url=url,
        api_version="v26.0",
        access_token=TOKEN,
        appsecret_proof=PROOF,
        retry=policy,
        sleep=sleeps.append,
        timeout=10,
        **kwargs,
    )


def received(state: AdVideosServer, video_id: str) -> Path:
    return state.tmp / f"received-{video_id}.bin"


class Crash(Exception):
    """Simulates the process dying right after persisting a session."""


# ------------------------------------------------------------------------------ happy paths


def test_upload_sends_every_byte_in_server_chosen_windows(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 5 * MiB + 12345)
    sessions: list[UploadSession] = []
    progress: list[UploadProgress] = []
    sleeps: list[float] = []

    video_id = uploader(url, sleeps).upload(
        account_id=ACCOUNT,
        path=video,
        title="Launch ad",
        on_progress=progress.append,
        on_session=sessions.append,
    )

    upload = state.only_session()
    assert video_id == upload.video_id and upload.finished and upload.title == "Launch ad"
    assert digest(received(state, video_id)) == digest(video)
    size = video.stat().st_size
    expected_chunks = -(-size // (256 * 1024))
    assert state.count("transfer") == expected_chunks
    assert [length for phase, _, length in state.log if phase == "transfer"][:-1] == [
        256 * 1024
    ] * (expected_chunks - 1)
    assert (state.count("start"), state.count("finish")) == (1, 1)
    # a session after start and after each chunk, offsets moving forward to the end
    assert len(sessions) == expected_chunks + 1
    assert [s.next_offset for s in sessions] == sorted(s.next_offset for s in sessions)
    assert sessions[-1].next_offset == size and sessions[-1].file_size == size
    assert progress[-1] == UploadProgress(size, size) and progress[-1].percent == 100.0
    assert sleeps == []


def test_windows_of_varying_size_and_bare_account_id(server, tmp_path: Path) -> None:
    state, url = server
    state.windows = [1000, 70_000, 1, 300_000]
    video = make_file(tmp_path / "ad.mov", 1_000_003)
    video_id = uploader(url, []).upload(account_id="123", path=video, title="t")
    assert digest(received(state, video_id)) == digest(video)
    lengths = [length for phase, _, length in state.log if phase == "transfer"]
    assert lengths[:4] == [1000, 70_000, 1, 300_000] and sum(lengths) == 1_000_003


def test_memory_stays_bounded_by_the_chunk_size(server, tmp_path: Path) -> None:
    """40 MB in 4 MiB windows: peak traced memory (client and this in-process server) < 3 chunks."""
    state, url = server
    chunk = 4 * MiB
    state.windows = [chunk]
    video = make_file(tmp_path / "big.mp4", 40_000_000)
    client = uploader(url, [])

    tracemalloc.start()
    try:
        video_id = client.upload(account_id=ACCOUNT, path=video, title="big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest(received(state, video_id)) == digest(video)
    assert state.count("transfer") == 10
    assert peak < 3 * chunk, f"peak {peak / MiB:.1f} MiB"


# ------------------------------------------------------------------------------ injected faults


@pytest.mark.parametrize("as_string", [False, True])
def test_chunk_mismatch_1363037_resumes_from_metas_offsets(server, tmp_path, as_string) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 1 * MiB)
    state.inject("transfer", "pass")  # chunk 1 goes through...
    state.inject("transfer", "rewind", data_as_string=as_string)  # ...then Meta "loses" it
    sleeps: list[float] = []

    video_id = uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")

    assert digest(received(state, video_id)) == digest(video)
    starts = [start for phase, start, _ in state.log if phase == "transfer"]
    assert starts[:4] == [0, 256 * 1024, 0, 256 * 1024]  # resent from Meta's error_data
    assert sleeps == []  # a mismatch is answered at once, no backoff


def test_resume_with_a_guessed_window_is_corrected_by_1363037(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 3 * MiB)
    saved: list[UploadSession] = []

    def persist(session: UploadSession) -> None:
        saved.append(session)
        if len(saved) == 3:
            raise Crash

    with pytest.raises(Crash):
        uploader(url, []).upload(account_id=ACCOUNT, path=video, title="t", on_session=persist)
    # an older caller that only kept the three documented fields
    old = UploadSession(saved[-1].video_id, saved[-1].upload_session_id, saved[-1].next_offset)
    video_id = uploader(url, []).upload(
        account_id=ACCOUNT, path=video, title="t", resume_session=old
    )
    assert video_id == saved[0].video_id
    assert digest(received(state, video_id)) == digest(video)
    transfers = [(s, n) for phase, s, n in state.log if phase == "transfer"]
    assert transfers[2] == (512 * 1024, 3 * MiB - 512 * 1024)  # the guess, refused: 1363037
    assert transfers[3] == (512 * 1024, 256 * 1024)  # then exactly Meta's window


def test_resume_after_crash_sends_only_the_remaining_chunks(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 2 * MiB + 7)
    saved: list[dict[str, Any]] = []

    def persist(session: UploadSession) -> None:
        saved.append(session.to_dict())  # what the job store keeps (JSON)
        if len(saved) == 4:  # after start + 3 chunks
            raise Crash

    with pytest.raises(Crash):
        uploader(url, []).upload(account_id=ACCOUNT, path=video, title="t", on_session=persist)
    assert state.count("transfer") == 3

    session = UploadSession.from_dict(json.loads(json.dumps(saved[-1])))
    assert UploadSession(**saved[-1]) == session  # the pipeline rebuilds it this way
    progress: list[UploadProgress] = []
    video_id = uploader(url, []).upload(
        account_id=ACCOUNT,
        path=video,
        title="t",
        resume_session=session,
        on_progress=progress.append,
    )

    assert video_id == session.video_id and state.count("start") == 1
    assert digest(received(state, video_id)) == digest(video)
    assert state.count("transfer") == 9  # 3 before the crash + the 6 remaining, none twice
    assert progress[0].bytes_sent == 3 * 256 * 1024


def test_resume_of_a_session_meta_forgot_starts_over(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 1 * MiB)
    saved: list[UploadSession] = []

    def persist(session: UploadSession) -> None:
        saved.append(session)
        if len(saved) == 2:
            raise Crash

    with pytest.raises(Crash):
        uploader(url, []).upload(account_id=ACCOUNT, path=video, title="t", on_session=persist)
    state.inject("transfer", "forget")

    video_id = uploader(url, []).upload(
        account_id=ACCOUNT, path=video, title="t", resume_session=saved[-1]
    )

    assert video_id != saved[-1].video_id and state.count("start") == 2
    assert digest(received(state, video_id)) == digest(video)


def test_resume_with_a_different_file_starts_over(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 300_000)
    stale = UploadSession("999", "gone", 100, 200, file_size=123)
    video_id = uploader(url, []).upload(
        account_id=ACCOUNT, path=video, title="t", resume_session=stale
    )
    assert state.count("start") == 1 and digest(received(state, video_id)) == digest(video)


@pytest.mark.parametrize("kind", ["transient", "bare502", "drop_before", "drop_after"])
def test_transfer_survives_transient_errors_and_dropped_connections(server, tmp_path, kind):
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 1 * MiB)
    state.inject("transfer", kind)
    sleeps: list[float] = []

    video_id = uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")

    assert digest(received(state, video_id)) == digest(video)
    assert sleeps == [0.5]  # one backoff, then the chunk went through
    # drop_after: Meta kept the chunk but the answer was lost; the resend is answered by 1363037
    # naming the next window, so nothing is written twice and the upload still completes
    assert state.only_session().finished


def test_transient_errors_give_up_after_max_attempts(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 100_000)
    for _ in range(4):
        state.inject("transfer", "transient")
    sleeps: list[float] = []
    with pytest.raises(MetaApiError) as caught:
        uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert caught.value.code == 2 and caught.value.is_transient
    assert sleeps == [0.5, 1.0, 2.0]  # exponential backoff, 4 attempts in all


@pytest.mark.parametrize(
    ("headers", "expected_wait"),
    [
        (
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        "123": [
                            {
                                "type": "ads_management",
                                "call_count": 100,
                                "total_cputime": 20,
                                "total_time": 20,
                                "estimated_time_to_regain_access": 2,
                                "ads_api_access_tier": "development_access",
                            }
                        ]
                    }
                )
            },
            120.0,
        ),
        (
            {
                "X-Ad-Account-Usage": json.dumps(
                    {
                        "acc_id_util_pct": 100,
                        "reset_time_duration": 45,
                        "ads_api_access_tier": "standard_access",
                    }
                )
            },
            45.0,
        ),
        ({"Retry-After": "7"}, 7.0),
        ({}, 60.0),  # a throttle without any header: the policy's default wait
    ],
)
def test_throttle_waits_as_long_as_meta_asks(server, tmp_path, headers, expected_wait) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 600_000)
    state.inject("transfer", "throttle", headers=headers)
    sleeps: list[float] = []
    video_id = uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert sleeps == [expected_wait]
    assert digest(received(state, video_id)) == digest(video)


def test_throttle_longer_than_the_cap_is_raised_for_the_scheduler(server, tmp_path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 600_000)
    usage = {"123": [{"type": "ads_management", "estimated_time_to_regain_access": 30}]}
    state.inject("start", "throttle", headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    sleeps: list[float] = []
    with pytest.raises(MetaApiError) as caught:
        uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert caught.value.is_throttle and caught.value.retry_after_seconds == 1800
    assert sleeps == [] and state.count("start") == 1


def test_413_with_an_empty_body_becomes_a_clear_error(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 100_000)
    state.inject("start", "too_large")
    sleeps: list[float] = []
    with pytest.raises(MetaApiError) as caught:
        uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert caught.value.message == "Meta refused the upload as too large (HTTP 413)"
    assert caught.value.http_status == 413 and not caught.value.is_transient
    assert sleeps == []


def test_a_refusal_is_raised_at_once_with_metas_words(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 600_000)
    state.inject("transfer", "fatal")
    sleeps: list[float] = []
    with pytest.raises(MetaApiError) as caught:
        uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    err = caught.value
    assert (err.code, err.http_status, err.fbtrace_id) == (352, 400, "TRACE1")
    assert (
        err.user_text()
        == "Unsupported video format: Upload a video in a supported format. (code 352)"
    )
    assert sleeps == [] and state.count("transfer") == 1


def test_transient_meta_error_on_start_is_retried(server, tmp_path: Path) -> None:
    """A clean error answer proves start did not happen, so even this non-idempotent call retries."""
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 100_000)
    state.inject("start", "transient")
    sleeps: list[float] = []
    uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert sleeps == [0.5] and state.only_session().finished


def test_dropped_connection_on_start_is_not_retried(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 100_000)
    state.inject("start", "drop_after")
    sleeps: list[float] = []
    with pytest.raises(MetaTransportError) as caught:
        uploader(url, sleeps).upload(account_id=ACCOUNT, path=video, title="t")
    assert "unknown whether" in caught.value.message
    assert TOKEN not in caught.value.message and PROOF not in caught.value.message
    assert sleeps == [] and len(state.sessions) == 1  # one (orphan) session, not two


def test_dropped_finish_raises_then_resume_only_finishes(server, tmp_path: Path) -> None:
    state, url = server
    video = make_file(tmp_path / "ad.mp4", 600_000)
    state.inject("finish", "drop_before")
    saved: list[UploadSession] = []
    with pytest.raises(MetaTransportError):
        uploader(url, []).upload(account_id=ACCOUNT, path=video, title="t", on_session=saved.append)
    assert saved[-1].next_offset == 600_000
    transfers = state.count("transfer")

    video_id = uploader(url, []).upload(
        account_id=ACCOUNT, path=video, title="t", resume_session=saved[-1]
    )
    assert video_id == saved[-1].video_id and state.count("transfer") == transfers
    assert state.only_session().finished


def test_connection_refused_is_a_transport_error(tmp_path: Path) -> None:
    video = make_file(tmp_path / "ad.mp4", 1000)
    sleeps: list[float] = []
    client = uploader("http://127.0.0.1:9", sleeps, retry=RetryPolicy(max_attempts=2, jitter=0))
    with pytest.raises(MetaTransportError) as caught:
        client.upload(account_id=ACCOUNT, path=video, title="t")
    # nothing was sent, so even the non-idempotent start was retried once
    assert sleeps == [1.0] and "after 2 attempts" in caught.value.message
    assert TOKEN not in caught.value.message


# ------------------------------------------------------------------------------ processing wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _status(state: str, progress: int = 0, **phases: Any) -> dict[str, Any]:
    return {"video_status": state, "processing_progress": progress, **phases}


def test_wait_until_ready_polls_until_ready() -> None:
    answers = iter(
        [
            {"status": _status("processing", 10), "id": "1"},  # whole node accepted too
            _status("processing", 60),
            _status("ready", 100),
        ]
    )
    clock = FakeClock()
    seen: list[tuple[str, int]] = []
    status = wait_until_ready(
        lambda: next(answers),
        interval=3,
        on_progress=lambda s, p: seen.append((s, p)),
        sleep=clock.sleep,
        clock=clock,
    )
    assert status["video_status"] == "ready"
    assert seen == [("processing", 10), ("processing", 60), ("ready", 100)]
    # First polls come soon; at 60% after half a second, the projected finish is sooner still.
    assert clock.sleeps == [0.5, 0.5]


def test_wait_until_ready_reports_metas_phase_errors() -> None:
    failed = _status(
        "error",
        processing_phase={
            "status": "error",
            "errors": [{"code": 1363008, "message": "Video file is corrupt"}],
        },
        uploading_phase={"status": "complete"},
    )
    with pytest.raises(VideoProcessingError) as caught:
        wait_until_ready(lambda: failed, sleep=lambda s: None)
    assert "during processing: Video file is corrupt (code 1363008)" in caught.value.message
    assert not caught.value.retryable


def test_wait_until_ready_stops_on_a_failed_phase_even_while_processing() -> None:
    status = _status("processing", 40, publishing_phase={"status": "error", "errors": []})
    with pytest.raises(VideoProcessingError, match="during publishing: Meta gave no reason"):
        wait_until_ready(lambda: status, sleep=lambda s: None)


def test_wait_until_ready_expired() -> None:
    with pytest.raises(VideoProcessingError, match="expired"):
        wait_until_ready(lambda: _status("expired"), sleep=lambda s: None)


def test_wait_until_ready_times_out_without_oversleeping() -> None:
    clock = FakeClock()
    with pytest.raises(VideoProcessingError) as caught:
        wait_until_ready(
            lambda: _status("processing", 42),
            timeout=10,
            interval=4,
            sleep=clock.sleep,
            clock=clock,
        )
    assert caught.value.retryable and "42% done" in caught.value.message
    assert clock.now == 10 and max(clock.sleeps) <= 4
    assert sum(clock.sleeps) == pytest.approx(10)


def test_wait_until_ready_tolerates_a_few_transient_poll_failures() -> None:
    calls = {"n": 0}

    def flaky() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise MetaApiError(message="Service temporarily unavailable", code=2)
        return _status("ready", 100)

    assert wait_until_ready(flaky, sleep=lambda s: None)["video_status"] == "ready"

    def broken() -> dict[str, Any]:
        raise MetaApiError(message="Invalid OAuth access token.", code=190)

    with pytest.raises(MetaApiError):
        wait_until_ready(broken, sleep=lambda s: None)


def test_polls_back_off_to_the_interval_when_meta_reports_no_progress() -> None:
    answers = iter([_status("processing", 0)] * 5 + [_status("ready", 100)])
    clock = FakeClock()
    wait_until_ready(lambda: next(answers), interval=3, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [0.5, 1, 2, 3, 3]
