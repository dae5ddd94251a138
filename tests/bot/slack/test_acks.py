"""SubmissionAcks: the event a re-shown form waits for instead of a fixed sleep."""

from __future__ import annotations

import threading

from bot.slack.acks import SubmissionAcks


def test_a_wait_ends_when_the_ack_is_sent_from_another_thread():
    acks = SubmissionAcks()
    sender = threading.Timer(0.05, acks.sent, args=("view:V1:abc",))
    sender.start()
    try:
        assert acks.wait("view:V1:abc", timeout=5)
    finally:
        sender.cancel()


def test_an_ack_sent_before_the_wait_counts_and_another_submission_does_not():
    acks = SubmissionAcks()
    acks.sent("view:V1:first")
    assert acks.wait("view:V1:first", timeout=0)
    # The same view submitted again (new hash, new key) waits for its own ack.
    assert not acks.wait("view:V1:second", timeout=0.05)
