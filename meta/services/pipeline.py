"""Campaign creation as a persisted state machine.

Two branches run side by side because neither needs the other until the very end:

    videos:   (upload -> wait until processed -> creative) per video ─┐
    campaign: campaign -> ad set ─────────────────────────────────────┴─> one ad per video

A campaign with several videos makes one video row per upload (keyed by ``VideoPlan.key``) and
one creative and ad row per ad (``AdPlan.key``; ``CampaignSpec.ads``): one ad per video or
placement pair in creative_mode ``ads``, one flexible ad showing every video in creative_mode
``flexible``. Each is its own persisted step, so a resume finds every ad's progress where it
stopped.

Every id Meta returns is committed (as one of the campaign's Meta objects,
``meta.domain.records.MetaObject``) before the next call, and a create goes out only after its
object is marked pending, so re-running after a crash whose answer was lost looks the object up
by name instead of creating it twice. A permanent Meta error deletes what this creation
made (except the uploaded video, when the refusal was not about it) and reports Meta's own message;
anything a retry can fix (transient, throttled, 341/368, 1487390) leaves the row resumable.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.advantage import FIELD as ADVANTAGE_FIELD
from meta.domain.advantage import read_advantage_state
from meta.domain.approval import PREVIEW_FORMATS
from meta.domain.drift import CREATIVE_FIELDS
from meta.domain.errors import (
    AdBeeError,
    MetaApiError,
    MetaTransportError,
    PipelineError,
    ValidationError,
    VideoProcessingError,
    VideoRejectedError,
)
from meta.domain.ports import CampaignRepository, GraphApi, Uploader, WaitUntilReady
from meta.domain.records import MAIN, CampaignRecord, ObjectKind, ObjectRef
from meta.domain.spec import (
    AdFormat,
    AdPlan,
    CampaignSpec,
    VideoPlan,
    feed_image_key,
    group_image_key,
)
from meta.domain.states import STEP_LABELS, ProgressEvent, ProgressSink, Status, Step
from meta.domain.stopping import CreationInterrupted, StopSignal
from meta.domain.video_title import video_title as make_video_title
from meta.graph.batch import Operation, run_batch
from meta.graph.images import find_images
from meta.graph.multi_read import Prefetched
from meta.graph.payloads import (
    GraphCall,
    UploadedVideo,
    ad_call,
    adset_call,
    campaign_call,
    creative_call,
    image_creative_call,
    image_placement_creative_call,
    upload_name,
)
from meta.graph.upload import UploadSession
from meta.services.creation_lease import CreationLease
from meta.services.images import ImageMissingError, ImageSteps
from meta.services.lost_objects import LostObjects
from meta.services.previews import (
    AD_PREVIEWS_KEY,
    BASELINE_ADVANTAGE_KEY,
    DRIFT_KEY,
    PREVIEWS_KEY,
    REQUESTS_KEY,
    read_previews,
)
from meta.services.shared_videos import SharedVideos, digest_of
from meta.services.status_sync import SETTINGS_DRIFT, with_drift
from meta.telemetry import log_context, metrics
from meta.video.processing import is_ready, processing_status, still_processing
from storage.transient import DatabaseUnavailableError

log = logging.getLogger(__name__)


VIDEO = ObjectRef(ObjectKind.VIDEO)
# What each create step's object hangs under and what it uses (of the same campaign; the kind of
# object used is keyed like the ad it belongs to).
_PARENT = {Step.ADSET: ObjectRef(ObjectKind.CAMPAIGN), Step.AD: ObjectRef(ObjectKind.ADSET)}
_USES = {Step.CREATIVE: ObjectKind.VIDEO, Step.AD: ObjectKind.CREATIVE}
# The steps made once per ad (the others once per campaign).
_PER_AD = (Step.CREATIVE, Step.AD)
# A rollback deletes newest first: the ad, then its ad set, the campaign and the creative.
_ROLLBACK_ORDER = (ObjectKind.AD, ObjectKind.ADSET, ObjectKind.CAMPAIGN, ObjectKind.CREATIVE)


class AlreadyCreatedError(AdBeeError):
    """A campaign with this name already exists in this account; creating it again would duplicate it."""


class AwaitingVideo(Exception):
    """Meta is still processing videos of this creation: a run with ``park=True`` stopped there.

    Everything before is committed (the upload, the campaign and ad set, the creatives of the
    videos that are ready) and the lease is released, so no worker waits through Meta's minutes
    of processing. The creation stays ``creating``; running it again once Meta is done (or after a
    crash: the resume job finds it) carries on from the creative. ``seconds_left`` is what
    remains of ``VIDEO_TIMEOUT`` since the last upload finished.
    """

    def __init__(self, campaign_id: int, video_ids: list[str], seconds_left: float) -> None:
        super().__init__(f"creation #{campaign_id} waits for Meta to process {video_ids}")
        self.campaign_id = campaign_id
        self.video_ids = video_ids
        self.seconds_left = seconds_left


def shown_in(row: CampaignRecord, channel: str | None, ts: str | None) -> bool:
    """Whether ``row`` is shown in the message ``channel``/``ts`` (False without a message)."""
    return bool(channel and ts) and (row.slack_channel, row.slack_ts) == (channel, ts)


class CampaignPipeline:
    """Creates (or resumes creating) the four PAUSED objects of one campaign."""

    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi,
        uploader: Uploader,
        wait_until_ready: WaitUntilReady,
        accounts: AccountRegistry,
        video_timeout: float = 600,
        video_poll_interval: float = 3,
        stopping: StopSignal | None = None,
    ) -> None:
        self._store = store
        self._graph = graph
        self._lost = LostObjects(graph)
        self._uploader = uploader
        self._wait_until_ready = wait_until_ready
        self._accounts = accounts
        self._video_timeout = video_timeout
        self._video_poll_interval = video_poll_interval
        self._stopping = stopping or StopSignal()
        self._shared = SharedVideos(store, stopping=self._stopping)
        self._images = ImageSteps(store, graph, self._stopping)

    # ---------------------------------------------------------------- entry points
    def begin(
        self,
        spec: CampaignSpec,
        *,
        requested_by: str | None,
        source: str,
        slack_channel: str | None = None,
        slack_ts: str | None = None,
    ) -> CampaignRecord:
        """Record a creation, or return the unfinished one for the same account and name.

        ``slack_channel``/``slack_ts``: the message that shows the request, recorded in the
        campaign's own insert. A campaign of this name already shown in that very message is
        the request's own, whatever its status: a run killed after the insert and before its
        request was marked started left it, and the retry takes it over instead of refusing
        the name (``shown_in``). A bulk row's message is its batch's, whose names are unique.
        """
        account = self._account(spec)
        existing = self._store.find_open(ad_account_id=account.ad_account_id, name=spec.name)
        if existing is not None and shown_in(existing, slack_channel, slack_ts):
            if existing.status in (Status.CREATING, Status.FAILED):
                return self._with_video_of(existing, spec)
            return existing  # already past creating: nothing to run again
        taken = self.name_taken(spec)
        if taken is not None:
            raise AlreadyCreatedError(taken)
        if existing is not None:  # unfinished: this request resumes it
            return self._with_video_of(existing, spec)
        return self._store.add_campaign(
            account_key=account.key,
            ad_account_id=account.ad_account_id,
            name=spec.name,
            spec=spec.to_json(),
            requested_by=requested_by,
            source=source,
            start_time=spec.start_time,
            slack_channel=slack_channel,
            slack_ts=slack_ts,
        )

    def name_taken(self, spec: CampaignSpec) -> str | None:
        """Why ``spec`` cannot be created, when AdBee already made a campaign of this name in this
        account (an unfinished one is not a refusal: creating it again resumes it)."""
        account = self._account(spec)
        existing = self._store.find_open(ad_account_id=account.ad_account_id, name=spec.name)
        if existing is None or existing.status in (Status.CREATING, Status.FAILED):
            return None
        return (
            f"{spec.name!r} already exists in {account.key} (AdBee #{existing.id}, "
            f"status {existing.status}, campaign {existing.meta_campaign_id}); "
            "pick another name to create a new campaign"
        )

    def _with_video_of(self, existing: CampaignRecord, spec: CampaignSpec) -> CampaignRecord:
        """A resubmission brings the video again: use it if the unfinished creation lost its own.

        This is how a user answers "attach the video again" after the file AdBee kept for an
        unfinished upload disappeared (a lost disk, a replica without it); everything else about
        the creation stays as first submitted, and it resumes from its last committed step.
        """
        if not needs_video_file(existing):
            return existing
        old = CampaignSpec.from_json(existing.spec)
        if old.video_path.is_file() or not spec.video_path.is_file():
            return existing
        return self._store.set_spec(
            existing.id, {**existing.spec, "video_path": str(spec.video_path)}
        )

    def run(
        self, campaign_id: int, on_progress: ProgressSink | None = None, *, park: bool = False
    ) -> CampaignRecord:
        """Run every step not yet done. Raises ``PipelineError`` after recording the outcome, or
        ``CreationBusyError`` (recording nothing) when another live run holds this creation.

        ``park``: instead of waiting while Meta processes a video, look once and raise
        ``AwaitingVideo`` when it is not ready (the bot; the CLI waits).
        """
        notify = on_progress or (lambda _event: None)
        row = self._store.get(campaign_id)
        if row is None:
            raise KeyError(campaign_id)
        if row.status == Status.CREATED:
            return row
        with (
            log_context.bound(adbee_id=campaign_id),
            CreationLease(self._store, row),  # CreationBusyError when another run has it
        ):
            return self._run_leased(campaign_id, notify, park)

    def _run_leased(self, campaign_id: int, notify: ProgressSink, park: bool) -> CampaignRecord:
        row = self._store.get(campaign_id)
        assert row is not None
        if row.status != Status.CREATING or row.error is not None:  # a failed one, resumed
            self._store.set_status(campaign_id, Status.CREATING, error=None)
        spec = CampaignSpec.from_json(row.spec)
        account = self._account(spec)
        stop = threading.Event()
        try:
            with ThreadPoolExecutor(
                max_workers=2, thread_name_prefix=f"create-{campaign_id}"
            ) as pool:
                # Each branch runs in a copy of this context, so its log lines name the creation.
                video_branch = pool.submit(
                    contextvars.copy_context().run,
                    _stops_the_other_on_failure,
                    stop,
                    self._video_branch,
                    campaign_id,
                    spec,
                    account,
                    notify,
                    stop,
                    park,
                )
                campaign_branch = pool.submit(
                    contextvars.copy_context().run,
                    _stops_the_other_on_failure,
                    stop,
                    self._campaign_branch,
                    campaign_id,
                    spec,
                    account,
                    notify,
                    stop,
                )
                errors = []
                processing: list[str] = []
                for branch in (campaign_branch, video_branch):
                    try:
                        processing = branch.result() or processing
                    except Exception as exc:  # both branches are awaited before deciding
                        stop.set()
                        errors.append(exc)
                # A real failure decides the outcome; a stop only when nothing else went wrong.
                errors.sort(key=lambda e: isinstance(e, CreationInterrupted))
                if errors:
                    raise errors[0]
            if processing:  # the campaign branch is done too; the rest needs the videos
                raise AwaitingVideo(
                    campaign_id, processing, self._processing_time_left(campaign_id)
                )
            for plan in spec.ads():
                with _failing_step(Step.AD, plan.index):
                    self._create(campaign_id, Step.AD, spec, account, notify, plan=plan)
        except CreationInterrupted:
            # Stopped at a checkpoint: still CREATING, every id committed; the lease is released
            # on the way out, so a restart or a replica carries on at once.
            log.info("creation #%s stopped at a checkpoint: the process is stopping", campaign_id)
            raise
        except AwaitingVideo:
            log.info("creation #%s waits for Meta to process its video", campaign_id)
            raise
        except Exception as exc:
            return self._fail(campaign_id, exc, notify)
        metrics.CREATIONS.labels("created", "none").inc()
        row = self._store.set_status(
            campaign_id,
            Status.CREATED,
            error=None,
            step=None,
            last_sync=self._classification(campaign_id, spec, account),
        )
        drift = (row.last_sync or {}).get(DRIFT_KEY)
        if drift:  # Meta already shows other settings than were sent: said at once, once
            self._store.enqueue_alert(
                kind=SETTINGS_DRIFT,
                dedupe_key=f"{campaign_id}:drift:created",
                payload={"detail": "\n".join(drift["lines"])},
                campaign_id=campaign_id,
            )
        return row

    def _classification(
        self, campaign_id: int, spec: CampaignSpec, account: AccountConfig
    ) -> dict[str, Any]:
        """What the approval card shows beyond the form: Meta's Advantage+ verdict, Meta's
        previews of the ad, and the requests as sent (``REQUESTS_KEY``, what an approval covers).

        Reads, not steps: the campaign exists either way, so a failed read only leaves the card
        saying the classification is unknown (the next status sync fills it in) or without
        preview links.
        """
        row = self._store.get(campaign_id)
        assert row is not None and row.meta_campaign_id
        sync = dict(row.last_sync or {})
        sync[REQUESTS_KEY] = self.requests_of(row, spec, account)
        creative_fields = {"fields": ",".join(("id", *CREATIVE_FIELDS))}
        # The reads below go out as one batch request (one round trip instead of six in a row,
        # on the way to the Approve card); each is still answered, or refused, on its own.
        ads = [ad for ad in row.remaining_ads if ad.meta_id]
        # Every ad's creative, for the drift watch's first look at each ad (the first one's is
        # also ``creative``).
        shown = {ad.key: str(row.creative_of(ad.key)) for ad in ads if row.creative_of(ad.key)}
        reads: list[tuple[str, dict[str, Any]]] = [
            (row.meta_campaign_id, {"fields": ADVANTAGE_FIELD}),
            *((creative_id, creative_fields) for creative_id in dict.fromkeys(shown.values())),
        ]
        if str(row.creative_id) not in shown.values():
            reads.append((str(row.creative_id), creative_fields))
        for ad_id in dict.fromkeys(
            [*([row.ad_id] if row.ad_id else []), *(str(a.meta_id) for a in ads)]
        ):
            reads += [
                (ad_id, {"fields": "preview_shareable_link"}),
                *((f"{ad_id}/previews", {"ad_format": f}) for _label, f in PREVIEW_FORMATS),
            ]
        try:
            graph: GraphApi = Prefetched(self._graph, reads)
        except AdBeeError as exc:  # the batch itself failed: the reads go one by one
            log.warning("could not batch the reads of #%s: %s", campaign_id, exc)
            graph = self._graph
        if row.ad_id:
            sync[PREVIEWS_KEY] = read_previews(graph, row.ad_id)
        if len(ads) > 1:  # every ad's own previews, for its line on the card
            sync[AD_PREVIEWS_KEY] = {
                ad.key: sync[PREVIEWS_KEY]
                if ad.meta_id == row.ad_id
                else read_previews(graph, str(ad.meta_id))
                for ad in ads
            }
        try:
            advantage = read_advantage_state(graph, row.meta_campaign_id)
        except AdBeeError as exc:
            log.warning("could not read the Advantage+ state of #%s: %s", campaign_id, exc)
            advantage = None
        if advantage is not None:
            sync["advantage"] = sync[BASELINE_ADVANTAGE_KEY] = advantage.to_json()
        # The drift watch's first look: the creative as Meta shows it, against what was sent.
        # Statuses are left to the first status sync, which treats its read as the first.
        try:
            sync["creative"] = graph.get(str(row.creative_id), creative_fields)
        except AdBeeError as exc:
            log.warning("could not read back the creative of #%s: %s", campaign_id, exc)
        if len(shown) > 1:
            sync["ad_creatives"] = {}
            for key, creative_id in shown.items():
                try:
                    sync["ad_creatives"][key] = graph.get(creative_id, creative_fields)
                except AdBeeError as exc:
                    log.warning("could not read back creative %s of #%s: %s", key, campaign_id, exc)
        return with_drift(sync)

    def requests_of(
        self, row: CampaignRecord, spec: CampaignSpec, account: AccountConfig
    ) -> dict[str, dict[str, Any]]:
        """The create requests of this campaign, exactly as ``_create`` sends them: the four of
        the first ad under their level's name, and ``creative N``/``ad N`` for ad N >= 2."""
        requests: dict[str, dict[str, Any]] = {}
        plans = spec.ads()
        for level, step, plan in (
            ("campaign", Step.CAMPAIGN, plans[0]),
            ("adset", Step.ADSET, plans[0]),
            *((f"creative {p.index}", Step.CREATIVE, p) for p in plans),
            *((f"ad {p.index}", Step.AD, p) for p in plans),
        ):
            videos = _uploaded(row, plan)
            call = self._call_for(
                step,
                spec,
                account,
                row,
                video_id=videos[0].video_id if videos else None,
                thumbnail=videos[0].thumbnail_url if videos else None,
                plan=plan,
                videos=videos,
                image_hash=row.meta_id(ObjectRef(ObjectKind.IMAGE, plan.key)),
            )
            requests[level.removesuffix(" 1")] = dict(call.params)
        return requests

    def rollback(
        self,
        campaign_id: int,
        *,
        reason: str,
        status: Status = Status.ROLLED_BACK,
        keep_video: bool = False,
    ) -> list[str]:
        """Delete every object this creation made, newest first; returns ids that could not be deleted.

        ``keep_video`` leaves the uploaded video in the ad account (and its id on the row): when
        Meta refused something else, the video is fine, and uploading it again costs minutes.
        """
        row = self._store.get(campaign_id)
        if row is None:
            raise KeyError(campaign_id)
        leftovers: list[str] = []
        for kind in _ROLLBACK_ORDER:
            # One batch request per kind (meta.graph.batch): a campaign of 50 ads deletes its
            # ads in one request, then its ad set, campaign and creatives; each answered alone.
            objects = [obj for obj in row.objects_of(kind) if obj.meta_id]
            answers = run_batch(self._graph, [Operation.delete(str(o.meta_id)) for o in objects])
            for obj, answer in zip(objects, answers, strict=True):
                if isinstance(answer, dict) or (
                    isinstance(answer, MetaApiError) and answer.subcode == 33  # already gone
                ):
                    self._store.mark_deleted(campaign_id, obj.ref)
                    continue
                log.warning("could not delete %s %s: %s", kind, obj.meta_id, answer)
                leftovers.append(str(obj.meta_id))
        # Images go whatever the refusal: one quick request uploads one again (same bytes, same
        # hash), unlike a video's minutes of upload and processing.
        for image in row.objects_of(ObjectKind.IMAGE):
            if image.meta_id:
                leftovers += self._delete_image(
                    campaign_id, row.ad_account_id, image.ref, image.meta_id
                )
        for video in row.objects_of(ObjectKind.VIDEO):
            if not video.meta_id:
                continue
            if keep_video:
                self._store.set_upload_session(
                    campaign_id, video.ref, meta_id=video.meta_id, session=None
                )
                continue
            if not self._store.release_video(campaign_id, video.ref, meta_id=video.meta_id):
                continue  # another campaign of the account shows it: it stays in Meta
            try:
                self._graph.delete(f"{row.ad_account_id}/advideos", {"video_id": video.meta_id})
                self._store.mark_deleted(campaign_id, video.ref)
            except AdBeeError as exc:
                log.warning("could not remove video %s: %s", video.meta_id, exc)
                leftovers.append(video.meta_id)
        if leftovers:  # the channel card must not claim everything was deleted
            reason += f" Could not delete {', '.join(leftovers)}; remove them in Ads Manager."
        self._store.clear_pending(campaign_id)
        self._store.drop_shared_claims(campaign_id)  # a wait on its unfinished upload ends
        self._store.set_status(campaign_id, status, error=reason)
        return leftovers

    # ---------------------------------------------------------------- branches
    def _video_branch(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        account: AccountConfig,
        notify: ProgressSink,
        stop: threading.Event,
        park: bool,
    ) -> list[str]:
        """Every ad's video; returns the ids Meta is still processing (only when ``park``)."""
        processing: list[str] = []
        for plan in spec.ads():
            if stop.is_set():
                break
            processing += self._one_ad_media(campaign_id, spec, plan, account, notify, stop, park)
        return processing

    def _processing_time_left(self, campaign_id: int) -> float:
        """What remains of ``VIDEO_TIMEOUT`` since the last upload was recorded (persisted, so a
        restart does not start the clock again)."""
        row = self._store.get(campaign_id)
        assert row is not None
        finished = [
            v.updated_at
            for v in row.objects_of(ObjectKind.VIDEO)
            if v.meta_id and not v.thumbnail_url and v.updated_at is not None
        ]
        if not finished:
            return self._video_timeout
        elapsed = (datetime.now(UTC) - max(finished)).total_seconds()
        return self._video_timeout - elapsed

    def _delete_image(
        self, campaign_id: int, ad_account_id: str, ref: ObjectRef, digest: str
    ) -> list[str]:
        """Delete an image this creation uploaded, unless another creative shows it.

        Meta addresses images by content, so another campaign of the account that uploaded the
        same picture shares this very image; its creatives (``AdImage.creatives``) keep it.
        Returns the hash when it could not be deleted.
        """
        try:
            found = find_images(self._graph, ad_account_id, [digest]).get(digest)
            if found is not None and found.get("creatives"):
                log.info("image %s is shown by other creatives; kept", digest)
                self._store.mark_deleted(campaign_id, ref)  # no longer this campaign's
                return []
            if found is not None:
                self._images.delete(ad_account_id, digest)
            self._store.mark_deleted(campaign_id, ref)
        except AdBeeError as exc:
            log.warning("could not remove image %s: %s", digest, exc)
            return [f"image {digest}"]
        return []

    def _one_image(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        plan: AdPlan,
        account: AccountConfig,
        notify: ProgressSink,
    ) -> None:
        """Upload (``ImageSteps``) and creative of one image ad (its creative is checked by
        ``_one_ad_media`` first, so a done ad costs nothing here)."""
        assert plan.image_path is not None
        with _failing_step(Step.IMAGE, plan.index):
            digest = self._images.ensure(
                campaign_id,
                ObjectRef(ObjectKind.IMAGE, plan.key),
                plan.image_path,
                account.ad_account_id,
                notify=notify,
                label=_which_image(spec, plan),
                ad=plan.index,
            )
            if plan.feed_image is not None:  # an image placement pair: its Feed cut too
                self._images.ensure(
                    campaign_id,
                    ObjectRef(ObjectKind.IMAGE, feed_image_key(plan.key)),
                    plan.feed_image,
                    account.ad_account_id,
                    notify=notify,
                    label=_which_image(spec, plan),
                    ad=plan.index,
                )
        with _failing_step(Step.CREATIVE, plan.index):
            self._create(
                campaign_id, Step.CREATIVE, spec, account, notify, plan=plan, image_hash=digest
            )

    def _one_ad_media(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        plan: AdPlan,
        account: AccountConfig,
        notify: ProgressSink,
        stop: threading.Event,
        park: bool = False,
    ) -> list[str]:
        """Upload and processing of each video one ad shows, then its creative; each skipped
        once done. Returns the ids of its videos Meta is still processing (``park`` only): the
        creative waits for them."""
        row = self._store.get(campaign_id)
        assert row is not None
        creative_ref = ObjectRef(ObjectKind.CREATIVE, plan.key)
        creative_id = row.meta_id(creative_ref)
        if creative_id and not row.is_pending(creative_ref):
            notify(
                ProgressEvent(
                    campaign_id, Step.CREATIVE, "skipped", f"creative {creative_id}", ad=plan.index
                )
            )
            return []
        if plan.image_path is not None:
            self._one_image(campaign_id, spec, plan, account, notify)
            return []
        uploaded = []
        processing: list[str] = []
        for video in plan.videos:
            done = self._one_video(campaign_id, spec, video, account, notify, stop, park)
            if isinstance(done, str):  # parked: Meta is still processing it
                processing.append(done)
                continue
            if done is None:  # stopped: the other branch failed
                return []
            uploaded.append(done)
        for number, image in enumerate(plan.group_images, start=1):  # a flexible ad's images
            with _failing_step(Step.IMAGE, plan.index):
                self._images.ensure(
                    campaign_id,
                    ObjectRef(ObjectKind.IMAGE, group_image_key(number)),
                    image,
                    account.ad_account_id,
                    notify=notify,
                    label=f"image {number} of {len(plan.group_images)}: ",
                    ad=plan.index,
                )
        if processing:
            return processing
        with _failing_step(Step.CREATIVE, plan.index):
            self._create(
                campaign_id,
                Step.CREATIVE,
                spec,
                account,
                notify,
                video_id=uploaded[0].video_id,
                thumbnail=uploaded[0].thumbnail_url,
                plan=plan,
                videos=uploaded,
            )
        return []

    def _one_video(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        upload: VideoPlan,
        account: AccountConfig,
        notify: ProgressSink,
        stop: threading.Event,
        park: bool = False,
    ) -> UploadedVideo | str | None:
        """One video uploaded and processed (each skipped once done); None when stopped; its
        id when ``park`` and Meta is still processing it."""
        row = self._store.get(campaign_id)
        assert row is not None
        ref = ObjectRef(ObjectKind.VIDEO, upload.key)
        video = row.object(ref)
        video_id = video.meta_id if video and video.meta_id and not video.upload_session else None
        # The same bytes in this ad account are uploaded once (meta.services.shared_videos).
        # A duplicate in its source's account carries the hash: its file may be gone from here.
        digest = digest_of(upload.path) or spec.known_sha256(upload.index)
        if video_id is None and digest is not None:
            self._stopping.check()
            with _failing_step(Step.UPLOAD, upload.index):
                video_id = self._shared.obtain(
                    campaign_id,
                    account.ad_account_id,
                    ref,
                    digest=digest,
                    title=video_title(spec, campaign_id, upload),
                    which=_which_video(spec, upload),
                    notify=notify,
                    stop=stop,
                )
            if video_id is not None:
                if video and video.meta_id and video.meta_id != video_id:
                    # This campaign's own half-sent upload, from before another took it over.
                    self._lost.delete_video(account, video.meta_id)
                joined = self._store.get(campaign_id)
                assert joined is not None
                video = joined.object(ref)
                detail = f"{_which_video(spec, upload)}video {video_id} (uploaded once, shared)"
                notify(ProgressEvent(campaign_id, Step.UPLOAD, "done", detail, 100))
        if video_id is None:
            self._stopping.check()
            with _failing_step(Step.UPLOAD, upload.index):
                video_id = self._upload(
                    campaign_id,
                    spec,
                    upload,
                    account,
                    video.upload_session if video else None,
                    notify,
                    stop,
                )
        if digest is not None:  # idempotent: also after a crash between the upload and this
            self._shared.uploaded(campaign_id, account.ad_account_id, digest, video_id)
        if stop.is_set():
            return None
        with _failing_step(Step.PROCESS, upload.index):
            thumbnail = (video.thumbnail_url if video else None) or self._wait_for_video(
                campaign_id, upload, video_id, notify, stop, park
            )
        if thumbnail is None:
            return str(video_id)
        if stop.is_set():
            return None
        return UploadedVideo(str(video_id), thumbnail, upload.placement)

    def _campaign_branch(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        account: AccountConfig,
        notify: ProgressSink,
        stop: threading.Event,
    ) -> None:
        with _failing_step(Step.CAMPAIGN):
            self._create(campaign_id, Step.CAMPAIGN, spec, account, notify)
        if not stop.is_set():
            with _failing_step(Step.ADSET):
                self._create(campaign_id, Step.ADSET, spec, account, notify)

    # ---------------------------------------------------------------- steps
    def _upload(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        upload: VideoPlan,
        account: AccountConfig,
        saved_session: dict | None,
        notify: ProgressSink,
        stop: threading.Event,
    ) -> str:
        self._store.set_step(campaign_id, Step.UPLOAD)
        title = video_title(spec, campaign_id, upload)
        ref = ObjectRef(ObjectKind.VIDEO, upload.key)
        path = upload.path
        which = _which_video(spec, upload)
        row = self._store.get(campaign_id)
        assert row is not None
        saved_video = (saved_session or {}).get("video_id")
        if row.is_pending(ref):
            # An earlier run started an upload whose answer (or session) was lost.
            self._lost.delete_uploads(campaign_id, account, title, keep=saved_video)
        else:
            self._store.mark_pending(campaign_id, ref, step=Step.UPLOAD)
        if not path.is_file():
            raise VideoMissingError(
                f"The video {path.name} is no longer on this AdBee server and its "
                "upload to Meta had not finished. Submit the campaign again with the same name "
                "and attach the video: AdBee continues from where it stopped."
            )
        total = path.stat().st_size
        notify(
            ProgressEvent(campaign_id, Step.UPLOAD, "started", which + _mb(total), 0, upload.index)
        )
        last_percent = [-1]

        def progress(update: Any) -> None:
            percent = int(update.bytes_sent * 100 / max(update.total_bytes, 1))
            if percent != last_percent[0]:
                last_percent[0] = percent
                detail = f"{which}{_mb(update.bytes_sent)} of {_mb(update.total_bytes)}"
                notify(
                    ProgressEvent(
                        campaign_id, Step.UPLOAD, "progress", detail, percent, upload.index
                    )
                )

        def persist(session: Any) -> None:
            data = _session_json(session)
            video = data.get("video_id")
            self._store.set_upload_session(
                campaign_id, ref, meta_id=str(video) if video else None, session=data
            )
            self._stopping.check()  # a checkpoint: the next chunk resumes from this session
            if stop.is_set():
                # Meta refused the campaign or ad set while the video was on its way: the
                # refusal decides the outcome, so no further chunk is worth sending.
                raise PipelineError("stopped: the other branch failed", step=Step.UPLOAD)

        resume = UploadSession.from_dict(saved_session) if saved_session else None
        video_id = self._uploader.upload(
            account_id=account.ad_account_id,
            path=path,
            title=title,
            on_progress=progress,
            resume_session=resume,
            on_session=persist,
        )
        self._store.record_meta_object(
            campaign_id, ref, str(video_id), step=Step.UPLOAD, name=title
        )
        if saved_video and saved_video != str(video_id):
            # Meta no longer knew the saved session and the uploader started over.
            self._lost.delete_video(account, str(saved_video))
        notify(
            ProgressEvent(
                campaign_id, Step.UPLOAD, "done", f"{which}video {video_id}", 100, upload.index
            )
        )
        return video_id

    def _wait_for_video(
        self,
        campaign_id: int,
        upload: VideoPlan,
        video_id: str,
        notify: ProgressSink,
        stop: threading.Event,
        park: bool = False,
    ) -> str | None:
        """The video's thumbnail once Meta processed it; None when ``park`` and it is not ready."""
        self._store.set_step(campaign_id, Step.PROCESS)
        row = self._store.get(campaign_id)
        assert row is not None
        which = _which_video(CampaignSpec.from_json(row.spec), upload)
        notify(
            ProgressEvent(
                campaign_id, Step.PROCESS, "started", f"{which}video {video_id}", 0, upload.index
            )
        )

        def on_progress(state: str, percent: int) -> None:
            notify(
                ProgressEvent(
                    campaign_id, Step.PROCESS, "progress", which + state, percent, upload.index
                )
            )

        def get_status() -> dict:
            self._stopping.check()
            if stop.is_set():
                raise PipelineError("stopped: the other branch failed", step=Step.PROCESS)
            self._store.touch(campaign_id)  # alive: no other replica may take this creation over
            return self._graph.get(video_id, {"fields": "status"}).get("status", {})

        if park:
            if not self._ready_at_a_look(campaign_id, get_status, on_progress):
                return None
        else:
            self._wait_until_ready(
                get_status,
                timeout=self._video_timeout,
                interval=self._video_poll_interval,
                on_progress=on_progress,
                sleep=self._stopping.sleep,  # a stop ends the wait between two polls at once
            )
        thumbnail = self._thumbnail(video_id)
        self._store.set_thumbnail(campaign_id, ObjectRef(ObjectKind.VIDEO, upload.key), thumbnail)
        notify(
            ProgressEvent(
                campaign_id, Step.PROCESS, "done", f"{which}video ready", 100, upload.index
            )
        )
        return thumbnail

    def _ready_at_a_look(
        self,
        campaign_id: int,
        get_status: Callable[[], dict],
        on_progress: Callable[[str, int], None],
    ) -> bool:
        """One status read instead of a wait: is the video ready? A temporary failure of the read
        counts as "not yet" (the next look is the watch's); past ``VIDEO_TIMEOUT`` since the
        upload, a video still processing is the same retryable error the wait raises."""
        try:
            status = processing_status(get_status())
        except (MetaApiError, MetaTransportError) as exc:
            if isinstance(exc, MetaApiError) and not exc.is_transient:
                raise
            log.warning("video status read failed (%s); looking again later", exc)
            return False
        on_progress(
            str(status.get("video_status") or "unknown"),
            int(status.get("processing_progress") or 0),
        )
        if is_ready(status):
            return True
        if self._processing_time_left(campaign_id) <= 0:
            raise still_processing(status, self._video_timeout)
        return False

    def _thumbnail(self, video_id: str) -> str:
        thumbnails = self._graph.get(f"{video_id}/thumbnails").get("data", [])
        preferred = [t for t in thumbnails if t.get("is_preferred")] or thumbnails
        if preferred and preferred[0].get("uri"):
            return str(preferred[0]["uri"])
        picture = self._graph.get(video_id, {"fields": "picture"}).get("picture")
        if not picture:
            raise VideoProcessingError(
                f"Meta processed video {video_id} but offers no thumbnail; upload it again"
            )
        return str(picture)

    def _create(
        self,
        campaign_id: int,
        step: Step,
        spec: CampaignSpec,
        account: AccountConfig,
        notify: ProgressSink,
        *,
        video_id: str | None = None,
        thumbnail: str | None = None,
        plan: AdPlan | None = None,
        videos: Sequence[UploadedVideo] = (),
        image_hash: str | None = None,
    ) -> str:
        """Post one create step (of the ad ``plan`` for a creative or an ad), or adopt the object
        an interrupted run made: marked pending before the post, recorded before returning."""
        plan = plan or spec.ads()[0]
        ref = ObjectRef.for_step(step, plan.key if step in _PER_AD else MAIN)
        ad = plan.index if step in _PER_AD else None  # whose line a progress display updates
        row = self._store.get(campaign_id)
        assert row is not None
        existing = row.meta_id(ref)
        if existing:
            notify(
                ProgressEvent(campaign_id, step, "skipped", f"already created: {existing}", ad=ad)
            )
            return str(existing)
        call = self._call_for(
            step,
            spec,
            account,
            row,
            video_id=video_id,
            thumbnail=thumbnail,
            plan=plan,
            videos=videos,
            image_hash=image_hash,
        )
        ad_index = plan.index if step in _PER_AD else 1

        def find_lost() -> str | None:
            return self._lost.find_create(
                step,
                spec,
                account,
                since=row.created_at,
                video_id=video_id,
                ad_index=ad_index,
                image_hash=image_hash,
            )

        if row.is_pending(ref):
            found = find_lost()
            if found:
                self._record(campaign_id, step, call, found, plan)
                notify(
                    ProgressEvent(
                        campaign_id, step, "done", f"found {found} from the interrupted run", ad=ad
                    )
                )
                return found
        self._stopping.check()  # before the marker: a stopped run has posted nothing here
        self._store.begin_step(campaign_id, ref, step=step)
        notify(ProgressEvent(campaign_id, step, "started", ad=ad))
        try:
            object_id = str(self._graph.post(call.path, call.params)["id"])
        except MetaTransportError:
            # The answer was lost, not necessarily the create: look before posting again.
            found = find_lost()
            if found is None:
                notify(
                    ProgressEvent(campaign_id, step, "retry", "connection lost; retrying", ad=ad)
                )
                found = str(self._graph.post(call.path, call.params)["id"])
            object_id = found
        self._record(campaign_id, step, call, object_id, plan)
        notify(ProgressEvent(campaign_id, step, "done", f"{call.label} {object_id}", ad=ad))
        return object_id

    def _record(
        self, campaign_id: int, step: Step, call: GraphCall, object_id: str, plan: AdPlan
    ) -> None:
        """Meta's id for this step's object, linked to its parent and to what it uses."""
        name = call.params.get("name")
        key = plan.key if step in _PER_AD else MAIN
        uses = _USES.get(step)
        if step is Step.CREATIVE and plan.image_path is not None:
            uses = ObjectKind.IMAGE  # an image ad's creative uses its image (keyed like the ad)
        # A creative uses the video it is made from (a pair's vertical cut, a flexible ad's
        # first video); an ad uses its own creative.
        used_key = plan.videos[0].key if uses is ObjectKind.VIDEO else key
        self._store.record_meta_object(
            campaign_id,
            ObjectRef.for_step(step, key),
            object_id,
            step=step,
            name=str(name) if name else None,
            parent=_PARENT.get(step),
            uses=ObjectRef(uses, used_key) if uses else None,
        )

    def _call_for(
        self,
        step: Step,
        spec: CampaignSpec,
        account: AccountConfig,
        row: CampaignRecord,
        *,
        video_id: str | None,
        thumbnail: str | None,
        plan: AdPlan,
        videos: Sequence[UploadedVideo] = (),
        image_hash: str | None = None,
    ) -> GraphCall:
        if step is Step.CAMPAIGN:
            return campaign_call(spec, account)
        if step is Step.ADSET:
            assert row.meta_campaign_id
            return adset_call(spec, account, row.meta_campaign_id)
        if step is Step.CREATIVE and plan.feed_image is not None:
            feed_hash = row.meta_id(ObjectRef(ObjectKind.IMAGE, feed_image_key(plan.key)))
            assert image_hash and feed_hash, "both cuts are uploaded before the creative"
            return image_placement_creative_call(
                spec,
                account,
                vertical_hash=image_hash,
                feed_hash=str(feed_hash),
                ad=plan,
            )
        if step is Step.CREATIVE and plan.image_path is not None:
            assert image_hash
            return image_creative_call(spec, account, image_hash=image_hash, ad=plan)
        if step is Step.CREATIVE:
            assert video_id and thumbnail
            return creative_call(
                spec, account, video_id=video_id, thumbnail_url=thumbnail, ad=plan, videos=videos
            )
        # The first ad's creative through ``creative_id``: the one it uses now (a re-apply swaps).
        creative_id = (
            row.creative_id
            if plan.key == MAIN
            else row.meta_id(ObjectRef(ObjectKind.CREATIVE, plan.key))
        )
        assert row.adset_id and creative_id
        # A flexible ad shows every video of the campaign; all are uploaded before any ad.
        flexible = (
            [str(row.meta_id(ObjectRef(ObjectKind.VIDEO, v.key))) for v in plan.videos]
            if plan.format is AdFormat.FLEXIBLE
            else []
        )
        group_images = [
            str(row.meta_id(ObjectRef(ObjectKind.IMAGE, group_image_key(number))))
            for number in range(1, len(plan.group_images) + 1)
        ]
        return ad_call(
            spec,
            account,
            adset_id=row.adset_id,
            creative_id=creative_id,
            ad_index=plan.index,
            flexible_videos=flexible,
            flexible_images=group_images,
        )

    # ---------------------------------------------------------------- failure
    def _fail(self, campaign_id: int, exc: Exception, notify: ProgressSink) -> CampaignRecord:
        unavailable = _database_unavailable(exc)
        if unavailable is not None:
            # Nothing is wrong with the campaign: the row stays CREATING (writing FAILED would
            # need the database that is away, and would stop the automatic resume), and the
            # caller resumes it once the database answers (bot.slack.creation_flow, the resume job).
            step = getattr(exc, "failed_step", None) or Step.UPLOAD
            reason = f"{unavailable.message}; AdBee will resume this creation when it is back"
            notify(ProgressEvent(campaign_id, step, "failed", reason))
            raise PipelineError(
                f"{STEP_LABELS[step]} paused: {reason}.",
                step=step,
                cause=unavailable,
                resumable=True,
            ) from exc
        row = self._store.get(campaign_id)
        assert row is not None
        # The row's ``step`` is shared by both branches; the exception knows where it came from.
        step = getattr(exc, "failed_step", None) or (Step(row.step) if row.step else Step.UPLOAD)
        if _is_permanent(exc):
            reason = _describe(exc)
            # A video is worth keeping when its upload finished and the refusal was not about it;
            # a half-sent one (stopped because the other branch failed) is of no use to anyone.
            videos = [
                v.meta_id
                for v in row.objects_of(ObjectKind.VIDEO)
                if v.meta_id and not v.upload_session
            ]
            kept = ", ".join(videos) if videos and not _about_video(exc, step) else None
            if kept:
                reason = (
                    f"{reason.rstrip('.')}. The uploaded video {kept} was kept in the ad account "
                    "(Meta's refusal was not about it)."
                )
            leftovers = self.rollback(campaign_id, reason=reason, keep_video=bool(kept))
            metrics.CREATIONS.labels("rolled_back", step.value).inc()
            notify(ProgressEvent(campaign_id, step, "failed", reason, ad=_failed_ad(exc)))
            deleted = (
                f"Everything else created so far was deleted; video {kept} was kept."
                if kept
                else "Everything created so far was deleted."
            )
            message = f"{STEP_LABELS[step]} failed: {_describe(exc).rstrip('.')}. {deleted}"
            if leftovers:
                message += f" Could not delete {', '.join(leftovers)}; remove them in Ads Manager."
            raise PipelineError(message, step=step, cause=exc) from exc
        reason = _describe(exc)
        self._store.set_status(campaign_id, Status.FAILED, error=reason)
        metrics.CREATIONS.labels("failed", step.value).inc()
        notify(ProgressEvent(campaign_id, step, "failed", reason, ad=_failed_ad(exc)))
        if isinstance(exc, VideoMissingError | ImageMissingError):  # says what to do instead
            raise PipelineError(
                f"{STEP_LABELS[step]} stopped: {reason}", step=step, cause=exc, resumable=True
            ) from exc
        raise PipelineError(
            f"{STEP_LABELS[step]} stopped: {reason.rstrip('.')}. Nothing is lost; run the "
            "creation again to resume from this step.",
            step=step,
            cause=exc,
            resumable=True,
        ) from exc

    def _account(self, spec: CampaignSpec) -> AccountConfig:
        account = self._accounts.get(spec.account_key)
        if account is None:
            raise AdBeeError(
                f"account {spec.account_key!r} is no longer in the accounts file; restore it to "
                "resume this creation"
            )
        return account


def _stops_the_other_on_failure(
    stop: threading.Event, branch: Callable[..., Any], *args: object
) -> Any:
    """Run one branch; if it fails, tell the other at once (not when it is next awaited).

    Meta's refusal of the campaign or ad set must end the video upload at its next chunk, not
    after the last one: the refusal decides the outcome whatever the upload does.
    """
    try:
        return branch(*args)
    except BaseException:
        stop.set()
        raise


@contextmanager
def _failing_step(step: Step, ad: int | None = None) -> Iterator[None]:
    """Label an exception with the step (and the ad, for a per-ad step) it escaped from (the
    innermost label wins), so the failure is shown on that ad's line.

    The step is also bound to the log context, so every line written during it names it.
    """
    try:
        with log_context.bound(step=step.value):
            yield
    except Exception as exc:
        if getattr(exc, "failed_step", None) is None:
            with suppress(AttributeError):  # an exception type without __dict__
                exc.failed_step = step  # type: ignore[attr-defined]
                exc.failed_ad = ad  # type: ignore[attr-defined]
        raise


def _failed_ad(exc: Exception) -> int | None:
    """The ad whose step raised ``exc`` (``_failing_step``), None for a campaign-wide step."""
    ad = getattr(exc, "failed_ad", None)
    return ad if isinstance(ad, int) else None


def _database_unavailable(exc: BaseException) -> DatabaseUnavailableError | None:
    """The database outage behind ``exc`` (raised by the store after its retries), if any."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, DatabaseUnavailableError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    return None


def _is_permanent(exc: Exception) -> bool:
    """Permanent means running it again cannot help: Meta refused the request itself."""
    if isinstance(exc, PipelineError) and exc.cause is not None:
        return _is_permanent(exc.cause)
    if isinstance(exc, MetaApiError):
        # Meta's retryable answers (341, 368, 1487390 included) never end in a rollback.
        return not (exc.is_retryable or exc.is_auth)
    if isinstance(exc, VideoProcessingError):
        return not exc.retryable
    return isinstance(exc, ValidationError)


def _about_video(exc: Exception, step: Step) -> bool:
    """Is the failure about the video itself (then the upload is worth nothing)?"""
    if isinstance(exc, PipelineError) and exc.cause is not None:
        return _about_video(exc.cause, step)
    if step in (Step.UPLOAD, Step.PROCESS):
        return True
    if isinstance(exc, VideoProcessingError | VideoRejectedError):
        return True
    return isinstance(exc, MetaApiError) and exc.is_about_video


def _describe(exc: Exception) -> str:
    if isinstance(exc, MetaApiError):
        return f"{exc.user_text()}. {exc.fix_hint()}"
    if isinstance(exc, AdBeeError):
        return exc.message
    if isinstance(exc, MetaTransportError):
        return str(exc)
    log.exception("unexpected error during campaign creation", exc_info=exc)
    return f"unexpected error ({type(exc).__name__}); see the bot's log"


class VideoMissingError(AdBeeError):
    """The video file a creation still has to upload is gone; the user must attach it again."""


def needs_video_file(row: CampaignRecord) -> bool:
    """True while the creation still has bytes to send to Meta (an upload not finished yet).

    After the upload, Meta's copy (the video's id) is all the remaining steps need.
    """
    if row.status not in (Status.CREATING, Status.FAILED):
        return False
    return bool(videos_to_send(row) or images_to_send(row))


def images_to_send(row: CampaignRecord) -> list[AdPlan]:
    """The image ads whose image Meta does not have yet (not uploaded, or its answer lost)."""
    plans = []
    for plan in CampaignSpec.from_json(row.spec).ads():
        if plan.image_path is None:
            continue
        keys = [plan.key] + ([feed_image_key(plan.key)] if plan.feed_image else [])
        for key in keys:
            image = row.object(ObjectRef(ObjectKind.IMAGE, key))
            if image is None or not image.meta_id or image.pending:
                plans.append(plan)
                break
    return plans


def videos_to_send(row: CampaignRecord) -> list[VideoPlan]:
    """The videos Meta does not have in full yet (not uploaded, or half-sent); ``index`` is the
    video's place in the file (the form's file N)."""
    uploads = []
    for upload in CampaignSpec.from_json(row.spec).uploads():
        video = row.object(ObjectRef(ObjectKind.VIDEO, upload.key))
        if video is None or not video.meta_id or video.upload_session:
            uploads.append(upload)
    return uploads


def video_title(spec: CampaignSpec, campaign_id: int, upload: VideoPlan | None = None) -> str:
    """The video's title in Meta, already cut to Meta's limit (``meta.domain.video_title``): naming the
    AdBee id lets a resumed run find its lost uploads, by the very text Meta stored. In a campaign
    of several videos the video's number leads the file name, so no two uploads share a title."""
    return make_video_title(upload_name(spec, upload or spec.uploads()[0]), campaign_id)


def _which_video(spec: CampaignSpec, upload: VideoPlan) -> str:
    """A progress line's prefix naming the video when there are several ("video 2 of 3: ")."""
    return f"video {upload.index} of {len(spec.videos)}: " if len(spec.videos) > 1 else ""


def _which_image(spec: CampaignSpec, plan: AdPlan) -> str:
    """A progress line's prefix naming the image ad among all ads ("image 3 of 3: ")."""
    total = len(spec.ads())
    return f"image {plan.index} of {total}: " if total > 1 else ""


def _uploaded(row: CampaignRecord, plan: AdPlan) -> list[UploadedVideo]:
    """The processed videos of one ad as recorded (empty until each has its id and thumbnail)."""
    videos = []
    for upload in plan.videos:
        video = row.object(ObjectRef(ObjectKind.VIDEO, upload.key))
        if video is None or not video.meta_id or not video.thumbnail_url:
            return []
        videos.append(UploadedVideo(video.meta_id, video.thumbnail_url, upload.placement))
    return videos


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def _session_json(session: UploadSession | dict) -> dict:
    return session if isinstance(session, dict) else session.to_dict()
