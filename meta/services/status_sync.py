"""Read what Meta says about campaigns and turn each change into exactly one alert.

The last seen state is kept on the campaign row (``last_sync``); an alert's dedupe key includes
the change's sequence number, so two replicas syncing at once still queue one alert per change,
and an unchanged state on the next poll queues nothing. Keys starting with ``_`` in ``last_sync``
are bookkeeping (the sequence number) and survive every rewrite of the state.

One read per campaign: the campaign node with its ad sets and ads expanded, so activation (which
reads the state back) and the sync see Meta the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from meta.domain.advantage import FIELD as ADVANTAGE_FIELD
from meta.domain.advantage import AdvantageState
from meta.domain.drift import CREATIVE_FIELDS, drift_key, find_drift
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import CampaignRecord
from meta.domain.states import Status
from meta.services.previews import BASELINE_ADVANTAGE_KEY, DRIFT_KEY, REQUESTS_KEY

log = logging.getLogger(__name__)

# Every campaign whose objects exist in Meta and can still change (a waiting one can still be
# disapproved, or switched on by hand in Ads Manager).
SYNCED_STATUSES = (
    Status.CREATED,
    Status.SCHEDULED,
    Status.ACTIVE,
    Status.PAUSED,
    Status.CANCELLED,
    Status.ACTIVATION_FAILED,
)
_NODE_FIELDS = "configured_status,effective_status,issues_info"
_STATE_FIELDS = (
    f"{_NODE_FIELDS},{ADVANTAGE_FIELD},"
    f"adsets{{{_NODE_FIELDS}}},"
    f"ads{{{_NODE_FIELDS},ad_review_feedback,creative{{{','.join(CREATIVE_FIELDS)}}}}}"
)
# Meta shows these while it applies a change; they are not news and would alert twice.
_TRANSITIONAL = frozenset({"IN_PROCESS"})
_LEVELS = ("campaign", "adset", "ad")
# The alert kind of a drift: Meta no longer shows the approved settings.
SETTINGS_DRIFT = "settings_drift"


def read_state(graph: GraphApi, row: CampaignRecord) -> dict[str, Any]:
    """Meta's view of one campaign's three objects, in the JSON shape kept in ``last_sync``.

    ``campaign``/``adset``/``ad`` hold effective statuses, ``configured`` the statuses we set,
    ``review`` the ad review feedback text, ``issues`` the sorted issue texts and ``advantage``
    Meta's Advantage+ classification (``meta.domain.advantage``).
    """
    body = graph.get(str(row.meta_campaign_id), {"fields": _STATE_FIELDS})
    adset = _child(body.get("adsets"), row.adset_id)
    ad = _child(body.get("ads"), row.ad_id)
    state: dict[str, Any] = {
        "campaign": body.get("effective_status"),
        "adset": adset.get("effective_status"),
        "ad": ad.get("effective_status"),
        "configured": {
            "campaign": body.get("configured_status"),
            "adset": adset.get("configured_status"),
            "ad": ad.get("configured_status"),
        },
        "review": _feedback_text(ad.get("ad_review_feedback") or {}),
        # The creative's settings as Meta runs them, for the drift watch (``meta.domain.drift``).
        "creative": {
            key: value
            for key, value in (ad.get("creative") or {}).items()
            if key in (*CREATIVE_FIELDS, "id")
        },
    }
    advantage = AdvantageState.from_graph(body.get(ADVANTAGE_FIELD))
    if advantage is not None:
        state["advantage"] = advantage.to_json()
    issues = list(body.get("issues_info") or []) + list(adset.get("issues_info") or [])
    if ad.get("effective_status") != "DISAPPROVED":
        # A disapproval comes with its own issue entry; the review alert already says it.
        issues += list(ad.get("issues_info") or [])
    elif not state["review"]:
        texts = [str(i.get("error_message")) for i in ad.get("issues_info") or [] if i]
        state["review"] = "; ".join(t for t in texts if t and t != "None") or None
    state["issues"] = sorted({_issue_text(issue) for issue in issues})
    return state


def merge_state(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """``current`` plus the bookkeeping keys of ``previous``; transitional statuses keep the old one."""
    previous = dict(previous or {})
    merged = {key: value for key, value in previous.items() if key.startswith("_")}
    merged.update(current)
    for level in _LEVELS:
        if merged.get(level) in _TRANSITIONAL and previous.get(level):
            merged[level] = previous[level]
    return merged


class StatusSync:
    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._graph = graph
        self._clock = clock

    def sync_all(self) -> int:
        """Sync every campaign that can still change; returns the number of alerts queued."""
        queued = 0
        for row in self._store.list_campaigns(statuses=SYNCED_STATUSES, limit=None):
            try:
                queued += self.sync(row.id)
            except MetaApiError as exc:
                if exc.is_auth:
                    queued += self._auth_alert(exc)
                    return queued  # every other call would fail the same way
                log.warning("sync of #%s failed: %s", row.id, exc)
            except AdBeeError as exc:
                log.warning("sync of #%s failed: %s", row.id, exc)
        return queued

    def sync(self, campaign_id: int) -> int:
        """Read one campaign from Meta; queue one alert per change since the last read."""
        row = self._store.get(campaign_id)
        if row is None or not row.meta_campaign_id or row.status == Status.ACTIVATING:
            return 0  # an activation in flight records Meta's state itself when it is done
        previous: dict[str, Any] = dict(row.last_sync or {})
        current = with_drift(merge_state(previous, read_state(self._graph, row)))
        changes = list(_changes(previous, current))
        seq = int(previous.get("_seq", 0))
        current["_seq"] = seq + len(changes)
        # Kept only if the row did not move meanwhile: an activation running alongside (this
        # replica's or another's) switches Meta under this read and records its own state;
        # comparing against it would report our own activation as somebody's change.
        if not self._store.set_last_sync(row.id, current, if_status=row.status):
            return 0
        queued = 0
        for kind, key, detail in changes:
            seq += 1
            if self._store.enqueue_alert(
                kind=kind,
                dedupe_key=f"{row.id}:{key}:{seq}",
                payload={"detail": detail},
                campaign_id=row.id,
            ):
                queued += 1
        self._follow_manual_changes(row, current)
        return queued

    def _follow_manual_changes(self, row: CampaignRecord, current: dict[str, Any]) -> None:
        """Someone paused or resumed in Ads Manager: keep AdBee's status truthful."""
        effective = current.get("campaign")
        if row.status == Status.ACTIVE and effective == "PAUSED":
            self._store.transition(row.id, from_statuses=[Status.ACTIVE], to_status=Status.PAUSED)
        elif row.status == Status.PAUSED and effective == "ACTIVE":
            self._store.transition(row.id, from_statuses=[Status.PAUSED], to_status=Status.ACTIVE)

    def _auth_alert(self, exc: MetaApiError) -> int:
        """One alert a day while the token is broken: a reminder, not one per poll."""
        day = self._clock().astimezone(UTC).date().isoformat()
        return int(
            self._store.enqueue_alert(
                kind="meta_auth",
                dedupe_key=f"meta-auth:{exc.code}/{exc.subcode}:{day}",
                payload={"detail": f"{exc.user_text()}. {exc.fix_hint()}"},
            )
        )


def with_drift(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``DRIFT_KEY`` set to what Meta shows unlike the requests as sent (kept in
    ``REQUESTS_KEY``) and the classification at creation, or removed when nothing differs.

    ``_changes`` turns a new drift (other differences than the last read's) into one alert, so
    the same drift is not alerted on every sync, and a drift that comes back after a re-apply is.
    Campaigns created before AdBee kept its requests, or a read without the creative, are left be.
    """
    out = dict(state)
    out.pop(DRIFT_KEY, None)
    requests = state.get(REQUESTS_KEY) or {}
    if not requests.get("creative") or not (state.get("creative") or {}).get("id"):
        return out
    lines = find_drift(
        requests["creative"],
        state["creative"],
        approved_advantage=(state.get(BASELINE_ADVANTAGE_KEY) or {}).get("advantage_state"),
        meta_advantage=(state.get("advantage") or {}).get("advantage_state"),
    )
    if lines:
        out[DRIFT_KEY] = {"key": drift_key(lines), "lines": lines}
    return out


def _changes(previous: dict[str, Any], current: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(kind, dedupe part, detail) for each piece of news between two reads."""
    first = "campaign" not in previous
    ad_before, ad_now = previous.get("ad"), current.get("ad")
    disapproved = ad_now == "DISAPPROVED" and ad_before != "DISAPPROVED"
    if disapproved:
        yield "ad_disapproved", "ad", current.get("review") or "Meta gave no reason"
    if not first:
        moves = []
        for level in _LEVELS:
            before, now = previous.get(level), current.get(level)
            if before == now or (level == "ad" and disapproved) or now is None:
                continue
            label = {"adset": "ad set"}.get(level, level)
            prefix = "ad review passed: " if level == "ad" and before == "PENDING_REVIEW" else ""
            moves.append(f"{prefix}{label}: {before or 'unknown'} -> {now}")
        if moves:
            yield "status_changed", "status", "; ".join(moves)
    new_issues = sorted(set(current.get("issues", [])) - set(previous.get("issues", [])))
    if new_issues:
        yield "delivery_issue", "issues", "; ".join(new_issues)
    drift = current.get(DRIFT_KEY)
    if drift and drift.get("key") != (previous.get(DRIFT_KEY) or {}).get("key"):
        yield SETTINGS_DRIFT, "drift", "\n".join(drift["lines"])


def _child(edge: Any, wanted: str | None) -> dict[str, Any]:
    items = (edge or {}).get("data", []) if isinstance(edge, dict) else []
    for item in items:
        if wanted is None or str(item.get("id")) == str(wanted):
            return dict(item)
    return {}


# Names people know the review placements by; the rest read as Meta spells them, without "_".
_PLACEMENT_LABELS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "instagram_shop": "Instagram Shop",
    "whatsapp": "WhatsApp",
    "marketplace": "Marketplace",
    "facebook_pages_live_shopping": "Facebook Pages live shopping",
}


def _feedback_text(feedback: dict[str, Any]) -> str | None:
    """Every verdict Meta gave, one line each: policy and reason, and the placement if it has one.

    Meta's ``AdgroupReviewFeedback`` (SDK ``adgroupreviewfeedback.py``): ``global`` maps policy ->
    reason for the whole ad; ``placement_specific`` maps each placement (``instagram``,
    ``facebook``, ...) to its own policy -> reason map, so an ad can be refused on one placement only.
    """
    lines = []
    for policy, reason in (feedback.get("global") or {}).items():
        lines.append(f"{policy}: {reason}")
    for placement, verdicts in (feedback.get("placement_specific") or {}).items():
        label = _PLACEMENT_LABELS.get(placement, str(placement).replace("_", " "))
        if not isinstance(verdicts, dict) or not verdicts:
            lines.append(f"On {label}: disapproved (Meta gave no reason)")
            continue
        for policy, reason in verdicts.items():
            lines.append(f"On {label}, {policy}: {reason}")
    return "\n".join(lines) or None


def _issue_text(issue: dict[str, Any]) -> str:
    summary = issue.get("error_summary") or issue.get("error_message") or "issue"
    return (
        f"{summary} (code {issue.get('error_code')})" if issue.get("error_code") else str(summary)
    )
