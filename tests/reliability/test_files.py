"""The video is fetched from Slack only, and only if it is a whole video of sane size.

Only a file id from the modal is trusted: the bot asks ``files.info`` of its own workspace where
the file is and downloads it from there with its token. A URL in the payload (or in a pasted
link) is never fetched; a file another workspace holds is not found; a ``files.info`` answer that
points off Slack gets no token. Disguised non-videos, oversized files and truncated videos are
refused before a single byte goes to Meta.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_sdk import WebClient

import bot.slack.files
from bot.slack.files import download_slack_file
from handlers.ids import CampaignCreateBlock as B
from meta.domain.errors import VideoRejectedError
from tests.e2e.test_campaign_story import good_values, open_new_form
from tests.reliability.conftest import CAMPAIGNS, REQUESTER, ROOT, World, meta_writes, world

pytestmark = pytest.mark.reliability

VIDEO = (ROOT / "creatives" / "ainote2.mp4").read_bytes()


class Spy:
    """A web server standing in for an attacker's host: it records every request it gets."""

    def __init__(self) -> None:
        seen: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append({"path": self.path, "headers": dict(self.headers)})
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(VIDEO)))
                self.end_headers()
                self.wfile.write(VIDEO)

            def log_message(self, *args: object) -> None:
                pass

        self.requests = seen
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def spy() -> Iterator[Spy]:
    server = Spy()
    yield server
    server.close()


@pytest.fixture(scope="module")
def files_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("files")) as here:
        yield here


@pytest.fixture
def here(files_world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The shared bot, with every HTTP download it makes recorded."""
    monkeypatch.chdir(ROOT)
    downloads: list[str] = []
    real_get = requests.get

    def recording_get(url: str, *args: Any, **kwargs: Any) -> requests.Response:
        downloads.append(url)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(bot.slack.files.requests, "get", recording_get)
    files_world.downloads = downloads  # type: ignore[attr-defined]
    files_world.graph.clear_requests()
    yield files_world


def _submit(here: World, video_values: dict[Any, Any], name: str) -> dict[str, Any]:
    slack = here.slack
    view = open_new_form(slack, REQUESTER)
    values: dict[Any, Any] = good_values("unused")
    values.pop(B.VIDEO)
    values[B.NAME] = name
    values.update(video_values)
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values, enforce_ui=False)
    return {"view": view, "ack": ack}


def _channel_outcome(here: World, name: str) -> str:
    """The final text of the channel message that was posted for ``name``'s creation."""

    def done() -> str | None:
        for message in here.slack.messages(CAMPAIGNS):
            first = here.slack.message_history(CAMPAIGNS, message["ts"])[0]
            if name not in first.get("text", ""):
                continue
            text = str(message.get("text", ""))
            if "Not created" in text or "Approval needed" in str(message):
                return text if "Not created" in text else f"Approval needed: {text}"
        return None

    return here.slack.wait_until(done, timeout=15, interval=0.05)


def _upload(here: World, name: str, content: bytes, mimetype: str = "video/mp4") -> str:
    return here.slack.upload_file(
        user=REQUESTER, filename=name, content=content, filetype="mp4", mimetype=mimetype
    )


def test_a_url_in_the_payload_is_never_fetched_only_files_info_of_our_workspace(
    here: World, spy: Spy
) -> None:
    slack = here.slack
    file_id = _upload(here, "ainote2.mp4", VIDEO)
    forged = dict(slack._file_object(file_id), url_private_download=f"{spy.url}/evil.mp4")
    forged["url_private"] = f"{spy.url}/evil.mp4"
    _submit(here, {B.VIDEO: [forged]}, "Forged URL launch")

    assert "Approval needed" in _channel_outcome(here, "Forged URL launch")
    assert spy.requests == [], "the bot fetched a URL from the payload"
    assert slack.calls_to("files.info")[-1]["file"] == file_id
    assert all(url.startswith(slack.ws.root_url) for url in here.downloads)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "video_values",
    [
        {
            B.VIDEO: [
                {
                    "id": "F0OTHERWS01",
                    "name": "ad.mp4",
                    "filetype": "mp4",
                    "mimetype": "video/mp4",
                    "size": 1000,
                    "url_private_download": "https://files.slack.com/files-pri/T0OTHER-F0OTHERWS01/download/ad.mp4",
                }
            ]
        },
        {B.VIDEO_LINK: "https://otherco.slack.com/files/U0OTHER1/F0OTHERWS02/ad.mp4"},
    ],
    ids=["attached", "pasted-link"],
)
def test_a_file_of_another_workspace_is_not_found_and_nothing_is_downloaded(
    here: World, video_values: dict[Any, Any]
) -> None:
    name = f"Foreign file {len(here.slack.messages(CAMPAIGNS))}"
    _submit(here, video_values, name)
    outcome = _channel_outcome(here, name)
    assert "Slack could not find the uploaded file (file_not_found)" in outcome, outcome
    assert here.downloads == []  # type: ignore[attr-defined]
    assert meta_writes(here.graph) == []


@pytest.mark.parametrize(
    ("label", "content", "words"),
    [
        ("zip", b"PK\x03\x04" + b"\0" * 4000, "looks like a ZIP"),
        ("pdf", b"%PDF-1.7\n" + b"\0" * 4000, "looks like a PDF"),
        ("png", b"\x89PNG\r\n\x1a\n" + b"\0" * 4000, "looks like a PNG"),
        ("elf", b"\x7fELF\x02\x01\x01" + b"\0" * 4000, "not a video"),
        ("audio", None, "no video"),
        ("truncated", VIDEO[: len(VIDEO) * 2 // 3], "is incomplete"),
        ("no-index", VIDEO[:4096], "is incomplete"),
    ],
)
def test_a_disguised_or_broken_file_is_refused_before_any_upload(
    here: World, tmp_path: Path, label: str, content: bytes | None, words: str
) -> None:
    if content is None:
        from tests.media import make_test_audio

        content = make_test_audio(tmp_path / "voice.mp4").read_bytes()
    file_id = _upload(here, f"{label}.mp4", content)
    name = f"Disguised {label}"
    _submit(here, {B.VIDEO: [file_id]}, name)
    outcome = _channel_outcome(here, name)
    assert "Not created" in outcome and words in outcome, outcome
    assert meta_writes(here.graph) == []
    assert not [r for r in here.graph.requests if "advideos" in r.path]


@pytest.mark.parametrize(
    ("name", "filetype", "mimetype"),
    [("vp9.webm", "webm", "video/webm"), ("animated.gif", "gif", "image/gif")],
)
def test_a_webm_or_animated_gif_attached_in_slack_goes_to_approval(
    here: World, tmp_path: Path, name: str, filetype: str, mimetype: str
) -> None:
    """Formats Meta accepts beyond MP4/MOV travel the whole way: form, download, check, upload."""
    from tests.media import META_ACCEPTED_FORMATS, make_test_video

    content = make_test_video(tmp_path / name, **META_ACCEPTED_FORMATS[name]).read_bytes()  # type: ignore[arg-type]
    file_id = here.slack.upload_file(
        user=REQUESTER, filename=name, content=content, filetype=filetype, mimetype=mimetype
    )
    launch = f"Launch from {name}"
    _submit(here, {B.VIDEO: [file_id]}, launch)
    outcome = _channel_outcome(here, launch)
    assert outcome.startswith("Approval needed"), outcome
    assert [r for r in here.graph.requests if "advideos" in r.path]


def test_an_oversized_file_is_refused_from_its_size_without_downloading(
    here: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack.creation_flow

    monkeypatch.setattr(
        bot.slack.creation_flow,
        "download_slack_file",
        lambda *a, **kw: download_slack_file(*a, **{**kw, "max_bytes": 64 * 1024}),
    )
    file_id = _upload(here, "big.mp4", VIDEO)
    _submit(here, {B.VIDEO: [file_id]}, "Oversized launch")
    outcome = _channel_outcome(here, "Oversized launch")
    assert "the limit is 64 KB" in outcome, outcome
    assert here.downloads == []  # type: ignore[attr-defined]
    assert meta_writes(here.graph) == []


class _LyingSlack(WebClient):
    """files.info answers doctored by a test: an understated size, or a URL off Slack."""

    def __init__(self, *args: Any, doctor: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._doctor = doctor

    def files_info(self, **kwargs: Any):  # type: ignore[no-untyped-def, override]
        response = super().files_info(**kwargs)
        response.data["file"].update(self._doctor)  # type: ignore[union-attr]
        return response


def test_a_download_larger_than_files_info_said_is_cut_off_at_the_limit(
    here: World, tmp_path: Path
) -> None:
    file_id = _upload(here, "grows.mp4", VIDEO)
    client = _LyingSlack(
        token=here.slack.bot_token, base_url=here.slack.api_url, doctor={"size": 1000}
    )
    with pytest.raises(VideoRejectedError, match="larger than 64 KB, the limit"):
        download_slack_file(client, file_id, dest_dir=tmp_path, max_bytes=64 * 1024)


def test_a_files_info_url_off_slack_never_gets_the_token(
    here: World, spy: Spy, tmp_path: Path
) -> None:
    file_id = _upload(here, "elsewhere.mp4", VIDEO)
    client = _LyingSlack(
        token=here.slack.bot_token,
        base_url=here.slack.api_url,
        doctor={"url_private_download": f"{spy.url.replace('127.0.0.1', 'localhost')}/x.mp4"},
    )
    with pytest.raises(VideoRejectedError, match="unexpected host"):
        download_slack_file(client, file_id, dest_dir=tmp_path)
    assert spy.requests == []
