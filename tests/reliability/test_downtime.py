"""The bot is down while scheduled activations come due; on restart each fires once, late.

Before the outage the bot runs on a clock one day behind, so campaigns whose start times are
already past in real time are approved as future ones (their date jobs are stored in the bot's
database, and fire in real time without activating anything: the bot's own clock says "not yet").
The bot stops. It restarts on the real clock: the job table is reconciled (the missed date jobs
fire at once) while the start-up scan also finds the overdue rows, so both race for each
campaign. Each must go live exactly once, with one alert saying how late it is; a campaign still
in the future must wait; a second restart, or a date job firing again, changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.activation import activate_job
from meta.domain.access import Actor
from meta.domain.states import Status
from meta.domain.times import format_local
from meta.services.activation import duration_text, utc
from tests.reliability.conftest import ALERTS, APPROVER, REQUESTER, ROOT, campaign_body, world

pytestmark = pytest.mark.reliability

SGT = "Asia/Singapore"
# start times relative to the restart (they are whole minutes, so up to a minute more)
OVERDUE = (timedelta(hours=-3), timedelta(hours=-1, minutes=-10), timedelta(minutes=-10))
NOT_YET = timedelta(days=2)


def _status_posts(graph, object_id: str) -> int:  # type: ignore[no-untyped-def]
    return sum(
        1
        for r in graph.requests
        if r.method == "POST"
        and r.path.rstrip("/").endswith(f"/{object_id}")
        and r.params.get("status") == "ACTIVE"
        and r.status == 200
    )


def test_activations_missed_while_down_fire_once_on_restart_and_say_how_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with world(tmp_path, start=False) as here:
        graph, slack = here.graph, here.slack

        # Before the outage: the bot lives a day earlier; four campaigns are approved.
        bot = here.start_bot(clock=lambda: datetime.now(UTC) - timedelta(days=1))
        team = slack.team_id
        starts = {offset: now + offset for offset in [*OVERDUE, NOT_YET]}
        ids: dict[timedelta, int] = {}
        for n, (offset, start) in enumerate(starts.items()):
            spec = bot.services.campaigns.validate(
                campaign_body(
                    name=f"Downtime launch {n}",
                    start_time=start.astimezone().isoformat(timespec="minutes"),
                )
            )
            summary = bot.services.campaigns.create(spec, requested_by=REQUESTER, source="test")
            assert summary.status == Status.CREATED, summary.error
            bot.scheduling.lifecycle.approve(summary.id, Actor(APPROVER, team))
            ids[offset] = summary.id
        store = bot.services.store
        assert all(store.get(i).status == Status.SCHEDULED for i in ids.values())
        here.stop_bot()  # the outage; every overdue start passes while it lasts
        assert all(store.get(i).status == Status.SCHEDULED for i in ids.values())
        assert slack.messages(ALERTS) == []
        assert not [r for r in graph.requests if r.params.get("status") == "ACTIVE"]

        # Restart on the real clock.
        bot = here.start_bot()
        store = bot.services.store
        overdue = [ids[offset] for offset in OVERDUE]
        slack.wait_until(
            lambda: (
                all(store.get(i).status == Status.ACTIVE for i in overdue)
                and any("went live" in m["text"] for m in slack.messages(ALERTS))
            ),
            timeout=15,
        )
        slack.wait_until(
            lambda: (
                not store.pending_alerts()
                and all(
                    any(e.action == "activated" for e in store.audit_events(campaign_id=i))
                    for i in overdue
                )
            ),
            timeout=10,
        )

        for offset in OVERDUE:
            row = store.get(ids[offset])
            for object_id in (row.meta_campaign_id, row.adset_id, row.ad_id):
                assert _status_posts(graph, object_id) == 1, (offset, object_id)
            live = [e for e in store.audit_events(campaign_id=row.id) if e.action == "activated"]
            assert [e.outcome for e in live] == ["ok"]
            # The three late starts are one burst: one summary, a line for each late campaign.
            alerts = [m for m in slack.messages(ALERTS) if row.name in m["text"] + str(m)]
            assert len(alerts) == 1, alerts
            assert f"{len(OVERDUE)} campaigns went live" in alerts[0]["text"]
            assert f"{len(OVERDUE)} of them late" in alerts[0]["text"]
            summary_text = alerts[0]["blocks"][0]["text"]["text"]
            [line] = [x for x in summary_text.splitlines() if f"*{row.name}*" in x]
            assert line.startswith("• Late:"), line
            late = utc(row.activated_at) - utc(row.activate_at)
            assert -offset <= late <= -offset + timedelta(minutes=2), (offset, late)
            said = re.search(r"late by (.+?) \(it was due", line)
            assert said and said.group(1) == duration_text(late), line
            assert format_local(starts[offset], SGT) in line  # "it was due ..."
        waiting = store.get(ids[NOT_YET])
        assert (
            waiting.status == Status.SCHEDULED
            and _status_posts(graph, waiting.meta_campaign_id) == 0
        )
        # (Other alerts here are status-sync news, e.g. "ad review passed".)
        went_live = [m for m in slack.messages(ALERTS) if "went live" in m["text"]]
        assert len(went_live) == 1  # the burst's one summary

        # A date job firing again, and another restart, change nothing.
        for campaign_id in ids.values():
            activate_job(campaign_id)
        here.stop_bot()
        bot = here.start_bot()
        slack.wait_until(lambda: not bot.services.store.pending_alerts(), timeout=5)
        for offset in OVERDUE:
            row = bot.services.store.get(ids[offset])
            assert _status_posts(graph, row.meta_campaign_id) == 1
        assert [m for m in slack.messages(ALERTS) if "went live" in m["text"]] == went_live
        assert bot.services.store.get(ids[NOT_YET]).status == Status.SCHEDULED
        print(
            f"\ndowntime: {len(OVERDUE)} activations missed while down, each fired once on "
            f"restart with its lateness; 1 future activation left waiting; 2 restarts"
        )
