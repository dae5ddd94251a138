"""The rows of one ``/campaign bulk`` that name the same Slack file share one download of it.

A sheet of 20 rows naming one 100 MB video used to download it 20 times from Slack (20
``files.info`` calls, 2 GB of transfer, 2 GB of disk) before the shared upload sent it to Meta
once. Now the first row of the batch downloads it and the others get a hard link to that copy in
their own folder: each row still owns its file (``release_upload`` deletes a row's link, never
another row's), and the copy is checked by content for each row as before.

Only rows of one batch share: they are one person's submission of one sheet, so the file's
``files.info`` answer (visible to AdBee, its size, its host) holds for all of them. A file id
seen in another submission is looked up and downloaded again, as a single campaign's always is.
A link that cannot be made (the first copy already released after its upload, another file
system) falls back to a download.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from bot.slack.files import DownloadedFile

# Batches whose downloads are remembered (a bulk's rows start within moments of each other).
KEEP = 64


class BatchDownloads:
    """One download per (batch, Slack file), shared by the batch's rows as hard links."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._files: OrderedDict[tuple[str, str], DownloadedFile] = OrderedDict()
        self._fetching: dict[tuple[str, str], threading.Lock] = {}

    def fetch(
        self,
        batch: str | None,
        file_id: str,
        dest_dir: Path,
        download: Callable[[Path], DownloadedFile],
    ) -> DownloadedFile:
        """The file in ``dest_dir``: linked to the batch's earlier copy, or ``download(dest_dir)``.

        Rows of a batch asking at once wait for the first one's download rather than each
        downloading the file beside it.
        """
        if batch is None:
            return download(dest_dir)
        key = (batch, file_id)
        with self._lock:
            fetching = self._fetching.setdefault(key, threading.Lock())
        with fetching:
            with self._lock:
                earlier = self._files.get(key)
            linked = _link(earlier, dest_dir) if earlier is not None else None
            if linked is not None:
                return linked
            got = download(dest_dir)
            with self._lock:
                self._files[key] = got
                self._files.move_to_end(key)
                while len(self._files) > self._keep:
                    old, _ = self._files.popitem(last=False)
                    self._fetching.pop(old, None)
            return got


def _link(earlier: DownloadedFile, dest_dir: Path) -> DownloadedFile | None:
    """A hard link to ``earlier`` in ``dest_dir``; None when ``earlier`` is gone or changed."""
    target = dest_dir / earlier.path.name
    try:
        if os.stat(earlier.path).st_size != earlier.size:
            return None
        dest_dir.mkdir(parents=True, exist_ok=True)
        if target.exists():  # this row's own copy, from a run before a restart
            target.unlink()
        os.link(earlier.path, target)
    except OSError:
        return None
    return DownloadedFile(path=target, name=earlier.name, size=earlier.size)
