"""Use cases on campaigns: validate, create, approve, reject. Callers: CLI, Slack handlers, jobs.

This is where business rules live (who may approve, which transitions are legal), so every
surface enforces the same rules; it knows nothing of Slack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from meta.domain.accounts import AccountRegistry
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.minimum_budgets import FloorSource
from meta.domain.ports import CampaignRepository
from meta.domain.spec import CampaignSpec, build_spec
from meta.domain.states import ProgressSink, Status
from meta.domain.templates import BrokenTemplate, Template
from meta.domain.yaml_files import YamlFileError, load_yaml_file
from meta.graph.payloads import GraphCall, dry_run_calls
from meta.services.creative_review import check_spec_policy
from meta.services.pipeline import CampaignPipeline, shown_in
from meta.services.summary import CampaignSummary, summarize

Clock = Callable[[], datetime]


def _request(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec as a request: what the user asked for, not the warnings it earned."""
    return {key: value for key, value in spec.items() if key != "warnings"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class CampaignService:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        accounts: AccountRegistry,
        base_dir: Path,
        check_video: Callable[[Path], object] | None,
        pipeline_factory: Callable[[], CampaignPipeline] | None = None,
        clock: Clock = utcnow,
        templates: list[Template] | None = None,
        broken_templates: list[BrokenTemplate] | None = None,
        budget_floors: FloorSource | None = None,
        check_image: Callable[[Path], object] | None = None,
    ) -> None:
        self.store = store
        # Meta's own minimum budget per account when connected (meta.domain.minimum_budgets), else
        # AdBee's offline estimate, labelled as such in every refusal.
        self._budget_floors = budget_floors
        self.accounts = accounts
        self._base_dir = base_dir
        self._check_video = check_video
        self._check_image = check_image
        self._pipeline_factory = pipeline_factory
        self._pipeline: CampaignPipeline | None = None
        self.clock = clock
        self.templates = list(templates or [])
        self.broken_templates = list(broken_templates or [])

    @property
    def budget_floors(self) -> FloorSource | None:
        """Where the account's minimum daily budget comes from (edits check budgets the same)."""
        return self._budget_floors

    # ------------------------------------------------------------------ validation
    def validate(
        self, raw: Mapping[str, Any], *, reused: Mapping[str, str] | None = None
    ) -> CampaignSpec:
        """``reused``: videos already uploaded to the request's ad account (``build_spec``)."""
        spec = build_spec(
            raw,
            accounts=self.accounts,
            now=self.clock(),
            base_dir=self._base_dir,
            check_video=self._check_video,
            budget_floor=self._budget_floors,
            check_image=self._check_image,
            reused=reused,
        )
        check_spec_policy(spec)  # feature names this API version knows, before anything is sent
        return spec

    def check_without_video(self, raw: Mapping[str, Any]) -> None:
        """Validate every field but the video, which is still on its way from Slack.

        Lets the modal show field errors at once (inside Slack's 3-second window) while the
        download and the content check of the video happen afterwards.
        """
        try:
            self.validate({**raw, "video": None})
        except ValidationError as exc:
            problems = [p for p in exc.problems if p.field != "video"]
            if problems:
                raise ValidationError(problems) from None

    def validate_file(self, path: Path) -> CampaignSpec:
        try:
            raw = load_yaml_file(path)
        except YamlFileError as exc:
            raise ValidationError([FieldProblem("file", str(exc))]) from None
        if not isinstance(raw, dict):
            raise ValidationError(
                [FieldProblem("file", f"{path}: expected a mapping of campaign fields")]
            )
        return self.validate(raw)

    def template(self, key: str) -> Template | None:
        return next((t for t in self.templates if t.key == key), None)

    def template_choices(self) -> list[tuple[str, str]]:
        """(key, label) of each usable template, for the modal's select."""
        return [(t.key, t.label) for t in self.templates]

    def template_notes(self) -> list[str]:
        """One line per skipped template (file name and problem), shown under the select."""
        return [f"{b.name}: {b.problem}" for b in self.broken_templates]

    def dry_run(self, spec: CampaignSpec) -> list[GraphCall]:
        account = self.accounts.get(spec.account_key)
        assert account is not None
        return dry_run_calls(
            spec,
            account,
            [path.stat().st_size for path in spec.videos],
            # The very hashes Meta will answer: an ad image's hash is the md5 of its bytes.
            [hashlib.md5(path.read_bytes()).hexdigest() for path in spec.images],
        )

    # ------------------------------------------------------------------ creation
    @property
    def pipeline(self) -> CampaignPipeline:
        if self._pipeline is None:
            if self._pipeline_factory is None:
                raise RuntimeError("no Meta connection configured")
            self._pipeline = self._pipeline_factory()
        return self._pipeline

    def start_creation(
        self,
        spec: CampaignSpec,
        *,
        requested_by: str | None,
        source: str,
        slack_channel: str | None = None,
        slack_ts: str | None = None,
    ) -> CampaignSummary:
        """Record the creation (or take over the unfinished one of this name); its Slack
        message is written in the row's insert, so no crash leaves it without one. A campaign
        already shown in this very message is returned as it is, even past creating
        (``CampaignPipeline.begin``): the caller checks its status before running it again."""
        row = self.pipeline.begin(
            spec,
            requested_by=requested_by,
            source=source,
            slack_channel=slack_channel,
            slack_ts=slack_ts,
        )
        if slack_channel and slack_ts and not shown_in(row, slack_channel, slack_ts):
            # an unfinished creation resubmitted from another message: shown there from now on
            row = self.store.set_slack_message(row.id, channel=slack_channel, ts=slack_ts)
        return summarize(row, self.accounts)

    def run_creation(
        self, campaign_id: int, on_progress: ProgressSink | None = None, *, park: bool = False
    ) -> CampaignSummary:
        """Create (or resume) the Meta objects; raises ``PipelineError`` with a user message.

        ``park``: stop at Meta's video processing with ``AwaitingVideo`` instead of waiting.
        """
        row = self.pipeline.run(campaign_id, on_progress, park=park)
        return summarize(row, self.accounts)

    def create(
        self,
        spec: CampaignSpec,
        *,
        requested_by: str | None,
        source: str,
        on_progress: ProgressSink | None = None,
    ) -> CampaignSummary:
        summary = self.start_creation(spec, requested_by=requested_by, source=source)
        return self.run_creation(summary.id, on_progress)

    def made_before(self, spec: CampaignSpec) -> CampaignSummary | None:
        """The campaign an earlier run already finished from this very request (same account,
        name and every field), so re-running a bulk launch after a crash skips it instead of
        refusing the batch; None when there is none (or it was made from other values: that
        is a name clash, ``CampaignPipeline.name_taken`` says so)."""
        account = self.accounts.get(spec.account_key)
        if account is None:
            return None
        row = self.store.find_open(ad_account_id=account.ad_account_id, name=spec.name)
        if row is None or row.status in (Status.CREATING, Status.FAILED):
            return None
        if _request(row.spec) != _request(spec.to_json()):
            return None
        return summarize(row, self.accounts)

    # ------------------------------------------------------------------ reads
    def get(self, campaign_id: int) -> CampaignSummary | None:
        row = self.store.get(campaign_id)
        return summarize(row, self.accounts) if row else None

    def find(self, ref: str) -> CampaignSummary | None:
        row = self.store.find(ref.strip())
        return summarize(row, self.accounts) if row else None

    def list_campaigns(
        self, *, account_key: str | None = None, limit: int = 20
    ) -> list[CampaignSummary]:
        return [
            summarize(row, self.accounts)
            for row in self.store.list_campaigns(account_key=account_key, limit=limit)
        ]
