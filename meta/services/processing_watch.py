"""One watcher for every video Meta is processing, so no creation holds a worker through it.

A creation run by the bot stops at Meta's video processing (``CampaignPipeline.run(park=True)``
raises ``AwaitingVideo``, everything before committed, the lease released) and is handed here.
One thread looks at every watched video with one batch request of status reads per 50 videos
(``meta.graph.multi_read``) and hands a creation back (``on_done``) once Meta has finished with
all its videos: ready, failed or gone (the run that resumes it reads the video again and reports
what Meta said). Rounds come every ``interval`` seconds, or sooner when Meta's
``processing_progress`` projects a video's finish before that: a fixed cadence made the last of
20 creations notice its video up to a round late (0.8 s with Meta's latency), and processing is
every creation's critical path. A creation whose ``VIDEO_TIMEOUT`` runs out is handed
back too, and its run reports the timeout as the wait did.

Nothing here is persisted, because nothing needs to be: a watched creation is a ``creating`` row
with a free lease, and after a crash or a restart the resume job (``CreationFlow.pending_work``)
runs it again, which looks at its video once and parks it here again. A read that fails is
tried again at the next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from meta.domain.errors import AdBeeError, VideoProcessingError
from meta.domain.ports import GraphApi
from meta.graph.multi_read import read_many
from meta.video.processing import is_ready, processing_status, seconds_left

log = logging.getLogger(__name__)

# Between two rounds of reads: processing is the creation's critical path, and one round costs
# one request (per 50 videos) whatever the number of creations waiting.
DEFAULT_INTERVAL = 0.5
# The least time between two rounds, however close a projected finish: a projection is a guess
# from whole percents, and each round costs its operations in Meta's rate-limit score.
MIN_GAP = 0.15


@dataclass
class _Watched:
    video_ids: list[str]
    deadline: float  # monotonic: VIDEO_TIMEOUT since the upload
    since: float  # monotonic: when it was handed here, about when its last upload finished
    finish: float | None = None  # monotonic: when Meta's progress says its last video is done


class ProcessingWatch:
    """Watches videos in processing and hands their creations back when Meta is done."""

    def __init__(
        self,
        graph: GraphApi,
        *,
        on_done: Callable[[int], None],
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph = graph
        self._on_done = on_done
        self._interval = interval
        self._clock = clock
        self._lock = threading.Condition()
        self._watched: dict[int, _Watched] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.rounds = 0  # reads sent (for tests and the bench)

    def watch(self, campaign_id: int, video_ids: list[str], *, seconds_left: float) -> None:
        """Hand ``campaign_id`` back once Meta has processed ``video_ids`` (or in
        ``seconds_left`` seconds at the latest)."""
        with self._lock:
            if self._stopped:
                return  # stopping: the resume job of the next process picks it up
            now = self._clock()
            deadline = now + max(seconds_left, 0.0)
            idle = not self._watched
            self._watched[campaign_id] = _Watched(list(video_ids), deadline, since=now)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="processing-watch", daemon=True
                )
                self._thread.start()
            if idle:  # wakes the thread; a round under way is not cut short
                self._lock.notify()

    def watching(self, campaign_id: int) -> bool:
        with self._lock:
            return campaign_id in self._watched

    def count(self) -> int:
        with self._lock:
            return len(self._watched)

    def stop(self) -> None:
        """No more rounds; what is watched stays ``creating`` for the next process."""
        with self._lock:
            self._stopped = True
            self._watched.clear()
            self._lock.notify_all()

    # ------------------------------------------------------------------ the rounds
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._watched and not self._stopped:
                    self._lock.wait()
                # The run that parked a creation has just looked; the next look is a round away,
                # or at the soonest projected finish.
                if not self._stopped:
                    self._lock.wait(timeout=self._until_next_round())
                if self._stopped:
                    return
                watched = dict(self._watched)
            try:
                done = self._look(watched)
            except Exception:  # the next round tries again; a creation is never dropped
                log.exception("could not read the status of videos in processing")
                done = []
            for campaign_id in done:
                with self._lock:
                    if self._watched.pop(campaign_id, None) is None:
                        continue
                try:
                    self._on_done(campaign_id)
                except Exception:  # the resume job finds it (a creating row, lease free)
                    log.exception("could not hand creation #%s back after processing", campaign_id)

    def _until_next_round(self) -> float:
        """Seconds to the next round (called with the lock held)."""
        finishes = [item.finish for item in self._watched.values() if item.finish is not None]
        if not finishes:
            return self._interval
        return min(self._interval, max(MIN_GAP, min(finishes) - self._clock()))

    def _look(self, watched: dict[int, _Watched]) -> list[int]:
        """The creations whose videos Meta is done with (or whose time is up)."""
        self.rounds += 1
        ids = [v for item in watched.values() for v in item.video_ids]
        try:
            statuses = read_many(self._graph, ids, fields="status")
        except AdBeeError as exc:
            log.warning("video status read failed (%s); looking again in a moment", exc)
            statuses = None
        now = self._clock()
        done = []
        for campaign_id, item in watched.items():
            if now >= item.deadline:
                done.append(campaign_id)  # its run reports the timeout
            elif statuses is not None and all(
                video in statuses and _finished(statuses[video]) for video in item.video_ids
            ):
                done.append(campaign_id)
            elif statuses is not None:
                item.finish = projected_finish(item.video_ids, statuses, since=item.since, now=now)
        return done


def projected_finish(
    video_ids: list[str], statuses: dict[str, dict | None], *, since: float, now: float
) -> float | None:
    """When the last of ``video_ids`` still processing should be done (on the clock of ``since``
    and ``now``), from the ``processing_progress`` Meta reports in ``statuses``; None when one of
    them reports no progress or was not read (then rounds keep their interval).

    Progress is assumed steady since ``since`` (``seconds_left``, as a single creation's own
    polls project it). Processing began a little before the
    creation was handed here (early guesses) and Meta reports whole percents (late ones), so a
    projection is off by a fraction of a second either way; an early one costs one more round,
    ``MIN_GAP`` later.
    """
    elapsed = now - since
    finishes = []
    for video in video_ids:
        if video not in statuses:
            return None  # its read failed this round
        node = statuses[video]
        if node is None or _finished(node):
            continue
        left = seconds_left(elapsed, processing_status(node))
        if left is None:
            return None
        finishes.append(now + left)
    return max(finishes) if finishes else None


def _finished(node: dict | None) -> bool:
    """Meta is done with this video: ready, failed, expired, or it is gone."""
    if node is None:
        return True
    try:
        return is_ready(processing_status(node))
    except VideoProcessingError:  # failed: the resumed run says so in Meta's words
        return True
