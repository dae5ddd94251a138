"""What happens after the create modal is submitted, in the bounded worker pool.

record the request (before the ack) -> download the video from Slack -> check it -> record the
creation -> run the Meta pipeline while the channel message shows live progress -> the approval
message, or the failure in the thread with Meta's own words and what to do.

Nothing accepted is lost: the request row (``creation_requests``) exists before the user sees
"AdBee is creating…", and until the campaign row takes over, a restart or another replica
carries it on (``pending_work``). The downloaded video is kept while its creation can still be
resumed, and fetched from Slack again if it went missing before Meta had all of it.

Slack never decides what happens in Meta: progress edits are best effort (any Slack failure is
logged and dropped), and the end of the creation goes through the alert outbox, so a Slack
outage at that moment only delays the Approve/Reject (or failure-with-Resume) message.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.acks import SubmissionAcks
from bot.slack.batch_board import BatchBoard
from bot.slack.batch_downloads import BatchDownloads
from bot.slack.budget import ProgressEdits, SlackBudget
from bot.slack.campaign_messages import CampaignMessages
from bot.slack.files import DownloadedFile, download_slack_file, release_upload
from bot.slack.posts import post_once
from handlers.blocks.bulk import build_bulk_refused_rows_modal, progress_text
from handlers.blocks.common import esc, truncate
from handlers.blocks.duplicate import build_duplicate_modal
from handlers.blocks.progress import StepState, build_progress_message, build_usage_wait_message
from handlers.blocks.results import build_refused_modal
from handlers.forms import CampaignForm, form_errors
from meta.domain.errors import AdBeeError, PipelineError, ValidationError
from meta.domain.ports import GraphApi
from meta.domain.records import CampaignRecord, CreationRequestRecord, ObjectKind, ObjectRef
from meta.domain.spec import CampaignSpec, feed_image_key, group_image_key
from meta.domain.states import ProgressEvent, Status, Step
from meta.domain.stopping import CreationInterrupted, StopSignal
from meta.graph.retry import throttle_listener
from meta.graph.usage import AccountUsage
from meta.services.alerts import CREATION_FINISHED, AlertOutbox, Notifier
from meta.services.campaigns import CampaignService
from meta.services.creation_lease import CreationBusyError, Lease, lease_is_free
from meta.services.duplicates import DuplicateError, DuplicateService
from meta.services.pipeline import AwaitingVideo, needs_video_file, videos_to_send
from meta.services.processing_watch import DEFAULT_INTERVAL, ProcessingWatch
from meta.services.summary import CampaignSummary
from meta.services.throttle_notice import StartDeadlineNotice
from meta.services.work_pool import DEFAULT_CEILING_PERCENT, SHARED_LANE, FairPool
from storage.repository import CampaignStore
from storage.requests import CreationRequestStore
from storage.transient import DatabaseUnavailableError

log = logging.getLogger(__name__)
# How long a refusal waits for its submission's ack to go out before re-showing the form anyway:
# Slack's own ack window, after which Slack has the ack or gave up on it.
ACK_WAIT_SECONDS = 3.0
# chat.postMessage errors that mean "this channel will not take the bot's messages".
_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# A request that fails (or kills its process) this often is reported instead of tried again.
MAX_REQUEST_ATTEMPTS = 5


class RequestStatus(StrEnum):
    QUEUED = "queued"  # accepted; no campaign row yet (downloading, checking, or waiting)
    STARTED = "started"  # the campaign row took over (``campaign_id``)
    REFUSED = "refused"  # the video or a value was refused after the ack; the user was told
    FAILED = "failed"  # an unexpected error; the user was told, with a reference for the log


# How many times (each a full store retry budget) a paused creation waits for the database
# before leaving it to the periodic resume job.
_DATABASE_WAITS = 60


class CreationFlow:
    def __init__(
        self,
        *,
        client: WebClient,
        campaigns: CampaignService,
        store: CampaignStore,
        messages: CampaignMessages,
        channel: str,
        executor: Executor,
        base_dir: Path,
        work_dir: Path,
        outbox: AlertOutbox,
        notifier: Notifier,
        requests: CreationRequestStore,
        stopping: StopSignal,
        acks: SubmissionAcks,
        update_interval: float = 3.0,
        progress: ProgressEdits | None = None,
        graph: GraphApi | None = None,
        processing_interval: float = DEFAULT_INTERVAL,
        usage: AccountUsage | None = None,
        usage_ceiling: float = DEFAULT_CEILING_PERCENT,
    ) -> None:
        """``graph``: when given, a creation does not hold its worker while Meta processes its
        video: it is parked with one shared watch (``ProcessingWatch``) and queued again, first
        in its requester's lane, once Meta is done. ``usage``/``usage_ceiling``: what the pool
        holds new work for (``FairPool`` ``admit``), so a held request can say why it waits."""
        self._client = client
        self._campaigns = campaigns
        self._store = store
        self._messages = messages
        self._channel = channel
        self._executor = executor
        self._base_dir = base_dir
        self._work_dir = work_dir
        self._interval = update_interval
        self._outbox, self._notifier = outbox, notifier
        self._requests = requests
        self._stopping = stopping
        self._acks = acks
        # Work this process has queued or is running, so a scan does not queue it twice.
        self._mine: dict[tuple[str, int], Future[None]] = {}
        self._mine_lock = threading.Lock()
        self._downloads = BatchDownloads()  # a bulk's rows naming one file download it once
        # Requests recorded here and not started yet: (requester, ad account id).
        self._recorded: dict[int, tuple[str, str | None]] = {}
        # Progress edits are many and expendable: coalesced (the latest state of a message wins)
        # and sent behind cards and alerts, never waited for by the pipeline (bot.slack.budget).
        self._progress = progress or ProgressEdits(client, SlackBudget())
        self._watch = (
            ProcessingWatch(graph, on_done=self._processed, interval=processing_interval)
            if graph is not None
            else None
        )
        self._parked: dict[int, str] = {}  # campaign id -> requester, while Meta processes
        self._usage, self._usage_ceiling = usage, usage_ceiling

    # Set by ``build_bot``: duplicates read their source from Meta (None without Meta).
    duplicates: DuplicateService | None = None

    # ------------------------------------------------------------------ DuplicatePort
    def duplicator(self, ref: str) -> dict[str, Any]:
        """The create modal pre-filled from campaign ``ref`` as Meta holds it now."""
        if self.duplicates is None:
            raise AdBeeError("Duplicating needs AdBee's Meta connection, which is not set up.")
        draft = self.duplicates.draft(ref)
        source = draft.source
        return build_duplicate_modal(
            accounts=self._campaigns.accounts.all(),
            prefill={k: v for k, v in draft.request.items() if v not in (None, [], "")},
            source_id=source.id,
            source_name=source.name,
            source_account=source.account_key,
            videos=[*self.duplicates.videos_of(source), *draft.request.get("images", [])],
            notes=draft.notes,
        )

    # ------------------------------------------------------------------ CreationPort
    def check_form(self, form: CampaignForm) -> dict[str, str]:
        template_video = self._template_video(form)
        errors = form.problems(video_required=template_video is None and not form.duplicate_of)
        try:
            self._campaigns.check_without_video(form.to_request())
        except ValidationError as exc:
            errors = {**form_errors(exc), **errors}
        return errors

    def record(
        self, form: CampaignForm, *, key: str, user_id: str, team_id: str | None, view_id: str
    ) -> int | None:
        try:
            row = self._requests.add(
                key=key,
                form=form.model_dump(mode="json"),
                requested_by=user_id,
                team_id=team_id,
                view_id=view_id,
                status=RequestStatus.QUEUED,
            )
        except Exception as exc:  # the database did not answer: say so instead of promising
            log.exception("could not record a create request of %s", user_id)
            raise AdBeeError(
                "AdBee could not record your request (its database did not answer: "
                f"{type(exc).__name__}); nothing was started. Submit again in a moment."
            ) from exc
        if row is None:
            return None
        with self._mine_lock:  # whose lane and which ad account, for ``start``
            self._recorded[row.id] = (user_id, self._ad_account_of(form.account))
        return row.id

    def start(self, request_id: int, *, lane: str | None = None) -> None:
        """Queue a recorded request in its requester's lane (``lane``: a bulk batch's own)."""
        with self._mine_lock:
            recorded = self._recorded.pop(request_id, None)
        if recorded is None:  # recorded by another process or before a restart
            request = self._requests.get(request_id)
            if request is None:
                return
            recorded = (request.requested_by, self._ad_account_of(request.form.get("account")))
        requester, account = recorded
        if account is not None:
            self._tell_if_held(request_id, account)
        # Submitted here: the ack this process sends for it is the one a refusal waits for.
        self._queue(
            ("request", request_id),
            self._run_request,
            request_id,
            True,
            lane=lane or requester,
            account=account,
        )

    def _tell_if_held(self, request_id: int, ad_account_id: str) -> None:
        """A request its ad account's usage holds in the queue shows it in the channel at once,
        in the message that later shows its progress, instead of nothing until Meta's usage
        falls. Best effort: the request starts when its account allows, told or not."""
        if self._usage is None:
            return
        ceiling = self._usage_ceiling
        if self._usage.hold_seconds(ad_account_id, ceiling=ceiling) <= 0:
            return
        try:
            request = self._requests.get(request_id)
            if request is None or (request.slack_channel and request.slack_ts):
                return
            form = CampaignForm.model_validate(request.form)
            account = self._campaigns.accounts.get(form.account) if form.account else None
            posted = post_once(
                self._client,
                key=_start_key(request_id),  # the start message: _accept finds it recorded
                channel=self._channel_for(form.account),
                unfurl_links=False,
                **build_usage_wait_message(
                    name=form.name or "campaign",
                    requested_by=request.requested_by,
                    account_name=account.name if account else str(form.account),
                    percent=self._usage.percent(ad_account_id),
                    ceiling=ceiling,
                ),
            )
            self._requests.set_slack_message(request_id, channel=posted.channel, ts=posted.ts)
        except Exception:  # the start message is posted when the request starts, as usual
            log.warning("could not say that request #%s waits for Meta", request_id, exc_info=True)

    def resume(
        self,
        campaign_id: int,
        *,
        user_id: str,
        team_id: str | None,
        automatic: bool = False,
        first: bool = False,
    ) -> None:
        """Carry on a creation: a Resume click, or (``automatic``) one whose process died.

        ``first``: ahead of its requester's other queued work (it is the closest to its card).
        """
        lane = user_id or self._requester_of(campaign_id)
        # Work already under way is not held for its account's usage: only new work is.
        self._queue(
            ("campaign", campaign_id),
            self._resume_safely,
            campaign_id,
            user_id,
            automatic,
            lane=lane,
            first=first,
        )

    def _requester_of(self, campaign_id: int) -> str | None:
        row = self._store.get(campaign_id)
        return row.requested_by if row else None

    def _ad_account_of(self, account_key: object) -> str | None:
        account = self._campaigns.accounts.get(str(account_key)) if account_key else None
        return account.ad_account_id if account else None

    # ------------------------------------------------------------------ restart and stop
    def pending_work(self) -> None:
        """Queue what nobody is doing: requests and creations whose process died or stopped.

        Called at start-up and periodically; a live run holds a lease with a heartbeat, so on
        several replicas each item is taken by one of them only.

        Creations go first, ahead of their requesters' queued requests: one may own the upload a
        queued request's campaign shares (``SharedVideos``), and that campaign, run first,
        waited for it holding the worker (WORKER_THREADS=1: the only one) until it took the
        upload over after 20 s and sent the video to Meta a second time.
        """
        for row in self._store.list_campaigns(statuses=[Status.CREATING], limit=100):
            if lease_is_free(row) and not self._is_mine("campaign", row.id):
                if not self._adopt_request_of(row):
                    continue  # its request is being run right now: that run carries it on
                log.info("resuming abandoned creation #%s (%s)", row.id, row.name)
                self.resume(
                    row.id, user_id=row.requested_by or "", team_id=None, automatic=True, first=True
                )
        for request in self._requests.list_requests(statuses=[RequestStatus.QUEUED]):
            if lease_is_free(request) and not self._is_mine("request", request.id):
                log.info("carrying on create request #%s of %s", request.id, request.requested_by)
                self._queue(
                    ("request", request.id),
                    self._run_request,
                    request.id,
                    False,
                    lane=request.requested_by,
                    account=self._ad_account_of(request.form.get("account")),
                )

    def stop(self, deadline: float) -> int:
        """Stop taking work; give running work until ``deadline`` (monotonic) to checkpoint.

        Queued work is handed back, not dropped: its rows stay queued (or CREATING) without a
        lease, for the next process. Returns how many runs are still going at the deadline.
        """
        self._stopping.set()
        if self._watch is not None:  # parked creations stay creating for the next process
            self._watch.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._mine_lock:
            running = [f for f in self._mine.values() if not f.done()]
        _done, still = wait(running, timeout=max(deadline - time.monotonic(), 0))
        self._progress.stop()
        return len(still)

    def _adopt_request_of(self, row: CampaignRecord) -> bool:
        """Before an abandoned creation is resumed, the queued request it was made for is
        marked started with it; False when that request is being run right now.

        A process killed (or a database that failed) after the campaign's insert and before its
        request was marked started leaves both: the campaign, shown in the request's message
        (written in the same insert), and the request, still queued. Resumed alone, the campaign
        posts its card, which becomes its message, and the request's own run afterwards found
        the name taken and said "already exists" in the message of a campaign being created.
        A request some other run holds is left to it: its ``begin`` takes the campaign over
        (same name, same message), so the campaign is not resumed beside it now.
        """
        if not (row.slack_channel and row.slack_ts):
            return True  # from the command line, or recorded before campaigns kept their message
        try:
            for request in self._requests.shown_in(
                row.slack_channel, row.slack_ts, statuses=[RequestStatus.QUEUED]
            ):
                if request.batch is not None and not _is_row_of(request, row):
                    continue  # another row of the same bulk batch message
                if self._is_mine("request", request.id):
                    return False
                with Lease(self._requests, request, busy="another AdBee process has it"):
                    current = self._requests.get(request.id)
                    if current is None or current.status != RequestStatus.QUEUED:
                        return True
                    self._requests.finish(request.id, RequestStatus.STARTED, campaign_id=row.id)
                log.info(
                    "create request #%s takes over creation #%s, recorded before its run ended",
                    request.id,
                    row.id,
                )
                return True
        except CreationBusyError:
            return False
        except Exception:  # the database did not answer: the next scan looks again
            log.warning("could not check the request of creation #%s", row.id, exc_info=True)
            return False
        return True

    def _queue(
        self,
        key: tuple[str, int],
        fn: Callable[..., None],
        *args: object,
        lane: str | None = None,
        account: str | None = None,
        first: bool = False,
    ) -> None:
        """Run ``fn`` in the pool once per ``key``: in ``lane`` (the requester's, so a bulk
        never makes a colleague wait behind it), paced by ``account``'s usage at Meta."""
        with self._mine_lock:
            if key in self._mine:
                return
            try:
                if isinstance(self._executor, FairPool):
                    future = self._executor.submit_to(
                        lane or SHARED_LANE, fn, *args, account=account, first=first
                    )
                else:
                    future = self._executor.submit(fn, *args)
            except RuntimeError:  # shutting down: the row stays for the next process
                log.info("stopping: %s #%s is left for the next AdBee process", *key)
                return
            self._mine[key] = future
        future.add_done_callback(lambda _f: self._forget(key))

    def _forget(self, key: tuple[str, int]) -> None:
        with self._mine_lock:
            self._mine.pop(key, None)

    def _is_mine(self, kind: str, item_id: int) -> bool:
        if kind == "campaign" and self._watch is not None and self._watch.watching(item_id):
            return True  # parked here while Meta processes its video
        with self._mine_lock:
            return (kind, item_id) in self._mine or (
                kind == "campaign" and ("processed", item_id) in self._mine
            )

    # ------------------------------------------------------------------ Meta's processing
    def _park(self, campaign_id: int, user_id: str, waiting: AwaitingVideo) -> None:
        """The worker is free; the watch hands the creation back when Meta is done."""
        assert self._watch is not None
        with self._mine_lock:
            self._parked[campaign_id] = user_id
        self._watch.watch(campaign_id, waiting.video_ids, seconds_left=waiting.seconds_left)

    def _processed(self, campaign_id: int) -> None:
        """Meta is done with the videos: carry on, ahead of the requester's new work."""
        with self._mine_lock:
            user_id = self._parked.pop(campaign_id, "")
        self._queue(
            ("processed", campaign_id),
            self._resume_safely,
            campaign_id,
            user_id,
            True,
            lane=user_id or self._requester_of(campaign_id),
            first=True,
        )

    # ------------------------------------------------------------------ the work
    def _resume_safely(self, campaign_id: int, user_id: str, automatic: bool) -> None:
        summary = self._campaigns.get(campaign_id)
        if summary is None or summary.status != Status.CREATING:
            return  # finished (or stopped) meanwhile, by this process or another
        try:
            self._fetch_missing_video(campaign_id)
            self._fetch_missing_images(campaign_id)
            if summary.slack_channel and summary.slack_ts:
                self._create(
                    summary, user_id, summary.slack_channel, summary.slack_ts, quiet=automatic
                )
            else:  # started from the CLI: no channel message to keep current
                self._campaigns.run_creation(campaign_id)
        except CreationInterrupted:
            return
        except AdBeeError as exc:
            log.info("resumed creation #%s stopped: %s", campaign_id, exc.message)
        except Exception:
            log.exception("resuming creation #%s crashed", campaign_id)
        finally:
            self._release_video_if_done(campaign_id)

    def _run_request(self, request_id: int, submitted_here: bool) -> None:
        """``submitted_here`` is False when a scan carries on a request another process left."""
        request = self._requests.get(request_id)
        if request is None or request.status != RequestStatus.QUEUED:
            return
        try:
            with Lease(self._requests, request, busy="another AdBee process has this request"):
                attempt = request.attempts + 1
                self._requests.set_attempts(request_id, attempt)
                if attempt > MAX_REQUEST_ATTEMPTS:  # it crashed every process that tried it
                    raise RuntimeError(f"request #{request_id} failed {attempt - 1} times")
                campaign = self._accept(request, request.key if submitted_here else None)
        except (CreationBusyError, CreationInterrupted):
            return  # another process has it, or it stays queued for the next one
        except Exception:
            if request.attempts + 1 < MAX_REQUEST_ATTEMPTS:
                # Slack or the database may be down for a moment: the next scan tries again.
                log.warning("create request #%s failed; it stays queued", request_id, exc_info=True)
                return
            reference = self._report_crash(request.requested_by)
            with contextlib.suppress(Exception):
                self._requests.finish(
                    request_id, RequestStatus.FAILED, error=f"reference {reference}"
                )
            return
        if campaign is None:
            return
        summary, channel, ts = campaign
        try:
            self._create(
                summary,
                request.requested_by,
                channel,
                ts,
                downloaded=True,
                # Busy means another process runs it (its own resume got there first); that
                # run keeps this message current, so there is nothing to add.
                quiet=True,
            )
        except CreationInterrupted:
            return
        except Exception:
            self._report_crash(request.requested_by)
        finally:
            self._release_video_if_done(summary.id)

    def _accept(
        self, request: CreationRequestRecord, ack_key: str | None
    ) -> tuple[CampaignSummary, str, str] | None:
        """Download and check the video and record the creation; None when refused (told).

        ``ack_key``: the submission whose ack a re-shown form must follow (``SubmissionAcks``);
        None when the ack was another process's, long ago.
        """
        form = CampaignForm.model_validate(request.form)
        name = form.name or "campaign"
        channel, ts = request.slack_channel, request.slack_ts
        if not (channel and ts):
            target = self._channel_for(form.account)
            try:
                posted = post_once(
                    self._client,
                    # one per request: a run after a crash finds the message an earlier one posted
                    key=_start_key(request.id),
                    channel=target,
                    unfurl_links=False,
                    **_preparing(name, request.requested_by, form),
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                if error not in _CANNOT_POST:
                    raise
                self._cannot_post(
                    form, request.requested_by, request.view_id or "", error, ack_key, target
                )
                self._requests.finish(request.id, RequestStatus.REFUSED, error=error)
                return None
            channel, ts = posted.channel, posted.ts
            self._requests.set_slack_message(request.id, channel=channel, ts=ts)
        elif (board := self._board_of(channel, ts)) is not None:  # a bulk row: its batch message
            board.step(channel, ts, text=progress_text({}, StepState()), request_id=request.id)
        else:  # posted earlier: while it waited for its account (_tell_if_held), or a crash
            self._progress.edit(channel, ts, _preparing(name, request.requested_by, form))
        folder = self._work_dir / f"request-{request.id}"
        spec = self._spec_with_video(form, folder, request, channel, ts, ack_key)
        if isinstance(spec, str):  # refused, and told; a bulk row shows why on its row too
            self._requests.finish(request.id, RequestStatus.REFUSED, error=spec)
            self._show_in_batch(channel, ts)
            self._refuse_in_bulk_modal(request, ack_key)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        try:
            summary = self._campaigns.start_creation(
                spec,
                requested_by=request.requested_by,
                source="slack",
                slack_channel=channel,
                slack_ts=ts,
            )
        except AdBeeError as exc:
            self._finish_failed(channel, ts, exc.message, request=request)
            self._requests.finish(request.id, RequestStatus.REFUSED, error=exc.message)
            self._show_in_batch(channel, ts)
            self._refuse_in_bulk_modal(request, ack_key)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        self._requests.finish(request.id, RequestStatus.STARTED, campaign_id=summary.id)
        if summary.status not in (Status.CREATING, Status.FAILED):
            # This message's own campaign, made by a run that died before marking the request
            # started, and already past creating: its end was announced by the run that
            # finished it (its card, or its row of the batch message), so nothing runs again.
            log.info(
                "create request #%s: its campaign #%s is already %s",
                request.id,
                summary.id,
                summary.status,
            )
            self._show_in_batch(channel, ts)
            self._release_video_if_done(summary.id)
            return None
        source = self._source_of(form)
        if source is not None and self.duplicates is not None:
            self.duplicates.audit(
                source, summary.id, spec, requested_by=request.requested_by or "slack"
            )
        return summary, channel, ts

    def _report_crash(self, user_id: str) -> str:
        reference = uuid.uuid4().hex[:8]
        log.exception("campaign creation for %s crashed (reference %s)", user_id, reference)
        with contextlib.suppress(Exception):  # Slack itself may be what failed
            self._client.chat_postEphemeral(
                channel=self._channel,
                user=user_id,
                text=f":warning: Your campaign could not be created: something went wrong on "
                f"AdBee's side (reference {reference}). Nothing was left half-made in a way "
                "AdBee cannot resume; ask an admin to check the log.",
            )
        return reference

    # ------------------------------------------------------------------ the video file
    def _fetch_missing_video(self, campaign_id: int) -> None:
        """Download a video from Slack again when the kept copy is gone and Meta lacks it.

        The copy can vanish with a lost disk or on a replica that does not share it. Once Meta
        has the whole upload (the video's id) nothing needs the file; before that, the Slack file
        recorded with the request (the form's file N for ad N) is fetched again. If Slack no
        longer has it either, the pipeline says so and asks for the video (``VideoMissingError``).
        """
        row = self._store.get(campaign_id)
        if row is None or not needs_video_file(row):
            return
        spec = CampaignSpec.from_json(row.spec)
        missing = [plan for plan in videos_to_send(row) if not plan.path.is_file()]
        if not missing:
            return
        request = self._requests.for_campaign(campaign_id)
        file_ids = CampaignForm.model_validate(request.form).video_file_ids if request else ()
        videos = list(spec.videos)
        for plan in missing:
            if plan.index > len(file_ids):
                continue  # a template's video: on this server or nowhere
            try:
                downloaded = download_slack_file(
                    self._client,
                    file_ids[plan.index - 1],
                    dest_dir=self._work_dir / f"campaign-{campaign_id}" / str(plan.index),
                    on_progress=lambda _done, _total: self._stopping.check(),
                )
            except ValidationError as exc:
                log.warning(
                    "creation #%s: video %s is gone from Slack too: %s",
                    campaign_id,
                    plan.index,
                    exc,
                )
                continue
            log.info("creation #%s: fetched video %s from Slack again", campaign_id, plan.index)
            videos[plan.index - 1] = downloaded.path
        self._store.set_spec(
            campaign_id,
            {
                **row.spec,
                "video_path": str(videos[0]),
                "extra_videos": [str(path) for path in videos[1:]],
            },
        )

    def _release_video_if_done(self, campaign_id: int) -> None:
        """Delete the downloaded videos only once their creation can no longer need them.

        Decided from the row, not from how this run ended: after a crash, a stop or any error
        the row is still CREATING or FAILED (resumable), and the files stay.
        """
        with contextlib.suppress(Exception):
            row = self._store.get(campaign_id)
            if row is not None and row.status not in (Status.CREATING, Status.FAILED):
                for path in CampaignSpec.from_json(row.spec).videos:
                    release_upload(path, self._work_dir)

    def _create(
        self,
        summary: CampaignSummary,
        user_id: str,
        channel: str,
        ts: str,
        *,
        downloaded: bool = False,
        quiet: bool = False,
    ) -> None:
        """Run (or resume) the pipeline with live progress.

        ``quiet``: an automatic resume says nothing if another process turned out to be running
        this creation after all. ``CreationInterrupted`` (the process is stopping) goes up: the
        creation stopped at a checkpoint and the next process continues it.
        """
        progress = _Progress(
            self._progress,
            channel,
            ts,
            self._campaigns.get(summary.id),
            self._interval,
            board=self._board_of(channel, ts),
        )
        if downloaded:
            progress.download = StepState("done", 100, "downloaded")
        progress.flush(force=True)
        # A throttle wait that outlasts the time left before the start is said in the thread.
        notice = StartDeadlineNotice(
            start=summary.start_time,
            clock=lambda: datetime.now(UTC),
            tell=lambda text: self._reply_quietly(channel, ts, text),
            monotonic=time.monotonic,
        )
        try:
            with throttle_listener(notice):
                done = self._campaigns.run_creation(
                    summary.id, progress, park=self._watch is not None
                )
        except AwaitingVideo as waiting:  # the progress message already says "processing"
            self._park(summary.id, user_id, waiting)
            return
        except CreationBusyError as exc:
            if not quiet:
                with contextlib.suppress(Exception):  # a courtesy; the other run reports
                    self._thread_reply(channel, ts, f":hourglass: {esc(exc.message)}")
            return
        except DatabaseUnavailableError as exc:  # outside a step: taking or releasing the lease
            self._database_away(summary, user_id, channel, ts, exc.message)
            return
        except PipelineError as exc:
            if isinstance(exc.cause, DatabaseUnavailableError):
                # the outbox lives in the database that is away: tell the thread directly
                self._database_away(summary, user_id, channel, ts, exc.message)
                return
            # the message will say what happened and offer what is next (Resume)
            self._announce_end(summary.id, f":x: {esc(exc.message)}")
            return
        # Its approval card is posted on its own and mentions the requester: no reply needed.
        self._announce_end(done.id, None)

    def _announce_end(self, campaign_id: int, reply: str | None) -> None:
        """The campaign shows the outcome (its approval card, or the progress message with what
        went wrong), and the thread gets ``reply`` when there is one, exactly once.

        Queued in the alert outbox first (committed), then tried at once: if Slack does not
        answer now, the alert flush job delivers it when Slack is back. The message is
        rendered from the row at delivery, so it always ends as the row ended.
        """
        key = f"creation-finished:{campaign_id}:{uuid.uuid4().hex[:12]}"
        self._outbox.queue(kind=CREATION_FINISHED, campaign_id=campaign_id, detail=reply, key=key)
        if not self._outbox.deliver_now(key, self._notifier):
            log.warning("the end of creation #%s waits for Slack (queued)", campaign_id)

    def _database_away(
        self, summary: CampaignSummary, user_id: str, channel: str, ts: str, message: str
    ) -> None:
        """Say why the creation paused and what happens next, then make that true: resume it
        here as soon as the database answers (the row is still CREATING, so after a restart the
        resume job picks it up instead)."""
        text = (
            message
            if "resume" in message
            else f"{message}; AdBee will resume this creation when it is back"
        )
        with contextlib.suppress(Exception):  # Slack may be away as well; the resume still runs
            self._thread_reply(channel, ts, f":hourglass: {esc(text.rstrip('.'))}.")
        self._queue(
            ("database-wait", summary.id),
            self._resume_when_database_is_back,
            summary.id,
            user_id,
            lane=user_id,
        )

    def _resume_when_database_is_back(self, campaign_id: int, user_id: str) -> None:
        for _attempt in range(_DATABASE_WAITS):
            try:
                self._store.get(campaign_id)  # retries for DATABASE_RETRY_SECONDS itself
            except DatabaseUnavailableError:
                try:  # a pause between retry budgets that ends as soon as the process stops
                    self._stopping.sleep(1.0)
                except CreationInterrupted:
                    log.info("stopping: creation #%s is left for the next process", campaign_id)
                    return
                continue
            log.info("database is back: resuming creation #%s", campaign_id)
            self._resume_safely(campaign_id, user_id, automatic=True)
            return
        log.error("database still away; creation #%s waits for the resume job", campaign_id)

    def _spec_with_video(
        self,
        form: CampaignForm,
        folder: Path,
        record: CreationRequestRecord,
        channel: str,
        ts: str,
        ack_key: str | None,
    ) -> CampaignSpec | str:
        """The campaign's spec with its videos downloaded and checked by content; or, refused,
        the problem (the requester was told, in the form and in the channel)."""
        view_id = record.view_id or ""
        template_video = self._template_video(form)
        videos: list[Path | str] = [template_video] if template_video else []
        images: list[Path] = []
        reused: dict[str, str] = {}
        try:
            source = self._source_of(form)
            if source is not None and not form.media_file_ids and self.duplicates:
                kept = self.duplicates.videos_of(source)
                reused = self.duplicates.reused(source, form.to_request(*kept))
                videos = list(self._source_files(source, kept, reused, folder))
                images = self._source_images(source, folder)
            if form.media_file_ids:
                downloaded = {
                    # one folder per file: two attachments may share a name
                    file_id: self._download(record, form, file_id, folder / str(number)).path
                    for number, file_id in enumerate(form.media_file_ids, start=1)
                }
                # The videos' ads first, then the images' (as in a campaign file).
                videos = [downloaded[i] for i in form.video_file_ids] or videos
                images = [downloaded[i] for i in form.media_file_ids if i in form.image_file_ids]
            request = form.to_request(*videos, images=images)
            if source is not None:  # the form has no creative_mode: a duplicate keeps the source's
                request["creative_mode"] = CampaignSpec.from_json(source.spec).creative_mode
            return self._campaigns.validate(request, reused=reused)
        except ValidationError as exc:
            problem = "; ".join(p.message for p in exc.problems)
        except DuplicateError as exc:  # the source campaign is gone
            problem = exc.message
        if record.batch is None:  # a bulk row's modal is the bulk's (_refuse_in_bulk_modal)
            self._refuse_in_modal(form, view_id, problem, ack_key)
        self._finish_failed(channel, ts, problem, request=record)
        return problem

    def _download(
        self, record: CreationRequestRecord, form: CampaignForm, file_id: str, dest_dir: Path
    ) -> DownloadedFile:
        """A form's file from Slack into ``dest_dir``: once per bulk, linked for its other rows."""
        return self._downloads.fetch(
            record.batch,
            file_id,
            dest_dir,
            lambda dest: download_slack_file(
                self._client,
                file_id,
                dest_dir=dest,
                # a stop ends the download; the request stays queued and starts over
                on_progress=lambda _done, _total: self._stopping.check(),
                # a picture is judged by its content after download (meta.image.check)
                video=file_id not in form.image_file_ids,
            ),
        )

    def _refuse_in_modal(
        self, form: CampaignForm, view_id: str, problem: str, ack_key: str | None
    ) -> None:
        prefill = {k: v for k, v in form.to_request().items() if v not in (None, [], "")}
        if form.template:
            prefill["template"] = form.template
        if form.duplicate_of:
            prefill["duplicate_of"] = form.duplicate_of
        view = build_refused_modal(
            accounts=self._campaigns.accounts.all(),
            templates=self._campaigns.template_choices(),
            template_notes=self._campaigns.template_notes(),
            prefill=prefill,
            problem=problem,
        )
        # Slack applies the submission's own "update" (the working modal) when the ack reaches
        # it; an update that overtook the ack would be overwritten, so a refusal follows the ack.
        if ack_key is not None and not self._acks.wait(ack_key, timeout=ACK_WAIT_SECONDS):
            log.info("no ack went out for %s; re-showing the form anyway", ack_key)
        try:
            self._client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:  # the user closed the modal: the channel still says why
            log.info("could not reopen the form: %s", exc.response.get("error"))

    def _refuse_in_bulk_modal(self, request: CreationRequestRecord, ack_key: str | None) -> None:
        """A bulk row refused after the ack: the bulk modal (if still open) names every row of
        the batch refused so far and why, and stays the bulk's (the single-campaign form would
        offer to create one campaign from a row of a sheet). Rows refused at once each write
        the whole list, read from the store, so the last write names them all."""
        if request.batch is None or not request.view_id:
            return
        rows = self._requests.in_batch(request.batch)
        refused = [
            (r.batch_row or 0, str(r.form.get("name") or f"request {r.id}"), r.error or "")
            for r in rows
            if r.status == RequestStatus.REFUSED
        ]
        if not refused:
            return
        # The row's key is the bulk submission's plus ":row<n>" (BulkLaunch.launch); the
        # submission's own ack is the one that shows the working view this update replaces.
        submission = ack_key.rsplit(":row", 1)[0] if ack_key else None
        if submission is not None and not self._acks.wait(submission, timeout=ACK_WAIT_SECONDS):
            log.info("no ack went out for %s; showing the refused rows anyway", submission)
        try:
            self._client.views_update(
                view_id=request.view_id, view=build_bulk_refused_rows_modal(len(rows), refused)
            )
        except SlackApiError as exc:  # the user closed the modal: the batch thread says why
            log.info("could not show the refused rows: %s", exc.response.get("error"))

    def _channel_for(self, account_key: str | None) -> str:
        """The client's own channel when its account names one, else CAMPAIGNS_CHANNEL."""
        account = self._campaigns.accounts.get(account_key) if account_key else None
        return (account.channel if account else None) or self._channel

    def _cannot_post(
        self,
        form: CampaignForm,
        user_id: str,
        view_id: str,
        error: str,
        ack_key: str | None,
        channel: str,
    ) -> None:
        """The campaigns channel refused the bot: say so where the requester is, not silently.

        Nothing was recorded or sent to Meta yet, so the form comes back with the reason (the
        user can invite the bot and press Create again), and a DM says the same in case the
        modal was closed. A DM (``chat.postMessage`` to the user id) needs only ``chat:write``.
        """

        def problem(where: str) -> str:
            if error == "not_in_channel":
                return (
                    f"AdBee is not a member of {where}, where campaigns are posted. Type "
                    f"`/invite @AdBee` in {where}, then press Create again. Nothing was sent "
                    "to Meta."
                )
            return (
                f"AdBee cannot post in {where} ({error}). Ask an admin to check "
                "CAMPAIGNS_CHANNEL (or the account's channel), and type `/invite @AdBee` in that "
                "channel. Nothing was sent "
                "to Meta."
            )

        log.warning("cannot post in the campaigns channel %s: %s", channel, error)
        # The modal's text is escaped (no channel link there); the DM links the channel.
        self._refuse_in_modal(form, view_id, problem("the campaigns channel"), ack_key)
        try:
            self._client.chat_postMessage(
                channel=user_id, text=f":warning: {problem(f'<#{channel}>')}"
            )
        except SlackApiError as exc:
            log.warning("could not DM %s either: %s", user_id, exc.response.get("error"))

    def _board_of(self, channel: str | None, ts: str | None) -> BatchBoard | None:
        """The batch board when ``channel``/``ts`` is a bulk batch message, else None."""
        board = self._messages.board
        return board if board is not None and board.is_batch(channel, ts) else None

    def _show_in_batch(self, channel: str, ts: str) -> None:
        """A refused bulk row: its batch message shows why (rendered from the request)."""
        board = self._board_of(channel, ts)
        if board is not None:
            board.refresh_soon(channel, ts)

    @staticmethod
    def _batch_row_label(request: CreationRequestRecord | None) -> str | None:
        """``row 7 (AINOTE2 bulk 6)`` for a bulk row: its batch thread and the re-shown form are
        shared by every row of the sheet, so a refusal there says whose it is."""
        if request is None or request.batch is None:
            return None
        name = str(request.form.get("name") or f"request {request.id}")
        return f"row {request.batch_row} ({truncate(name, 80)})"

    def _finish_failed(
        self,
        channel: str,
        ts: str,
        problem: str,
        *,
        request: CreationRequestRecord | None = None,
    ) -> None:
        if self._board_of(channel, ts) is not None:  # its row says "not created"; the thread why
            label = self._batch_row_label(request)
            whose = f"{esc(label)}: " if label else ""
            self._thread_reply(channel, ts, f":x: {whose}Not created: {esc(problem)}")
            return
        # Names and Meta's words are the user's text: escaped, "<!channel>" stays text.
        self._progress.close(channel, ts)  # no progress edit may land on top of this
        self._client.chat_update(channel=channel, ts=ts, text=f":x: Not created: {esc(problem)}")

    def _reply_quietly(self, channel: str, ts: str, text: str) -> None:
        try:
            self._thread_reply(channel, ts, text)
        except Exception as exc:  # Slack's trouble must not stop the creation
            log.warning("could not reply in the thread of %s: %r", ts, exc)

    def _thread_reply(self, channel: str, ts: str, text: str) -> None:
        self._client.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)

    def _source_files(
        self, source: CampaignRecord, kept: list[str], reused: dict[str, str], folder: Path
    ) -> list[Path | str]:
        """A duplicate's videos: those Meta holds in this account as they are; for another
        account, the file AdBee kept, else the source's Slack file downloaded again (AdBee
        deletes its download once a campaign is made)."""
        request = self._requests.for_campaign(source.id)
        file_ids = CampaignForm.model_validate(request.form).video_file_ids if request else ()
        videos: list[Path | str] = []
        for number, path in enumerate(kept, start=1):
            if path in reused or Path(path).is_file() or number > len(file_ids):
                videos.append(path)  # reused, kept, or a template's file: here or nowhere
                continue
            videos.append(
                download_slack_file(
                    self._client,
                    file_ids[number - 1],
                    dest_dir=folder / str(number),
                    on_progress=lambda _done, _total: self._stopping.check(),
                ).path
            )
        return videos

    def _fetch_missing_images(self, campaign_id: int) -> None:
        """Download an image from Slack again when the kept copy is gone and Meta lacks it, as
        ``_fetch_missing_video`` does for videos: image N of the campaign is the form's picture
        N (``CampaignForm.image_file_ids``, in the order attached). An image Meta has (its hash
        recorded, not pending) needs no file; one Slack no longer has either is left to the
        pipeline, which asks for it (``ImageMissingError``)."""
        row = self._store.get(campaign_id)
        if row is None or row.status not in (Status.CREATING, Status.FAILED):
            return
        spec = CampaignSpec.from_json(row.spec)
        images = list(spec.images)
        missing = [
            number
            for number, path in enumerate(images, start=1)
            if not path.is_file() and _image_upload_open(row, spec, path)
        ]
        if not missing:
            return
        request = self._requests.for_campaign(campaign_id)
        form = CampaignForm.model_validate(request.form) if request else None
        file_ids = (
            [i for i in form.media_file_ids if i in form.image_file_ids] if form is not None else []
        )
        for number in missing:
            if number > len(file_ids):
                continue  # not from this form (a template's, a duplicate's source's)
            try:
                downloaded = download_slack_file(
                    self._client,
                    file_ids[number - 1],
                    dest_dir=self._work_dir / f"campaign-{campaign_id}" / f"image-{number}",
                    on_progress=lambda _done, _total: self._stopping.check(),
                    video=False,
                )
            except ValidationError as exc:
                log.warning(
                    "creation #%s: image %s is gone from Slack too: %s", campaign_id, number, exc
                )
                continue
            log.info("creation #%s: fetched image %s from Slack again", campaign_id, number)
            images[number - 1] = downloaded.path
        self._store.set_spec(campaign_id, {**row.spec, "images": [str(p) for p in images]})

    def _source_images(self, source: CampaignRecord, folder: Path) -> list[Path]:
        """A duplicate's images (its image ads, or a flexible ad's pictures), in their order:
        the file AdBee kept, else the source's own Slack file downloaded again (a picture is
        uploaded to Meta by its content, so the bytes are needed in any account)."""
        request = self._requests.for_campaign(source.id)
        form = CampaignForm.model_validate(request.form) if request else None
        file_ids = (
            [i for i in form.media_file_ids if i in form.image_file_ids] if form is not None else []
        )
        images: list[Path] = []
        for number, path in enumerate(CampaignSpec.from_json(source.spec).images, start=1):
            if path.is_file() or number > len(file_ids):
                images.append(path)  # kept, or a campaign file's picture: here or nowhere
                continue
            images.append(
                download_slack_file(
                    self._client,
                    file_ids[number - 1],
                    dest_dir=folder / f"image-{number}",
                    on_progress=lambda _done, _total: self._stopping.check(),
                    video=False,
                ).path
            )
        return images

    def _source_of(self, form: CampaignForm) -> CampaignRecord | None:
        """The campaign a duplicate copies (``DuplicateError`` when it is gone)."""
        if not form.duplicate_of or self.duplicates is None:
            return None
        return self.duplicates.source(form.duplicate_of)

    def _template_video(self, form: CampaignForm) -> str | None:
        template = self._campaigns.template(form.template) if form.template else None
        video = template.values.get("video") if template else None
        return str(self._base_dir / str(video)) if video else None


def _image_upload_open(row: CampaignRecord, spec: CampaignSpec, path: Path) -> bool:
    """Whether Meta may still lack the image at ``path``: a row of it (an image ad's, a pair's
    Feed cut, a flexible ad's picture) without Meta's hash, or whose answer was lost."""
    keys: list[str] = []
    for plan in spec.ads():
        if plan.image_path == path:
            keys.append(plan.key)
        if plan.feed_image == path:
            keys.append(feed_image_key(plan.key))
        keys += [
            group_image_key(number)
            for number, image in enumerate(plan.group_images, start=1)
            if image == path
        ]
    for key in keys:
        image = row.object(ObjectRef(ObjectKind.IMAGE, key))
        if image is None or not image.meta_id or image.pending:
            return True
    return False


def _is_row_of(request: CreationRequestRecord, row: CampaignRecord) -> bool:
    """Whether a bulk row's request asked for ``row`` (names are unique within a batch)."""
    name = request.form.get("name")
    return isinstance(name, str) and name.strip() == row.name


def _files_text(count: int) -> str:
    return f"the {count} files" if count > 1 else "the video"


def _start_key(request_id: int) -> str:
    return f"creation-start:request-{request_id}"


def _preparing(name: str, user_id: str, form: CampaignForm) -> dict[str, Any]:
    return {
        "text": f"Preparing {esc(name)} for <@{user_id}>: downloading "
        f"{_files_text(len(form.media_file_ids))} from Slack"
    }


class _Progress:
    """Receives pipeline events and hands the channel message's new state to ``ProgressEdits``
    at most once per interval (important steps at once); never waits for Slack."""

    def __init__(
        self,
        edits: ProgressEdits,
        channel: str,
        ts: str,
        summary: CampaignSummary | None,
        interval: float,
        *,
        board: BatchBoard | None = None,
    ) -> None:
        assert summary is not None
        self._edits, self._channel, self._ts = edits, channel, ts
        self._board = board  # a bulk row: its step goes to its row of the batch message
        self._summary = summary
        self._interval = interval
        self._steps: dict[Step, StepState] = {}
        self._ad_steps: dict[int, dict[Step, StepState]] = {}  # each ad's own, by its number
        self.download: StepState | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._steps[event.step] = StepState.from_event(event)
            if event.ad is not None:
                self._ad_steps.setdefault(event.ad, {})[event.step] = StepState.from_event(event)
        important = event.state in ("done", "failed", "skipped", "started")
        self.flush(
            force=(important and event.step in (Step.AD, Step.CREATIVE)) or event.state == "failed"
        )

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self._interval:
                return
            self._last = now
            if self._board is not None:
                text = progress_text(dict(self._steps), self.download)
            else:
                payload = build_progress_message(
                    summary=self._summary,
                    steps=dict(self._steps),
                    download=self.download,
                    ad_steps={ad: dict(steps) for ad, steps in self._ad_steps.items()},
                )
        if self._board is not None:
            self._board.step(self._channel, self._ts, text=text, campaign_id=self._summary.id)
            return
        self._edits.edit(self._channel, self._ts, payload)
