"""``python -m bot validate`` given a video file checks the video, as the troubleshooting page says.

A new user with no configuration at all can check an export before writing any campaign file; the
findings are word for word those a creation with that video would print.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.helpers import nothing_sent_but_budget_reads, write_campaign
from tests.media import make_test_video

SHARPNESS = "Meta recommends at least 1080 px on the short side"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def new_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no configs/, no .env, no token: only the video they exported."""
    monkeypatch.chdir(tmp_path)
    for name in ("META_ACCESS_TOKEN", "ACCOUNTS_FILE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_good_video_is_described_and_its_warning_given_once(new_user: Path) -> None:
    video = make_test_video(new_user / "export.mp4", width=720, height=1280)

    code, out = run("validate", str(video))

    assert code == 0, out
    assert out.splitlines() == [
        "export.mp4: an MP4 video, H.264 (h264), 720x1280 px, 1 s, 24 fps, no audio",
        "  warning:   export.mp4 is 720x1280 px; Meta recommends at least 1080 px on the short "
        "side, as smaller videos look less sharp once Meta scales them to fill a phone screen.",
        "OK: the video meets Meta's specs; ready to upload.",
    ]


def test_a_webm_without_extension_is_recognised_by_its_content(new_user: Path) -> None:
    video = make_test_video(new_user / "clip.webm", codec="libvpx-vp9", container="webm")
    bare = video.rename(new_user / "clip")

    code, out = run("validate", str(bare))

    assert code == 0, out
    assert out.startswith("clip: a WebM video, VP9 (vp9), 360x640 px")


def test_a_zip_named_mp4_is_named_for_what_it_is(new_user: Path) -> None:
    with zipfile.ZipFile(new_user / "ad.mp4", "w") as archive:
        archive.writestr("notes.txt", "hello")

    code, out = run("validate", str(new_user / "ad.mp4"))

    assert code == 1
    assert "  - video: ad.mp4 is not a video file (its content looks like a ZIP archive)" in out
    assert "nothing was sent to Meta" in out


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("wide.mkv", {"container": "matroska", "width": 420, "height": 180}),
        ("blink.mp4", {"seconds": 0.5}),
    ],
)
def test_the_findings_are_the_ones_a_creation_with_that_video_prints(
    graph, tmp_path: Path, name: str, kwargs: dict
) -> None:
    video = make_test_video(tmp_path / name, **kwargs)

    video_code, video_out = run("validate", str(video))
    campaign_code, campaign_out = run("create", str(write_campaign(tmp_path, video=str(video))))

    assert video_code == campaign_code == 1
    (finding,) = [line for line in video_out.splitlines() if line.startswith("  - ")]
    assert finding.startswith(f"  - video: {name} is ")
    assert finding in campaign_out.splitlines()
    assert nothing_sent_but_budget_reads(graph)  # no upload; at most the budget read


@pytest.mark.usefixtures("meta_env")
def test_a_campaign_file_is_still_validated_as_one_with_the_warning_once(graph, tmp_path):
    video = make_test_video(tmp_path / "hd.mp4", width=720, height=1280)

    code, out = run("validate", str(write_campaign(tmp_path, video=str(video))))

    assert code == 0, out
    assert "OK: ready to create." in out
    assert out.count(SHARPNESS) == 1
