"""Ad video uploads (simple and chunked start/transfer/finish) and processing state.

Mirrors platform-facts.md §1.1 and the SDK's ``video_uploader.py``: the server picks the transfer
windows, offsets are numeric strings, a wrong ``start_offset`` is subcode 1363037 with the
window to resume from in ``error_data`` (as a dict, which the SDK indexes), and ``finish``
returns ``{"success": true}`` (the SDK deletes that key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .context import Ctx
from .errors import GraphError, RawResponse, param_error, unsupported_request
from .media import probe_video
from .store import Node

_PHASES = ("start", "transfer", "finish", "cancel")
_UPLOAD_ERROR = "There was a problem uploading your video file. Please try again."


@dataclass
class UploadSession:
    """One resumable upload."""

    id: str
    video_id: str
    account_id: str
    file_size: int
    created: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)
    finished: bool = False
    canceled: bool = False

    @property
    def received(self) -> int:
        """Bytes received so far (always a prefix of the file)."""
        return len(self.buffer)


# Ad Videos reference: ``title`` "must be less than 255 characters" (platform-facts.md §1.1, Ad videos reference).
# [uncertain] Meta does not say how it counts; the emulator counts UTF-16 code units (an emoji
# is 2), the stricter plausible count, and refuses rather than truncates so a client that sends
# a too-long title is caught (Meta's exact answer is not documented; code 100 as for any
# invalid parameter [INFER]).
MAX_TITLE_UTF16_UNITS = 254


def _title(ctx: Ctx, *names: str) -> str | None:
    """The first of ``names`` given, refused when longer than Meta's title limit."""
    for name in names:
        value = ctx.params.text(name)
        if value is None:
            continue
        units = len(value.encode("utf-16-le", errors="surrogatepass")) // 2
        if name == "title" and units > MAX_TITLE_UTF16_UNITS:
            raise param_error(
                f"Param title must be less than 255 characters (got {units} UTF-16 code units)"
            )
        return value
    return None


def _new_video(ctx: Ctx, title: str | None, description: str | None) -> Node:
    account = ctx.require_account()
    data: dict[str, Any] = {}
    if title:
        data["title"] = title
    if description:
        data["description"] = description
    video = Node(
        id=ctx.store.new_id(),
        kind="advideo",
        account_id=account.id,
        data=data,
        created=ctx.now,
        updated=ctx.now,
        meta={"phase": "uploading", "bytes_received": 0},
    )
    return ctx.store.add(video)


def _start_processing(ctx: Ctx, video: Node, content: bytes | None) -> None:
    """Uploading done: processing runs for ``video_processing_seconds`` then ready/error."""
    info = probe_video(content) if content is not None else None
    error: str | None = None
    if ctx.settings.fail_video_processing_next:
        ctx.settings.fail_video_processing_next = False
        error = "Video processing failed. The video could not be transcoded."
    elif ctx.settings.strict_media and content is not None and info is None:
        error = "The video file you uploaded is in a format that we don't support."
    video.meta.update(
        phase="processing",
        processing_started=ctx.now,
        processing_error=error,
        info=info,
        content=content,
    )
    if content is not None:
        video.meta["bytes_received"] = len(content)
    video.updated = ctx.now


def _too_small() -> GraphError:
    return GraphError(
        message="(#382) The video file you tried to upload is too small. Please try again with a larger file.",
        code=382,
    )


def _simple_upload(ctx: Ctx) -> dict[str, Any]:
    source = ctx.files.get("source")
    p = ctx.params
    if source is None:
        if p.has("source"):
            raise param_error("Param source must be a file upload")
        if p.has("file_url"):
            video = _new_video(ctx, _title(ctx, "title", "name"), p.text("description"))
            _start_processing(ctx, video, None)
            return {"id": video.id}
        raise GraphError(
            message="(#100) No file or file_url was provided for the video upload",
            code=100,
        )
    size = len(source.content)
    if size > ctx.settings.max_simple_upload_bytes:
        raise RawResponse(413)  # COMM: oversized single POST -> 413 with an empty body
    if size == 0:
        raise _too_small()
    video = _new_video(ctx, _title(ctx, "title", "name"), p.text("description"))
    _start_processing(ctx, video, source.content)
    return {"id": video.id}


def _session(ctx: Ctx) -> UploadSession:
    session_id = ctx.params.text("upload_session_id")
    if session_id is None:
        raise param_error("The parameter upload_session_id is required")
    session = ctx.store.upload_sessions.get(session_id)
    ttl = ctx.settings.upload_session_ttl_seconds
    if (
        not isinstance(session, UploadSession)
        or session.account_id != ctx.require_account().id
        or session.canceled
        or (ttl is not None and ctx.now - session.created > ttl)
    ):
        raise GraphError(
            message=_UPLOAD_ERROR,
            code=6001,
            user_title="Invalid Upload Session",
            user_msg=f"The upload session {session_id} does not exist, expired or was canceled.",
        )
    return session


def _window(ctx: Ctx, session: UploadSession) -> dict[str, str]:
    start = session.received
    end = min(start + ctx.settings.chunk_size, session.file_size)
    return {"start_offset": str(start), "end_offset": str(end)}


def _mismatch(ctx: Ctx, session: UploadSession, got: int) -> GraphError:
    window = _window(ctx, session)
    return GraphError(
        message=_UPLOAD_ERROR,
        code=6001,
        subcode=1363037,
        user_title="Upload Chunk Offset Mismatch",
        user_msg=(
            f"start_offset {got} does not match the expected offset {window['start_offset']}. "
            "Resume from error_data.start_offset."
        ),
        error_data=window,
    )


def _start(ctx: Ctx) -> dict[str, Any]:
    size = ctx.params.integer("file_size")
    if size is None:
        raise param_error("The parameter file_size is required")
    if size == 0:
        raise _too_small()
    video = _new_video(ctx, _title(ctx, "title"), ctx.params.text("description"))
    session = UploadSession(
        id=ctx.store.new_id(),
        video_id=video.id,
        account_id=video.account_id,
        file_size=size,
        created=ctx.now,
    )
    ctx.store.upload_sessions[session.id] = session
    video.meta["file_size"] = size
    return {"video_id": video.id, **_window(ctx, session), "upload_session_id": session.id}


def _transfer(ctx: Ctx) -> dict[str, Any]:
    session = _session(ctx)
    start = ctx.params.integer("start_offset")
    if start is None:
        raise param_error("The parameter start_offset is required")
    chunk = ctx.files.get("video_file_chunk")
    if chunk is None:
        raise param_error("The parameter video_file_chunk is required")
    data = chunk.content
    if session.finished or start > session.received or start + len(data) > session.file_size:
        raise _mismatch(ctx, session, start)
    if start + len(data) > session.received:  # offset-addressed: re-sent bytes are idempotent
        session.buffer += data[session.received - start :]
    video = ctx.store.get(session.video_id)
    if video is not None:
        video.meta["bytes_received"] = session.received
    return _window(ctx, session)


def _finish(ctx: Ctx) -> dict[str, Any]:
    session = _session(ctx)
    video = ctx.store.get(session.video_id)
    if video is None:
        raise unsupported_request("post", session.video_id)
    _title(ctx, "title")
    if session.received < session.file_size:
        raise GraphError(
            message=_UPLOAD_ERROR,
            code=6001,
            user_title="Upload Incomplete",
            user_msg=f"Only {session.received} of {session.file_size} bytes were received.",
        )
    if not session.finished:
        session.finished = True
        for key in ("title", "description"):
            if ctx.params.has(key):
                video.data[key] = ctx.params.text(key)
        _start_processing(ctx, video, bytes(session.buffer))
    return {"success": True}


def _cancel(ctx: Ctx) -> dict[str, Any]:
    session = _session(ctx)
    session.canceled = True
    video = ctx.store.get(session.video_id)
    if video is not None:
        video.data["status"] = "DELETED"
    return {"success": True}


def advideos_post(ctx: Ctx) -> dict[str, Any]:
    """POST /act_X/advideos in all its forms."""
    phase = ctx.params.text("upload_phase")
    if phase is None:
        return _simple_upload(ctx)
    if phase not in _PHASES:
        raise param_error("Param upload_phase must be one of {cancel, finish, start, transfer}")
    if ctx.params.has("source_instagram_media_id"):
        raise param_error("source_instagram_media_id can't be combined with upload_phase")
    return {"start": _start, "transfer": _transfer, "finish": _finish, "cancel": _cancel}[phase](
        ctx
    )


def advideos_delete(ctx: Ctx) -> dict[str, Any]:
    """DELETE /act_X/advideos?video_id= dissociates the video from the account."""
    video_id = ctx.params.text("video_id")
    if video_id is None:
        raise param_error("The parameter video_id is required")
    video = ctx.store.get(video_id)
    if video is None or video.kind != "advideo" or video.account_id != ctx.require_account().id:
        raise unsupported_request("delete", video_id)
    video.data["status"] = "DELETED"
    return {"success": True}


def thumbnails_post(ctx: Ctx, video: Node) -> dict[str, Any]:
    """POST /<video>/thumbnails: a custom, optionally preferred, thumbnail."""
    source = ctx.files.get("source")
    if source is None:
        raise param_error("The parameter source is required")
    preferred = bool(ctx.params.boolean("is_preferred"))
    custom: list[dict[str, Any]] = video.meta.setdefault("custom_thumbnails", [])
    if preferred:
        for item in custom:
            item["is_preferred"] = False
    index = len(custom) + 10
    custom.insert(
        0,
        {
            "id": f"{video.id}{index:02d}",
            "height": 0,
            "is_preferred": preferred,
            "name": source.filename,
            "scale": 1,
            "uri": f"{ctx.base_url}/emulator-media/thumbnails/{video.id}/{index}.jpg",
            "width": 0,
        },
    )
    return {"success": True}
