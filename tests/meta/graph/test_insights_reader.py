"""The Insights reader against the Graph emulator through the real GraphClient (SDK underneath).

The emulator's fake clock is advanced by the reader's own ``sleep``, so async report runs and
throttle pauses happen without waiting.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from facebook_business.adobjects.adaccount import AdAccount

from meta.domain.errors import MetaApiError
from meta.domain.insights import DateRange
from meta.graph.client import GraphClient, MetaConfig
from meta.graph.insights import InsightsReader
from meta.graph.retry import RetryPolicy
from sandbox.graph_emulator import GraphEmulator
from sandbox_tests import test_graph_emulator as base
from sandbox_tests.test_graph_emulator import ACT, TOKEN, FakeClock
from sandbox_tests.test_graph_insights import DAY, SGT, _chain, _go_live

clock, emu, api, acct, video_file = base.clock, base.emu, base.api, base.acct, base.video_file
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def midnight(clock: FakeClock) -> date:
    local = datetime.fromtimestamp(clock.t, SGT)
    clock.t = datetime(local.year, local.month, local.day, tzinfo=SGT).timestamp() + DAY
    return datetime.fromtimestamp(clock.t, SGT).date()


def _reader(
    emu: GraphEmulator, clock: FakeClock, sleeps: list[float], **kw: object
) -> InsightsReader:
    client = GraphClient(
        MetaConfig(access_token=TOKEN, graph_url=emu.url, retry_base_delay=0.001),
        sleep=clock.advance,
    )

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    policy = RetryPolicy(default_throttle_wait=60.0, max_throttle_wait=300.0, jitter=0)
    return InsightsReader(client, policy=policy, sleep=sleep, monotonic=clock, **kw)  # type: ignore[arg-type]


def test_daily_rows_in_minor_units_every_day_present_paged(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path, midnight: date
) -> None:
    ids = _chain(emu, clock, acct, video_file)
    _go_live(emu, ids)
    clock.advance(4 * DAY)
    span = DateRange(midnight - timedelta(days=2), midnight + timedelta(days=3))
    emu.clear_requests()
    reader = _reader(emu, clock, [], page_limit=2)
    report = reader.campaign_daily(ids["campaign"], span, currency="SGD", timezone=SGT.key)

    assert [d.day for d in report.days] == span.days()
    assert report.days[0].spend_minor == report.days[1].spend_minor == 0  # before the launch
    raw = emu.requests
    pages = [
        r for r in raw if r.path.endswith("/insights") and r.query.get("time_increment") == "1"
    ]
    assert len(pages) == 2 and "after" in pages[1].query  # 4 rows at 2 a page
    assert json.loads(pages[0].query["action_attribution_windows"]) == ["7d_click", "1d_view"]
    # The same numbers Meta sent, as integers of cents.
    rows = [
        row
        for row in _graph_rows(emu, ids["campaign"], span)
        if row["date_start"] == midnight.isoformat()
    ]
    day = next(d for d in report.days if d.day == midnight)
    assert day.spend_minor == round(float(rows[0]["spend"]) * 100)
    assert 0.85 * 5000 <= day.spend_minor <= 1.1 * 5000
    assert day.purchases > 0 and day.purchase_value_minor > 0
    totals = report.totals
    assert totals.spend_minor == sum(d.spend_minor for d in report.days)
    assert totals.roas == pytest.approx(totals.purchase_value_minor / totals.spend_minor)
    assert report.attribution_label == "7-day click, 1-day view"


def _graph_rows(emu: GraphEmulator, campaign: str, span: DateRange) -> list[dict]:
    import requests

    return requests.get(
        f"{emu.url}/v26.0/{campaign}/insights",
        params={
            "access_token": TOKEN,
            "fields": "spend",
            "time_increment": 1,
            "time_range": json.dumps(span.to_graph()),
        },
        timeout=10,
    ).json()["data"]


def test_a_campaign_that_never_reached_meta_is_zeros_without_a_call(
    emu: GraphEmulator, clock: FakeClock, midnight: date
) -> None:
    emu.clear_requests()
    span = DateRange(midnight - timedelta(days=6), midnight)
    report = _reader(emu, clock, []).campaign_daily(None, span, currency="SGD", timezone=SGT.key)
    assert len(report.days) == 7 and not report.ran and report.totals.roas is None
    assert emu.requests == []


def test_many_campaigns_use_one_async_report_run(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path, midnight: date
) -> None:
    chains = [_chain(emu, clock, acct, video_file) for _ in range(4)]
    for ids in chains[:3]:
        _go_live(emu, ids)
    clock.advance(2 * DAY)
    emu.insights_async_seconds = 5
    emu.clear_requests()
    sleeps: list[float] = []
    reader = _reader(emu, clock, sleeps, poll_interval=2.0)
    span = DateRange(midnight, midnight + timedelta(days=1))
    result = reader.campaigns_daily(
        ACT, [c["campaign"] for c in chains], span, currency="SGD", timezone=SGT.key
    )
    posts = [r for r in emu.requests if r.method == "POST"]
    assert len(posts) == 1 and posts[0].path.endswith(f"{ACT}/insights")
    assert sleeps == [2.0, 2.0, 2.0]  # polled until Job Completed at 5 s
    assert sum(1 for c in chains[:3] if result[c["campaign"]].ran) == 3
    assert not result[chains[3]["campaign"]].ran  # never went live: zeros, still present
    assert all(len(r.days) == 2 for r in result.values())


def test_a_failed_report_run_is_an_error_with_metas_reason(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path, midnight: date
) -> None:
    chains = [_chain(emu, clock, acct, video_file) for _ in range(4)]
    emu.fail_next_report_run()
    reader = _reader(emu, clock, [], poll_interval=1.0)
    with pytest.raises(MetaApiError, match="Job Failed"):
        reader.campaigns_daily(
            ACT,
            [c["campaign"] for c in chains],
            DateRange(midnight, midnight),
            currency="SGD",
            timezone=SGT.key,
        )


def test_the_insights_throttle_header_paces_the_next_call(
    emu: GraphEmulator, clock: FakeClock, acct: AdAccount, video_file: Path, midnight: date
) -> None:
    ids = _chain(emu, clock, acct, video_file)
    emu.insights_throttle_pct = 90.0  # 15 points into the 75-100 slow-down band
    sleeps: list[float] = []
    reader = _reader(emu, clock, sleeps)
    reader.campaign_daily(
        ids["campaign"], DateRange(midnight, midnight), currency="SGD", timezone=SGT.key
    )
    assert sleeps == [pytest.approx(60.0 * 15 / 25)]  # before the second call, not the first
    emu.insights_throttle_pct = 50.0
    sleeps.clear()
    reader.campaign_daily(
        ids["campaign"], DateRange(midnight, midnight), currency="SGD", timezone=SGT.key
    )
    assert sleeps == [pytest.approx(36.0)]  # the wait the last 90 % answer asked for, then none
