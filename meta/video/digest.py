"""A video file's identity by content: the sha256 of its bytes.

Two campaigns of one ad account that use the same cut (a bulk launch of twelve markets, a
re-download of the same Slack file) share one upload to Meta; the file name and path say nothing
about that, the bytes do. Hashing reads the file once per (path, size, modification time) in this
process, so fifty campaigns naming one 100 MB file hash it once.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

_BLOCK = 1024 * 1024
_lock = threading.Lock()
_known: dict[tuple[str, int, int], str] = {}


def content_hash(path: Path) -> str:
    """The hex sha256 of the file's bytes (cached while the file is unchanged)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        known = _known.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    value = digest.hexdigest()
    with _lock:
        _known[key] = value
    return value
