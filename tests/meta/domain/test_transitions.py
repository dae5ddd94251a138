"""The one transition table every status change consults (``meta.domain.states.TRANSITIONS``)."""

from __future__ import annotations

import pytest

from meta.domain.states import (
    TRANSITIONS,
    IllegalTransitionError,
    Status,
    check_transition,
    is_allowed,
)

# Every change a flow makes today: (from, to, who makes it).
USED = [
    (Status.CREATING, Status.CREATED, "pipeline: all objects exist"),
    (Status.CREATING, Status.FAILED, "pipeline: a temporary problem"),
    (Status.CREATING, Status.ROLLED_BACK, "pipeline: Meta refused, rolled back"),
    (Status.FAILED, Status.CREATING, "resume"),
    (Status.CREATED, Status.SCHEDULED, "approve / activate now"),
    (Status.CREATED, Status.REJECTED, "reject"),
    (Status.SCHEDULED, Status.ACTIVATING, "activation claims it"),
    (Status.SCHEDULED, Status.CANCELLED, "cancel"),
    (Status.SCHEDULED, Status.REJECTED, "reject"),
    (Status.CANCELLED, Status.SCHEDULED, "reschedule / activate now"),
    (Status.CANCELLED, Status.REJECTED, "reject"),
    (Status.ACTIVATING, Status.ACTIVE, "went live"),
    (Status.ACTIVATING, Status.SCHEDULED, "postponed on a retryable error"),
    (Status.ACTIVATING, Status.ACTIVATION_FAILED, "activation failed"),
    (Status.ACTIVATING, Status.ARMED, "ACTIVE in Meta ahead of its start"),
    (Status.ARMED, Status.ACTIVE, "delivery began at its start"),
    (Status.ARMED, Status.CANCELLED, "cancelled before its start: paused in Meta again"),
    (Status.ARMED, Status.SCHEDULED, "rescheduled, or activate now"),
    (Status.ARMED, Status.CREATED, "rescheduled beyond what the approval covers"),
    (Status.ARMED, Status.ACTIVATION_FAILED, "Meta shows it not active at its start"),
    (Status.ARMED, Status.REJECTED, "rejected before its start"),
    (Status.ACTIVATION_FAILED, Status.SCHEDULED, "reschedule / activate now"),
    (Status.SCHEDULED, Status.CREATED, "reschedule beyond the approval: approve again"),
    (Status.CANCELLED, Status.CREATED, "reschedule beyond the approval: approve again"),
    (Status.ACTIVATION_FAILED, Status.CREATED, "reschedule beyond the approval: approve again"),
    (Status.ACTIVE, Status.PAUSED, "pause, or paused in Ads Manager"),
    (Status.PAUSED, Status.ACTIVE, "resume delivery"),
]


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("source", "target", "why"), USED)
def test_the_changes_the_flows_make_are_allowed(source: Status, target: Status, why: str) -> None:
    assert is_allowed(source, target), why
    check_transition([source], target)


def test_the_table_holds_exactly_the_changes_the_flows_make() -> None:
    listed = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert listed == {(source, target) for source, target, _why in USED}


def test_rolled_back_and_rejected_are_final() -> None:
    for final in (Status.ROLLED_BACK, Status.REJECTED):
        assert TRANSITIONS[final] == frozenset()
        assert not any(is_allowed(final, other) for other in Status if other != final)


def test_staying_in_a_status_is_not_a_change() -> None:
    assert all(is_allowed(status, status) for status in Status)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Status.ACTIVE, Status.CREATING),
        (Status.CREATED, Status.ACTIVE),  # live only through an activation
        (Status.ROLLED_BACK, Status.CREATING),
        (Status.PAUSED, Status.SCHEDULED),
        (Status.FAILED, Status.CREATED),
    ],
)
def test_an_illegal_change_is_refused_naming_what_is_allowed(
    source: Status, target: Status
) -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        check_transition([Status.CREATED, source], target)
    message = str(refused.value)
    assert f"from {source} to {target}" in message or f"or {source} to {target}" in message
    assert "TRANSITIONS allows" in message
