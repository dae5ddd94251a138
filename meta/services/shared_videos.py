"""One upload per video file and ad account, however many campaigns use it.

A bulk launch names the same cut in many rows (one campaign per market, per budget, per text);
uploading and processing it once per campaign costs minutes each and the account's rate-limit
score. The bytes decide (``meta.video.digest.content_hash``): the first campaign of the account
to claim them (a unique row, ``shared_videos``) uploads them; every other campaign wanting them
waits until that upload is done and then uses the same Meta video id, recorded as its own video
row, in the same transaction that reads it. The claim survives restarts and is seen by every
process on the database, so a later run, a second CLI or a replica reuses the video too.

An upload whose owner gave up (rolled back, failed and left) or whose owner's creation has had no
live run for ``take_over_after`` seconds (killed and not resumed) is taken over: the waiting
campaign uploads the bytes itself. A rollback keeps a video another campaign uses
(``CampaignRepository.release_video``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from meta.domain.errors import PipelineError
from meta.domain.ports import CampaignRepository
from meta.domain.records import ObjectRef
from meta.domain.states import ProgressEvent, ProgressSink, Status, Step
from meta.domain.stopping import StopSignal
from meta.services.creation_lease import lease_is_free
from meta.video.digest import content_hash

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# An owner's creation without a live run this long is not coming back soon (a restarted bot
# resumes its creations within seconds): the waiting campaign uploads the video itself.
TAKE_OVER_AFTER = 20.0


class SharedVideos:
    """The claim, wait and join of one ad's video (``CampaignPipeline`` calls it per video)."""

    def __init__(
        self,
        store: CampaignRepository,
        *,
        stopping: StopSignal,
        poll_seconds: float = POLL_SECONDS,
        take_over_after: float = TAKE_OVER_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._stopping = stopping
        self._poll = poll_seconds
        self._take_over_after = take_over_after
        self._clock = clock

    def obtain(
        self,
        campaign_id: int,
        ad_account_id: str,
        ref: ObjectRef,
        *,
        digest: str,
        title: str,
        which: str,
        notify: ProgressSink,
        stop: threading.Event,
    ) -> str | None:
        """Meta's id of the account's copy of these bytes, now this campaign's video ``ref``;
        None when this campaign holds the claim and uploads them itself."""
        free_since: float | None = None
        told = False
        while True:
            claim = self._store.claim_shared_video(
                ad_account_id=ad_account_id, sha256=digest, campaign_id=campaign_id
            )
            if claim.meta_id is None and claim.owner_campaign_id == campaign_id:
                return None
            if claim.meta_id is not None:
                joined = self._store.join_shared_video(
                    campaign_id,
                    ref,
                    ad_account_id=ad_account_id,
                    sha256=digest,
                    step=Step.UPLOAD,
                    name=title,
                )
                if joined is not None:
                    return joined
                continue  # deleted by a rollback in between: claim it again
            owner = self._store.get(claim.owner_campaign_id)
            abandoned = owner is None or owner.status != Status.CREATING
            if not abandoned and owner is not None and lease_is_free(owner):
                free_since = self._clock() if free_since is None else free_since
                abandoned = self._clock() - free_since >= self._take_over_after
            elif not abandoned:
                free_since = None
            if abandoned:
                log.info(
                    "#%s takes over the upload AdBee #%s left unfinished",
                    campaign_id,
                    claim.owner_campaign_id,
                )
                self._store.take_over_shared_video(
                    ad_account_id=ad_account_id,
                    sha256=digest,
                    expected_owner=claim.owner_campaign_id,
                    campaign_id=campaign_id,
                )
                continue
            if not told:
                told = True
                notify(
                    ProgressEvent(
                        campaign_id,
                        Step.UPLOAD,
                        "started",
                        f"{which}the same video as AdBee #{claim.owner_campaign_id}: uploaded "
                        "once, waiting for that upload",
                        0,
                    )
                )
            self._stopping.check()
            if stop.is_set():
                raise PipelineError("stopped: the other branch failed", step=Step.UPLOAD)
            self._store.touch(campaign_id)  # alive while waiting: nobody takes this creation over
            self._stopping.sleep(self._poll)

    def uploaded(self, campaign_id: int, ad_account_id: str, digest: str, video_id: str) -> None:
        """This campaign's upload of these bytes is done: the campaigns waiting may use it."""
        self._store.shared_video_uploaded(
            ad_account_id=ad_account_id, sha256=digest, campaign_id=campaign_id, meta_id=video_id
        )


def digest_of(path: Path) -> str | None:
    """The file's content hash, or None when the file is not here (the upload step says why)."""
    try:
        return content_hash(path) if path.is_file() else None
    except OSError:
        return None
