"""A bot without Slack, for scheduling stories: real services, the Graph emulator, a fake clock.

``Harness`` is one "process": its own engine, store, lifecycle, sync and outbox over a database
URL. Building a second harness over the same URL simulates a restart or another replica.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.bootstrap import Services, build_job_context, build_services
from bot.settings import Settings
from jobs.runtime import JobContext
from meta.domain.access import Actor, StaticAccessPolicy
from meta.domain.spec import CampaignSpec
from meta.domain.states import Status
from meta.domain.times import parse_local_time, zone
from meta.graph.client import GraphClient
from meta.graph.payloads import ad_call, adset_call, campaign_call
from meta.services.alerts import AlertOutbox
from meta.services.lifecycle import CampaignLifecycle, ScheduleHook
from meta.services.status_sync import StatusSync
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from tests.fakes import RecordingNotifier
from tests.store_fixtures import record_objects

ROOT = Path(__file__).resolve().parent.parent
SGT = "Asia/Singapore"
TEAM = "T0ADBEE"
APPROVER = Actor("UAPPROVER", TEAM)
REQUESTER = Actor("UREQUESTER", TEAM)
OUTSIDER = Actor("UOUTSIDER", TEAM)
# An approver's user id, but acting from another workspace (a shared channel).
OTHER_TEAM_APPROVER = Actor("UAPPROVER", "T0OTHER")
POLICY = StaticAccessPolicy(
    approvers=frozenset({APPROVER.user_id, REQUESTER.user_id}), team_id=TEAM
)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = when
        return self.now


def local(day: date, hhmm: str, tz: str = SGT) -> datetime:
    """A wall-clock time in ``tz`` on ``day``, as an aware UTC datetime."""
    return parse_local_time(f"{day.isoformat()} {hhmm}", tz)


def soon_day(days: int = 3) -> date:
    """A day safely in the future (the emulator checks start times against the real clock)."""
    return (datetime.now(zone(SGT)) + timedelta(days=days)).date()


def settings_for(database_url: str, emulator: GraphEmulator | str, **overrides: object) -> Settings:
    """Settings pointing at the emulator (object or URL, for child processes) and a database."""
    url = emulator if isinstance(emulator, str) else emulator.url
    values: dict[str, object] = {
        "meta_access_token": SANDBOX_META_TOKEN,
        "meta_graph_url": url,
        "meta_video_url": url,
        "meta_api_version": "v26.0",
        "database_url": database_url,
        "accounts_file": ROOT / "configs" / "accounts.yaml",
        "adbee_sandbox": True,
        "video_poll_interval": 0.02,
        "meta_retry_base_delay": 0.01,
        "meta_retry_attempts": 3,
        "meta_max_throttle_wait": 1.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@dataclass
class Harness:
    services: Services
    context: JobContext
    clock: FakeClock
    notifier: RecordingNotifier
    schedule_calls: list[tuple[int, datetime | None]] = field(default_factory=list)

    @property
    def lifecycle(self) -> CampaignLifecycle:
        return self.context.lifecycle

    @property
    def outbox(self) -> AlertOutbox:
        return self.context.outbox

    @property
    def sync(self) -> StatusSync:
        assert self.context.sync is not None
        return self.context.sync

    @property
    def graph(self) -> GraphClient:
        assert self.services.graph is not None
        return self.services.graph

    def create(
        self,
        *,
        start: datetime,
        name: str = "AINOTE2 launch SG",
        requested_by: Actor = REQUESTER,
        videos: list[str] | None = None,
        account: str = "iflytek-sg",
        countries: tuple[str, ...] = ("SG",),
        end: datetime | None = None,
        **fields: object,
    ) -> int:
        """Create the campaign's PAUSED objects through the real pipeline; returns the row id.

        ``videos`` (paths) makes one ad per video instead of the one ad of the example video;
        ``account`` is a key of ``configs/accounts.yaml`` (times are read as Singapore's, which
        Kuala Lumpur shares); ``end`` an end time; ``fields`` any other campaign-file fields
        (``images``, ``creative_mode``...)."""
        media: dict[str, object] = (
            {"videos": videos} if videos else {"video": "creatives/ainote2.mp4"}
        )
        times: dict[str, object] = {
            "start_time": start.astimezone(zone(SGT)).strftime("%Y-%m-%d %H:%M")
        }
        if end is not None:
            times["end_time"] = end.astimezone(zone(SGT)).strftime("%Y-%m-%d %H:%M")
        spec = self.services.campaigns.validate(
            {
                "account": account,
                "name": name,
                "daily_budget": 50,
                **times,
                "countries": list(countries),
                **media,
                "primary_text": "Meet AINOTE 2, the notebook that writes your meeting notes.",
                "headline": "AINOTE 2 is here",
                "link": "https://shop.example.com/sg/ainote2",
                "call_to_action": "SHOP_NOW",
                **fields,
            }
        )
        summary = self.services.campaigns.create(
            spec, requested_by=requested_by.user_id, source="test"
        )
        assert summary.status == Status.CREATED, summary.error
        return summary.id

    def clone(self, template_id: int, *, name: str, start: datetime) -> int:
        """Another CREATED campaign with its own campaign, ad set and ad in Meta (shared creative).

        Three writes instead of a full pipeline run, for tests that need many campaigns.
        """
        template = self.services.store.get(template_id)
        assert template is not None and template.creative_id
        spec = replace(CampaignSpec.from_json(template.spec), name=name, names=None)  # names follow
        account = self.services.accounts.get(spec.account_key)
        assert account is not None
        campaign = self._post(campaign_call(spec, account))
        adset = self._post(adset_call(spec, account, campaign))
        ad = self._post(ad_call(spec, account, adset_id=adset, creative_id=template.creative_id))
        row = self.services.store.add_campaign(
            account_key=template.account_key,
            ad_account_id=template.ad_account_id,
            name=name,
            spec=spec.to_json(),
            status=Status.CREATED,
            requested_by=REQUESTER.user_id,
            source="test",
            start_time=start,
        )
        record_objects(
            self.services.store,
            row.id,
            video=template.video_id,
            creative=template.creative_id,
            campaign=campaign,
            adset=adset,
            ad=ad,
        )
        return row.id

    def _post(self, call) -> str:  # type: ignore[no-untyped-def]
        return str(self.graph.post(call.path, call.params)["id"])

    def alerts(self, kind: str | None = None) -> list:
        return [a for a in self.services.store.alerts() if kind is None or a.kind == kind]

    def close(self) -> None:
        self.services.engine.dispose()


def build_harness(
    database_url: str,
    emulator: GraphEmulator,
    clock: FakeClock,
    *,
    notifier: RecordingNotifier | None = None,
    worker_id: str = "test-worker",
    **settings: object,
) -> Harness:
    services = build_services(
        settings_for(database_url, emulator, **settings), clock=clock, base_dir=ROOT
    )
    notifier = notifier or RecordingNotifier()
    calls: list[tuple[int, datetime | None]] = []
    context = build_job_context(
        services,
        notifier,
        policy=POLICY,
        clock=clock,
        on_schedule=_recorder(calls),
        worker_id=worker_id,
    )
    return Harness(services, context, clock, notifier, calls)


def _recorder(calls: list[tuple[int, datetime | None]]) -> ScheduleHook:
    def record(campaign_id: int, when: datetime | None) -> None:
        calls.append((campaign_id, when))

    return record


def meta_status_posts(emulator: GraphEmulator, object_id: str, status: str = "ACTIVE") -> int:
    """How many POSTs set ``object_id``'s status to ``status`` (what Meta was asked to do)."""
    return sum(
        1
        for r in emulator.requests
        if r.method == "POST"
        and r.path.rstrip("/").endswith(f"/{object_id}")
        and r.params.get("status") == status
        and r.status == 200
    )
