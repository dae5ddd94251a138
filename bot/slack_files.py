"""Fetch the video a user attached in the modal, safely.

Only a file id from the payload is trusted, never a URL: the file is looked up with ``files.info``
using our bot token (so a file from another workspace is simply not found), then its
``url_private_download`` is streamed to disk with the same token, refusing HTML (Slack's login
page when auth fails), anything larger than the cap, and content that is not a video.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from meta.errors import VideoRejectedError
from meta.file_kinds import VIDEO_CONTAINER_KINDS, describe_kind, sniff_kind

MAX_VIDEO_BYTES = 4 * 1024**3
_CHUNK = 1024 * 1024
# Early refusal of obvious non-videos; the full check runs on the downloaded file.
_VIDEO_KINDS = VIDEO_CONTAINER_KINDS
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _trusted_host(url: str, api_base: str) -> bool:
    """The bot token is only ever sent to Slack itself (or the Slack API host configured)."""
    host = urlsplit(url).hostname or ""
    api_host = urlsplit(api_base).hostname or ""
    return (
        host == api_host or host == "slack.com" or host.endswith((".slack.com", ".slack-edge.com"))
    )


@dataclass(frozen=True)
class DownloadedFile:
    path: Path
    name: str
    size: int


def download_slack_file(
    client: WebClient,
    file_id: str,
    *,
    dest_dir: Path | None = None,
    max_bytes: int = MAX_VIDEO_BYTES,
    on_progress: Callable[[int, int], None] | None = None,
    timeout: float = 60,
) -> DownloadedFile:
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        raise VideoRejectedError(
            f"Slack could not find the uploaded file ({exc.response.get('error')}); attach it again"
        ) from None
    size = int(info.get("size") or 0)
    name = str(info.get("name") or "video")
    if size > max_bytes:
        raise VideoRejectedError(
            f"{name} is {_size_text(size)}; the limit is {_size_text(max_bytes)}. "
            "Upload a smaller file"
        )
    url = info.get("url_private_download") or info.get("url_private")
    if not url or urlsplit(url).scheme not in ("http", "https"):
        raise VideoRejectedError(f"Slack offers no download for {name}; attach it again")
    if not _trusted_host(url, client.base_url):
        raise VideoRejectedError(f"Slack pointed {name} at an unexpected host; attach it again")
    folder = dest_dir or Path(tempfile.mkdtemp(prefix="adbee-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (_SAFE_NAME.sub("_", Path(name).name) or "video.mp4")
    token = client.token or ""
    with requests.get(
        url,
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=timeout,
        allow_redirects=False,
    ) as response:
        if response.status_code != 200:
            raise VideoRejectedError(
                f"Slack refused the download of {name} (HTTP {response.status_code}); attach it again"
            )
        if "text/html" in response.headers.get("Content-Type", ""):
            raise VideoRejectedError(
                f"Slack sent a web page instead of {name}: the bot cannot read this file"
            )
        received = 0
        with target.open("wb") as out:
            for chunk in response.iter_content(_CHUNK):
                if received == 0:
                    kind = sniff_kind(chunk[:4096])
                    if kind is not None and kind not in _VIDEO_KINDS:
                        raise VideoRejectedError(
                            f"{name} is not a video: it looks like {describe_kind(kind)}. "
                            "Upload a video file (an H.264 MP4 is the safest choice)."
                        )
                received += len(chunk)
                if received > max_bytes:
                    raise VideoRejectedError(
                        f"{name} is larger than {_size_text(max_bytes)}, the limit; "
                        "upload a smaller file"
                    )
                out.write(chunk)
                if on_progress:
                    on_progress(received, size or received)
    return DownloadedFile(path=target, name=name, size=received)


def _size_text(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def release_upload(video_path: Path, upload_root: Path) -> None:
    """Delete a video downloaded from Slack once its creation no longer needs it."""
    video, root = video_path.resolve(), upload_root.resolve()
    if root in video.parents and video.parent != root:
        shutil.rmtree(video.parent, ignore_errors=True)
