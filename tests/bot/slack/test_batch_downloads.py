"""A bulk's rows naming one Slack file download it once; each row still owns its own copy."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.slack.batch_downloads import BatchDownloads
from bot.slack.files import DownloadedFile

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"film" * 1000


class Slack:
    """Stands in for ``download_slack_file``: writes the file and counts the downloads."""

    def __init__(self, *, hold: threading.Event | None = None) -> None:
        self.downloads = 0
        self._hold = hold
        self._lock = threading.Lock()

    def download(self, dest: Path) -> DownloadedFile:
        with self._lock:
            self.downloads += 1
        if self._hold is not None:
            self._hold.wait(5)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "ainote2.mp4"
        path.write_bytes(VIDEO)
        return DownloadedFile(path=path, name="ainote2.mp4", size=len(VIDEO))


def test_twenty_rows_of_a_bulk_naming_one_video_download_it_once(tmp_path: Path) -> None:
    slack, shared = Slack(), BatchDownloads()
    files = [
        shared.fetch("batch-1", "F_VIDEO", tmp_path / f"request-{n}" / "1", slack.download)
        for n in range(20)
    ]
    assert slack.downloads == 1
    assert len({f.path for f in files}) == 20  # every row has its own file in its own folder
    assert all(f.path.read_bytes() == VIDEO and f.size == len(VIDEO) for f in files)
    assert len({f.path.stat().st_ino for f in files}) == 1  # links, not 20 copies on disk


def test_a_row_releasing_its_file_leaves_the_other_rows_theirs(tmp_path: Path) -> None:
    slack, shared = Slack(), BatchDownloads()
    first = shared.fetch("batch-1", "F_VIDEO", tmp_path / "request-1", slack.download)
    second = shared.fetch("batch-1", "F_VIDEO", tmp_path / "request-2", slack.download)
    first.path.unlink()  # release_upload after Meta took row 1's video
    assert second.path.read_bytes() == VIDEO
    third = shared.fetch("batch-1", "F_VIDEO", tmp_path / "request-3", slack.download)
    assert slack.downloads == 2  # the copy it would have linked was released: downloaded again
    assert third.path.read_bytes() == VIDEO


def test_rows_starting_together_wait_for_the_first_download(tmp_path: Path) -> None:
    flowing = threading.Event()
    slack, shared = Slack(hold=flowing), BatchDownloads()
    got: list[DownloadedFile] = []

    def row(number: int) -> None:
        got.append(shared.fetch("b", "F_VIDEO", tmp_path / f"request-{number}", slack.download))

    rows = [threading.Thread(target=row, args=(n,)) for n in range(5)]
    for thread in rows:
        thread.start()
    flowing.set()
    for thread in rows:
        thread.join(10)
    assert slack.downloads == 1 and len(got) == 5


def test_other_submissions_and_single_campaigns_download_their_own(tmp_path: Path) -> None:
    """Only one person's one sheet shares: files.info is asked again for anyone else."""
    slack, shared = Slack(), BatchDownloads()
    shared.fetch("batch-1", "F_VIDEO", tmp_path / "r1", slack.download)
    shared.fetch("batch-2", "F_VIDEO", tmp_path / "r2", slack.download)
    shared.fetch(None, "F_VIDEO", tmp_path / "r3", slack.download)
    shared.fetch(None, "F_VIDEO", tmp_path / "r4", slack.download)
    assert slack.downloads == 4


def test_a_row_run_again_after_a_restart_gets_a_fresh_link(tmp_path: Path) -> None:
    slack, shared = Slack(), BatchDownloads()
    shared.fetch("b", "F_VIDEO", tmp_path / "r1", slack.download)
    half_written = tmp_path / "r2" / "ainote2.mp4"
    half_written.parent.mkdir(parents=True)
    half_written.write_bytes(b"\x00\x00")  # what a stopped download of row 2 left
    again = shared.fetch("b", "F_VIDEO", tmp_path / "r2", slack.download)
    assert again.path.read_bytes() == VIDEO and slack.downloads == 1
