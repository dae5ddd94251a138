"""A Slack outage delays alerts but loses none: they wait in the database and go out once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.activation import activate_due
from sandbox.graph_emulator import GraphEmulator
from tests.campaign_harness import APPROVER, FakeClock, Harness, build_harness, local, soon_day
from tests.fakes import RecordingNotifier

DAY = soon_day()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'adbee.db'}"


@pytest.fixture
def bot(db_url: str, graph: GraphEmulator) -> Iterator[Harness]:
    graph.ad_review_seconds = 0
    harness = build_harness(db_url, graph, FakeClock(local(DAY, "10:00")))
    yield harness
    harness.close()


def test_live_alert_waits_out_a_slack_outage_and_is_delivered_once(bot: Harness):
    campaign_id = bot.create(start=local(DAY, "20:00"))
    bot.lifecycle.approve(campaign_id, APPROVER)
    bot.notifier.fail_next(3)

    assert activate_due(bot.context, now=bot.clock.set(local(DAY, "20:00"))) == 1  # 1st try
    assert bot.outbox.flush(bot.notifier) == (0, 1)
    assert bot.outbox.flush(bot.notifier) == (0, 1)
    [alert] = bot.alerts()
    assert (alert.status, alert.attempts) == ("pending", 3)
    assert alert.last_error is not None and "SlackOutageError" in alert.last_error
    assert bot.notifier.sent == []

    assert bot.outbox.flush(bot.notifier) == (1, 0)
    assert bot.outbox.flush(bot.notifier) == (0, 0)
    assert bot.notifier.kinds() == ["live"]
    assert bot.notifier.attempts == 4
    [alert] = bot.alerts()
    assert (alert.status, alert.attempts, alert.last_error) == ("sent", 4, None)


def test_pending_alerts_survive_a_restart_in_order(db_url: str, graph: GraphEmulator):
    first = build_harness(db_url, graph, FakeClock(local(DAY, "10:00")))
    for n in range(5):
        first.outbox.queue(kind="meta_auth", campaign_id=None, detail=f"alert {n}", key=f"k{n}")
    first.notifier.fail_next(100)  # Slack is down for good in this process
    assert first.outbox.flush(first.notifier) == (0, 3)  # gives up early: Slack is down
    # A crash in the middle of a send leaves one claimed but not sent.
    claimed = first.services.store.pending_alerts()[-1]
    assert first.services.store.claim_alert(claimed.id)
    first.close()

    notifier = RecordingNotifier()
    second = build_harness(db_url, graph, FakeClock(local(DAY, "10:05")), notifier=notifier)
    try:
        assert second.outbox.requeue_interrupted() == 1
        assert second.outbox.flush(notifier) == (5, 0)
        assert [a.detail for a in notifier.sent] == [f"alert {n}" for n in range(5)]
        assert second.outbox.flush(notifier) == (0, 0)
    finally:
        second.close()


def test_a_retried_alert_tells_the_notifier_to_check_for_an_earlier_post(bot: Harness):
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="token", key="auth-1")
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="other", key="auth-2")
    bot.notifier.fail_next(1)  # the first try of auth-1 may have reached Slack before failing
    assert bot.outbox.flush(bot.notifier) == (1, 1)
    assert bot.outbox.flush(bot.notifier) == (1, 0)
    queued = {alert.dedupe_key: alert for alert in bot.alerts()}
    sent = {alert.key: alert.sent_before for alert in bot.notifier.sent}
    assert sent == {"auth-2": None, "auth-1": queued["auth-1"].created_at}


def test_deliver_now_sends_one_queued_alert_and_leaves_it_queued_when_slack_is_down(
    bot: Harness,
):
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="older", key="older")
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="mine", key="mine")
    bot.notifier.fail_next(1)
    assert bot.outbox.deliver_now("mine", bot.notifier) is False
    assert bot.outbox.deliver_now("mine", bot.notifier) is True
    assert bot.outbox.deliver_now("mine", bot.notifier) is False  # sent already: not again
    assert [alert.detail for alert in bot.notifier.sent] == ["mine"]
    assert [a.dedupe_key for a in bot.services.store.pending_alerts()] == ["older"]


# A sender process that claimed the alert and died before it finished the send (kill -9): it
# names itself as new_holder_id does (host:pid:token) and is gone once this returns.
_DYING_SENDER = """
import os, socket, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
holder = f"{socket.gethostname()}:{os.getpid()}:dead01"
conn.execute(
    "update alerts set status='sending', attempts=attempts+1, claimed_by=?,"
    " claimed_at=datetime('now', '-10 seconds') where id=?",
    (holder, int(sys.argv[2])),
)
conn.commit()
os._exit(0)
"""


def test_an_alert_a_dead_replica_was_sending_is_sent_by_the_replica_still_running(
    bot: Harness, tmp_path: Path
):
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="token", key="auth-1")
    [alert] = bot.alerts()
    subprocess.run(
        [sys.executable, "-c", _DYING_SENDER, str(tmp_path / "adbee.db"), str(alert.id)],
        check=True,
        timeout=60,
    )
    [claimed] = bot.alerts()
    assert claimed.status == "sending" and claimed.claimed_by is not None

    assert bot.outbox.flush(bot.notifier) == (1, 0)  # no restart needed, unlike requeue_interrupted
    assert bot.outbox.flush(bot.notifier) == (0, 0)
    assert bot.notifier.kinds() == ["meta_auth"]
    [sent] = bot.alerts()
    assert (sent.status, sent.attempts, sent.claimed_by) == ("sent", 2, None)


def test_an_alert_another_live_sender_holds_is_left_to_it(bot: Harness):
    bot.outbox.queue(kind="meta_auth", campaign_id=None, detail="token", key="auth-1")
    [alert] = bot.alerts()
    # A replica of this host that is alive (this test's own parent process) is sending it.
    sender = f"{socket.gethostname()}:{os.getppid()}:alive1"
    assert bot.services.store.claim_alert(alert.id, holder=sender)

    assert bot.outbox.flush(bot.notifier) == (0, 0)
    assert bot.notifier.sent == []
    assert bot.alerts()[0].status == "sending"
