"""What happens after the create modal is submitted, in the bounded worker pool.

download the video from Slack -> check it -> record the creation -> run the Meta pipeline while
the channel message shows live progress -> the approval message, or the failure in the thread
with Meta's own words and what to do.

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
from concurrent.futures import Executor
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.campaign_messages import CampaignMessages
from bot.slack_files import download_slack_file, release_upload
from bot.slack_posts import post_once
from handlers.blocks.common import esc
from handlers.blocks.progress import StepState, build_progress_message
from handlers.blocks.results import build_refused_modal
from handlers.forms import CampaignForm, form_errors
from meta.alerts import CREATION_FINISHED, AlertOutbox, Notifier
from meta.campaigns import CampaignService
from meta.creation_lease import CreationBusyError
from meta.errors import AdBeeError, PipelineError, ValidationError
from meta.states import ProgressEvent, Step
from meta.summary import CampaignSummary
from storage.repository import CampaignStore

log = logging.getLogger(__name__)
_ACK_SETTLE_SECONDS = 1.0


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
        update_interval: float = 3.0,
        progress_client: WebClient | None = None,
    ) -> None:
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
        # Progress edits are many and expendable: a client that drops them on a 429 instead of
        # sleeping inside the upload (the main client waits out Retry-After for what matters).
        self._progress_client = progress_client or client

    # ------------------------------------------------------------------ CreationPort
    def check_form(self, form: CampaignForm) -> dict[str, str]:
        template_video = self._template_video(form)
        errors = form.problems(video_required=template_video is None)
        try:
            self._campaigns.check_without_video(form.to_request())
        except ValidationError as exc:
            errors = {**form_errors(exc), **errors}
        return errors

    def accept_once(self, key: str) -> bool:
        return self._store.remember_request(key)

    def submit(
        self, form: CampaignForm, *, user_id: str, team_id: str | None, view_id: str
    ) -> None:
        self._executor.submit(self._run_safely, form, user_id, view_id, time.monotonic())

    def resume(
        self, campaign_id: int, *, user_id: str, team_id: str | None, automatic: bool = False
    ) -> None:
        """Carry on a creation: a Resume click, or (``automatic``) one whose process died."""
        self._executor.submit(self._resume_safely, campaign_id, user_id, automatic)

    # ------------------------------------------------------------------ the work
    def _resume_safely(self, campaign_id: int, user_id: str, automatic: bool) -> None:
        summary = self._campaigns.get(campaign_id)
        if summary is None:
            return
        try:
            if summary.slack_channel and summary.slack_ts:
                keep = self._create(
                    summary, user_id, summary.slack_channel, summary.slack_ts, quiet=automatic
                )
            else:  # started from the CLI: no channel message to keep current
                self._campaigns.run_creation(campaign_id)
                keep = False
        except AdBeeError as exc:
            log.info("resumed creation #%s stopped: %s", campaign_id, exc.message)
            return
        except Exception:
            log.exception("resuming creation #%s crashed", campaign_id)
            return
        row = self._store.get(campaign_id)
        if not keep and row is not None:
            release_upload(Path(row.spec.get("video_path", "")), self._work_dir)

    def _run_safely(
        self, form: CampaignForm, user_id: str, view_id: str, submitted_at: float
    ) -> None:
        try:
            self._run(form, user_id, view_id, submitted_at)
        except Exception:
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

    def _run(self, form: CampaignForm, user_id: str, view_id: str, submitted_at: float) -> None:
        name = form.name or "campaign"
        posted = post_once(
            self._client,
            key=f"creation-start:{uuid.uuid4().hex}",
            channel=self._channel,
            text=f"Preparing {esc(name)} for <@{user_id}>: downloading the video from Slack",
            unfurl_links=False,
        )
        channel, ts = posted.channel, posted.ts
        folder = self._work_dir / f"upload-{ts.replace('.', '-')}"
        keep = False  # a resumable creation needs its video after this run (or a restart)
        try:
            spec = self._spec_with_video(form, folder, view_id, channel, ts, submitted_at)
            if spec is None:
                return
            try:
                summary = self._campaigns.start_creation(
                    spec,
                    requested_by=user_id,
                    source="slack",
                    slack_channel=channel,
                    slack_ts=ts,
                )
            except AdBeeError as exc:
                self._finish_failed(channel, ts, exc.message)
                return
            keep = self._create(summary, user_id, channel, ts, downloaded=True)
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _create(
        self,
        summary: CampaignSummary,
        user_id: str,
        channel: str,
        ts: str,
        *,
        downloaded: bool = False,
        quiet: bool = False,
    ) -> bool:
        """Run (or resume) the pipeline with live progress; True when its video must be kept.

        ``quiet``: an automatic resume says nothing if another process turned out to be running
        this creation after all.
        """
        progress = _Progress(
            self._progress_client, channel, ts, self._campaigns.get(summary.id), self._interval
        )
        if downloaded:
            progress.download = StepState("done", 100, "downloaded")
        progress.flush(force=True)
        try:
            done = self._campaigns.run_creation(summary.id, progress)
        except CreationBusyError as exc:
            if not quiet:
                with contextlib.suppress(Exception):  # a courtesy; the other run reports
                    self._thread_reply(channel, ts, f":hourglass: {esc(exc.message)}")
            return True  # the other run still needs the video
        except PipelineError as exc:
            # the message will say what happened and offer what is next (Resume)
            self._announce_end(summary.id, f":x: {esc(exc.message)}")
            return exc.resumable
        self._announce_end(
            done.id,
            f"<@{user_id}> {esc(done.name)} is ready and PAUSED; an approver can approve it now.",
        )
        return False

    def _announce_end(self, campaign_id: int, reply: str) -> None:
        """The campaign's message shows the outcome, and its thread gets ``reply``, exactly once.

        Queued in the alert outbox first (committed), then tried at once: if Slack does not
        answer now, the alert flush job delivers it when Slack is back. The message is
        rendered from the row at delivery, so it always ends as the row ended.
        """
        key = f"creation-finished:{campaign_id}:{uuid.uuid4().hex[:12]}"
        self._outbox.queue(kind=CREATION_FINISHED, campaign_id=campaign_id, detail=reply, key=key)
        if not self._outbox.deliver_now(key, self._notifier):
            log.warning("the end of creation #%s waits for Slack (queued)", campaign_id)

    def _spec_with_video(self, form, folder, view_id, channel, ts, submitted_at):  # type: ignore[no-untyped-def]
        video: Path | str | None = self._template_video(form)
        try:
            if form.video_file_id is not None:
                video = download_slack_file(self._client, form.video_file_id, dest_dir=folder).path
            return self._campaigns.validate(form.to_request(video))
        except ValidationError as exc:
            problem = "; ".join(p.message for p in exc.problems)
            self._refuse_in_modal(form, view_id, problem, submitted_at)
            self._finish_failed(channel, ts, problem)
            return None

    def _refuse_in_modal(
        self, form: CampaignForm, view_id: str, problem: str, submitted_at: float
    ) -> None:
        prefill = {k: v for k, v in form.to_request().items() if v not in (None, [], "")}
        if form.template:
            prefill["template"] = form.template
        view = build_refused_modal(
            accounts=self._campaigns.accounts.all(),
            templates=self._campaigns.template_choices(),
            template_notes=self._campaigns.template_notes(),
            prefill=prefill,
            problem=problem,
        )
        # Slack applies the submission's own "update" (the working modal) asynchronously; an
        # update that overtakes it would be overwritten, so a very fast refusal waits a moment.
        early = _ACK_SETTLE_SECONDS - (time.monotonic() - submitted_at)
        if early > 0:
            time.sleep(early)
        try:
            self._client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:  # the user closed the modal: the channel still says why
            log.info("could not reopen the form: %s", exc.response.get("error"))

    def _finish_failed(self, channel: str, ts: str, problem: str) -> None:
        # Names and Meta's words are the user's text: escaped, "<!channel>" stays text.
        self._client.chat_update(channel=channel, ts=ts, text=f":x: Not created: {esc(problem)}")

    def _thread_reply(self, channel: str, ts: str, text: str) -> None:
        self._client.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False)

    def _template_video(self, form: CampaignForm) -> str | None:
        template = self._campaigns.template(form.template) if form.template else None
        video = template.values.get("video") if template else None
        return str(self._base_dir / str(video)) if video else None


class _Progress:
    """Receives pipeline events and updates the channel message at most once per interval."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        ts: str,
        summary: CampaignSummary | None,
        interval: float,
    ) -> None:
        assert summary is not None
        self._client, self._channel, self._ts = client, channel, ts
        self._summary = summary
        self._interval = interval
        self._steps: dict[Step, StepState] = {}
        self.download: StepState | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._steps[event.step] = StepState.from_event(event)
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
            payload = build_progress_message(
                summary=self._summary, steps=dict(self._steps), download=self.download
            )
        try:
            self._client.chat_update(channel=self._channel, ts=self._ts, **payload)
        except SlackApiError as exc:
            log.warning("progress update failed: %s", exc.response.get("error"))
        except Exception as exc:  # Slack unreachable: never the pipeline's problem
            log.warning("progress update failed: %r", exc)
