"""The wait for Meta to process an uploaded video, polled so its end is noticed soon.

Processing is the critical path of a creation, so polls start at half a second and then follow
Meta's own progress figure rather than a fixed interval.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from meta.domain.errors import MetaApiError, MetaTransportError, VideoProcessingError

log = logging.getLogger(__name__)


_PHASES = ("uploading_phase", "processing_phase", "publishing_phase")


def _phase_errors(status: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    for phase in _PHASES:
        info = status.get(phase)
        if not isinstance(info, Mapping):
            continue
        for error in info.get("errors") or ():
            if isinstance(error, Mapping):
                text = str(error.get("message") or "unknown error")
                code = error.get("code")
                messages.append(f"{text} (code {code})" if code is not None else text)
            else:
                messages.append(str(error))
    return messages


def _failed_phase(status: Mapping[str, Any]) -> str | None:
    for phase in _PHASES:
        info = status.get(phase)
        if isinstance(info, Mapping) and info.get("status") == "error":
            return phase.removesuffix("_phase")
    return None


def processing_status(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``status`` object of a video read (``GET /<video>?fields=status``, or the status
    itself), ready for ``is_ready``."""
    nested = raw.get("status") if isinstance(raw, Mapping) else None
    return dict(nested if isinstance(nested, Mapping) else raw or {})


def is_ready(status: Mapping[str, Any]) -> bool:
    """True once Meta processed the video; False while it still works on it. Raises
    ``VideoProcessingError`` with Meta's phase messages when processing failed or expired."""
    state = str(status.get("video_status") or "unknown")
    if state == "ready":
        return True
    failed_phase = _failed_phase(status)
    if state == "error" or failed_phase:
        details = "; ".join(_phase_errors(status)) or "Meta gave no reason"
        where = f" during {failed_phase}" if failed_phase else ""
        raise VideoProcessingError(
            f"Meta could not process the video{where}: {details}. Check the file "
            "(codec, length, aspect ratio) and upload it again."
        )
    if state == "expired":
        raise VideoProcessingError(
            "The video upload expired before Meta processed it; upload the video again."
        )
    return False


def still_processing(status: Mapping[str, Any], timeout: float) -> VideoProcessingError:
    """The (retryable) error of a video Meta has not finished within ``timeout`` seconds."""
    percent = int(status.get("processing_progress") or 0)
    return VideoProcessingError(
        f"Meta is still processing the video after {timeout:g} s "
        f"({percent}% done, status {status.get('video_status', 'unknown')}); "
        "wait a few minutes and try again.",
        retryable=True,
    )


_FIRST_POLL = 0.5  # seconds; short clips are often ready within a few seconds


def seconds_left(elapsed: float, status: Mapping[str, Any]) -> float | None:
    """Meta's processing time still to come, projected from its ``processing_progress`` after
    ``elapsed`` seconds (steady progress assumed); None when Meta reports no progress."""
    percent = float(status.get("processing_progress") or 0)
    if 0 < percent < 100 and elapsed > 0:
        return elapsed * (100 - percent) / percent
    return None


def _next_poll(interval: float, polls: int, elapsed: float, status: Mapping[str, Any]) -> float:
    """Seconds until the next status poll: soon at first, then guided by Meta's progress.

    Every second between "ready" and our noticing it is a second the whole creation waits
    (processing is its critical path), so polls start at half a second and back off; once Meta
    reports progress, the next poll aims at the projected finish, never later than ``interval``.
    """
    backoff = min(interval, _FIRST_POLL * 2 ** (polls - 1))
    projected = seconds_left(elapsed, status)
    if projected is not None:
        return max(min(_FIRST_POLL, interval), min(backoff, projected))
    return backoff


def wait_until_ready(
    get_status: Callable[[], dict[str, Any]],
    *,
    timeout: float = 600,
    interval: float = 3,
    on_progress: Callable[[str, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_poll_failures: int = 3,
) -> dict[str, Any]:
    """Poll ``get_status`` until Meta says the video is ``ready``; return that status dict.

    ``get_status`` returns the ``status`` object of ``GET /<video_id>?fields=status`` (or the
    whole node containing it). Raises ``VideoProcessingError`` with Meta's phase error messages
    when processing fails or the upload expired, and a retryable one on timeout (Meta may still
    finish). Up to ``max_poll_failures`` consecutive transient poll failures are tolerated.
    """
    started = clock()
    deadline = started + timeout
    failures = 0
    polls = 0
    last: dict[str, Any] = {}
    while True:
        try:
            raw = get_status()
            failures = 0
        except (MetaApiError, MetaTransportError) as exc:
            transient = isinstance(exc, MetaTransportError) or exc.is_transient
            failures += 1
            if not transient or failures > max_poll_failures:
                raise
            log.warning("video status poll failed (%s); polling again", exc.message)
            raw = None
        if raw is not None:
            status = processing_status(raw)
            last = status
            if on_progress is not None:
                on_progress(
                    str(status.get("video_status") or "unknown"),
                    int(status.get("processing_progress") or 0),
                )
            if is_ready(status):
                return status
        now = clock()
        remaining = deadline - now
        if remaining <= 0:
            raise still_processing(last, timeout)
        polls += 1
        sleep(min(_next_poll(interval, polls, now - started, last), remaining))
