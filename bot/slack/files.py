"""Fetch the video a user attached in the modal, safely.

Only a file id from the payload is trusted, never a URL: the file is looked up with ``files.info``
using our bot token (so a file from another workspace is simply not found), then its
``url_private_download`` is streamed to disk with the same token, refusing HTML (Slack's sign-in
page when the token cannot read the file), anything larger than the cap, and content that is not
a video.

Slack may answer the download with a redirect to its own file hosts (public reports show 302s to
``files.slack.com``, ``*.slack-edge.com`` and ``slack-files.com``). Redirects are followed here one
hop at a time, and the token goes only to a Slack-owned host over HTTPS, or to the host of the
configured Slack API (``SLACK_API_URL``: offline, the emulator; in production ``slack.com``). A
redirect anywhere else stops the download before a request is made, so the token never leaves
Slack.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from meta.domain.errors import VideoRejectedError
from meta.video.kinds import VIDEO_CONTAINER_KINDS, describe_kind, sniff_kind

MAX_VIDEO_BYTES = 4 * 1024**3
_CHUNK = 1024 * 1024
# Early refusal of obvious non-videos; the full check runs on the downloaded file.
_VIDEO_KINDS = VIDEO_CONTAINER_KINDS
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Slack's own domains for files [P: public reports of url_private_download redirects].
SLACK_FILE_DOMAINS = ("slack.com", "slack-edge.com", "slack-files.com")
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)


def _trusted_host(url: str, api_base: str) -> bool:
    """May the bot token go to ``url``? Only to Slack, or to the Slack API host configured.

    Slack-owned means ``slack.com``, ``slack-edge.com`` or ``slack-files.com`` or a subdomain,
    over HTTPS. The one other host is the configured API's own (same host name and port):
    ``SLACK_API_URL`` is where the token already goes, and offline it is the emulator.
    """
    target, api = urlsplit(url), urlsplit(api_base)
    host = (target.hostname or "").lower()
    if host and host == (api.hostname or "").lower() and target.port == api.port:
        return target.scheme == api.scheme
    owned = any(host == d or host.endswith("." + d) for d in SLACK_FILE_DOMAINS)
    return owned and target.scheme == "https"


def looks_like_html(first_bytes: bytes) -> bool:
    """A web page (Slack's sign-in page), whatever the Content-Type header claims."""
    return bool(_HTML_START.match(first_bytes.lstrip(b"\xef\xbb\xbf")))


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
    video: bool = True,
) -> DownloadedFile:
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "not_visible":  # shared only where the bot is not (files.info docs)
            raise VideoRejectedError(
                "AdBee cannot see that file: it is shared only in conversations AdBee is not in. "
                "Type `/invite @AdBee` in the channel where the file is (or share it in a channel "
                "AdBee is in), or attach the video in the form, then submit again."
            ) from None
        raise VideoRejectedError(
            f"Slack could not find the uploaded file ({error}); attach it again"
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
    with _follow_to_file(url, client.base_url, token, name, timeout) as response:
        received = 0
        with target.open("wb") as out:
            for chunk in response.iter_content(_CHUNK):
                if received == 0:
                    _check_first_bytes(chunk, name, video=video)
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


def _follow_to_file(
    url: str, api_base: str, token: str, name: str, timeout: float
) -> requests.Response:
    """GET ``url`` with the token, following Slack's redirects one hop at a time.

    Each hop's host is checked before the request, so the token is never sent off Slack; the
    final answer must be a 200 that is not Slack's sign-in page.
    """
    for _hop in range(MAX_REDIRECTS + 1):
        if not _trusted_host(url, api_base):
            host = urlsplit(url).hostname or "?"
            raise VideoRejectedError(
                f"Slack pointed the download of {name} at {host}, which is not a Slack host, so "
                "AdBee did not fetch it (its token only ever goes to Slack). Attach the file again; "
                "if this keeps happening, tell an admin."
            )
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=timeout,
            allow_redirects=False,
        )
        if response.status_code in _REDIRECTS and response.headers.get("Location"):
            url = urljoin(url, response.headers["Location"])
            response.close()
            continue
        if response.status_code != 200:
            response.close()
            raise VideoRejectedError(
                f"Slack refused the download of {name} (HTTP {response.status_code}); attach it again"
            )
        if "text/html" in response.headers.get("Content-Type", ""):
            response.close()
            raise VideoRejectedError(_sign_in_page(name))
        return response
    raise VideoRejectedError(
        f"Slack redirected the download of {name} more than {MAX_REDIRECTS} times; attach it again"
    )


def _check_first_bytes(chunk: bytes, name: str, *, video: bool = True) -> None:
    """Judge the file by its content: a web page (or, for a video, a known non-video) stops the
    download. ``video=False`` fetches another kind of file (a launch sheet) and only refuses
    Slack's sign-in page."""
    if looks_like_html(chunk[:512]):
        # A web page labelled as something else: an HTML file uploaded as a video, or Slack's
        # sign-in page served without its text/html type. Either way not a video.
        raise VideoRejectedError(
            f"{name} is not a video: Slack sent a web page (HTML). If you attached a real video, "
            "this is Slack's sign-in page and AdBee is not allowed to read the file: attach it in "
            "the form, or share it in a channel AdBee is in (type `/invite @AdBee` there), then "
            "submit again."
        )
    kind = sniff_kind(chunk[:4096])
    if video and kind is not None and kind not in _VIDEO_KINDS:
        raise VideoRejectedError(
            f"{name} is not a video: it looks like {describe_kind(kind)}. "
            "Upload a video file (an H.264 MP4 is the safest choice)."
        )


def _sign_in_page(name: str) -> str:
    return (
        f"Slack sent its sign-in page instead of {name}: AdBee is not allowed to read this file. "
        "Attach the video in the form, or share it in a channel AdBee is in (type "
        "`/invite @AdBee` there), then submit again."
    )


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
