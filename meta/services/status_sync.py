"""Read what Meta says about campaigns and turn each change into exactly one alert.

The last seen state is kept on the campaign row (``last_sync``); an alert's dedupe key includes
the change's sequence number, so two replicas syncing at once still queue one alert per change,
and an unchanged state on the next poll queues nothing. Keys starting with ``_`` in ``last_sync``
are bookkeeping (the sequence number) and survive every rewrite of the state.

The periodic sync reads per ad account, not per campaign: one paged read of the account's
``campaigns`` edge, filtered on the ids AdBee made, with the ad sets and every ad expanded (the
same fields activation reads from the campaign node, so both see Meta the same way). A thousand
campaigns in ten accounts are about ten requests and ten points of Meta's rate-limit score
instead of a thousand. One account's refusal (permissions, a disabled account) skips that
account only; a lost answer is retried by the Graph client (reads are idempotent).

A campaign that has ended (past its end time, deleted or archived in Meta, cancelled in AdBee)
is read once more, so its last state is recorded, and then leaves the sync set
(``LEFT_SYNC_KEY``) until its status or end time changes again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from meta.domain.advantage import FIELD as ADVANTAGE_FIELD
from meta.domain.advantage import AdvantageState
from meta.domain.drift import CREATIVE_FIELDS, AdShown, drift_key, find_ads_drift
from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import MAIN, CampaignRecord, ad_number
from meta.domain.states import Status
from meta.services.previews import (
    BASELINE_ADVANTAGE_KEY,
    DRIFT_KEY,
    REQUESTS_KEY,
    request_name,
)

log = logging.getLogger(__name__)

# Every campaign whose objects exist in Meta and can still change (a waiting one can still be
# disapproved, or switched on by hand in Ads Manager).
SYNCED_STATUSES = (
    Status.CREATED,
    Status.SCHEDULED,
    Status.ARMED,
    Status.ACTIVE,
    Status.PAUSED,
    Status.CANCELLED,
    Status.ACTIVATION_FAILED,
)
_NODE_FIELDS = "configured_status,effective_status,issues_info"
# Meta allows 50 ads per ad set and AdBee makes one ad set per campaign: ``.limit(50)`` sees
# every ad of the campaign in the same answer (an expanded edge is paged, 25 by default; Graph
# "Field Expansion"). ``name`` lets an alert say which ad Meta refused.
MAX_ADS = 50
_STATE_FIELDS = (
    f"{_NODE_FIELDS},{ADVANTAGE_FIELD},"
    f"adsets{{{_NODE_FIELDS}}},"
    f"ads.limit({MAX_ADS}){{name,{_NODE_FIELDS},ad_review_feedback,"
    f"creative{{{','.join(CREATIVE_FIELDS)}}}}}"
)
# What ``read_state`` asks Meta for, so a batch read (``meta.graph.batch``) asks the same.
STATE_PARAMS = {"fields": _STATE_FIELDS}
# Campaigns per request of the account read: the ``id IN`` filter and the page size. Meta caps
# an edge's ``limit`` at a maximum it does not publish ("Paginated Results"), so the reader
# follows ``paging`` until there is no ``next`` whatever it gets per page.
PAGE_SIZE = 100
# Every effective status a campaign can have (SDK ``Campaign.EffectiveStatus``): an account edge
# leaves deleted and archived objects out unless the filter names them, and the sync must see a
# campaign someone deleted in Ads Manager to record that and let it go.
_CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES")
# Meta's statuses of a campaign that will not run again.
_GONE_IN_META = frozenset({"DELETED", "ARCHIVED"})
# Bookkeeping in ``last_sync``: why and in which status/end time the campaign left the sync.
LEFT_SYNC_KEY = "_left_sync"
# Meta shows these while it applies a change; they are not news and would alert twice.
_TRANSITIONAL = frozenset({"IN_PROCESS"})
_LEVELS = ("campaign", "adset", "ad")
# The alert kind of a drift: Meta no longer shows the approved settings.
SETTINGS_DRIFT = "settings_drift"


def read_state(graph: GraphApi, row: CampaignRecord) -> dict[str, Any]:
    """Meta's view of one campaign's objects, in the JSON shape kept in ``last_sync``.

    ``campaign``/``adset``/``ad`` hold effective statuses (``ad`` is the first ad), ``configured``
    the statuses we set, ``review`` the first ad's review feedback text, ``other_ads`` the status
    and review of each further ad by Meta id, ``issues`` the sorted issue texts,
    ``advantage`` Meta's Advantage+ classification (``meta.domain.advantage``), ``creative`` the
    first ad's creative settings and, for a campaign of several ads, ``ad_creatives`` every
    remaining ad's by its key (the drift watch compares each with its own request).
    """
    return state_from_body(graph.get(str(row.meta_campaign_id), {"fields": _STATE_FIELDS}), row)


def read_account_states(
    graph: GraphApi, ad_account_id: str, rows: list[CampaignRecord]
) -> dict[str, dict[str, Any]]:
    """The campaigns ``rows`` of one ad account as Meta shows them, by Meta campaign id.

    ``GET act_<id>/campaigns`` with ``filtering`` on their ids (and every status, deleted
    included) and the same expansion as ``read_state``: one request per ``PAGE_SIZE`` campaigns.
    A campaign Meta does not return is missing from the answer.
    """
    wanted = sorted({str(row.meta_campaign_id) for row in rows if row.meta_campaign_id})
    bodies: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), PAGE_SIZE):
        ids = wanted[start : start + PAGE_SIZE]
        for body in _pages(graph, f"{ad_account_id}/campaigns", _filtered(ids)):
            bodies[str(body.get("id"))] = body
    return bodies


def _filtered(ids: list[str]) -> dict[str, Any]:
    return {
        "fields": f"id,{_STATE_FIELDS}",
        "filtering": [
            {"field": "id", "operator": "IN", "value": ids},
            {"field": "effective_status", "operator": "IN", "value": list(_CAMPAIGN_STATUSES)},
        ],
        "limit": PAGE_SIZE,
    }


def _pages(graph: GraphApi, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of an edge: the next page is the same request ``after`` the last cursor, for as
    long as Meta sends ``paging.next`` (a short page is no sign of the end: Graph's
    "Paginated Results")."""
    query = dict(params)
    while True:
        page = graph.get(path, query)
        yield from page.get("data") or []
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            return
        query = {**params, "after": after}


def state_from_body(body: dict[str, Any], row: CampaignRecord) -> dict[str, Any]:
    """``read_state``'s shape from a campaign as Graph rendered it (node or edge item)."""
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
        "creative": _creative_settings(ad),
    }
    remaining = {str(obj.meta_id): obj.key for obj in row.remaining_ads if obj.meta_id}
    if len(remaining) > 1:
        shown = {str(item.get("id")): item for item in _items(body.get("ads"))}
        state["ad_creatives"] = {
            key: _creative_settings(shown[ad_id])
            for ad_id, key in remaining.items()
            if ad_id in shown and (shown[ad_id].get("creative") or {}).get("id")
        }
    advantage = AdvantageState.from_graph(body.get(ADVANTAGE_FIELD))
    if advantage is not None:
        state["advantage"] = advantage.to_json()
    issues = list(body.get("issues_info") or []) + list(adset.get("issues_info") or [])
    if ad.get("effective_status") != "DISAPPROVED":
        # A disapproval comes with its own issue entry; the review alert already says it.
        issues += list(ad.get("issues_info") or [])
    elif not state["review"]:
        state["review"] = _issue_review(ad)
    others: dict[str, Any] = {}
    for other in _items(body.get("ads")):
        other_id = str(other.get("id"))
        if ad and other_id == str(ad.get("id")):
            continue
        review = _feedback_text(other.get("ad_review_feedback") or {})
        if other.get("effective_status") != "DISAPPROVED":
            issues += list(other.get("issues_info") or [])
        elif not review:
            review = _issue_review(other)
        others[other_id] = {
            "name": other.get("name"),
            "status": other.get("effective_status"),
            "configured": other.get("configured_status"),
            "review": review,
        }
    if others:
        state["other_ads"] = others
    state["issues"] = sorted({_issue_text(issue) for issue in issues})
    return state


def _creative_settings(ad: dict[str, Any]) -> dict[str, Any]:
    """The settings the drift watch compares of the creative an ad shows (with its ``id``)."""
    return {
        key: value
        for key, value in (ad.get("creative") or {}).items()
        if key in (*CREATIVE_FIELDS, "id")
    }


def _issue_review(ad: dict[str, Any]) -> str | None:
    texts = [str(i.get("error_message")) for i in ad.get("issues_info") or [] if i]
    return "; ".join(t for t in texts if t and t != "None") or None


def left_sync(row: CampaignRecord) -> bool:
    """The campaign ended and its last state is recorded: no more reads while it stays so."""
    left = (row.last_sync or {}).get(LEFT_SYNC_KEY)
    return bool(
        left
        and left.get("status") == row.status
        and left.get("end_time") == (row.spec or {}).get("end_time")
    )


def ended_reason(row: CampaignRecord, state: dict[str, Any], now: datetime) -> str | None:
    """Why a campaign will not change any more, judged after a read (None: it still may)."""
    if state.get("campaign") in _GONE_IN_META:
        return f"{str(state['campaign']).lower()} in Meta"
    if row.status == Status.CANCELLED:
        return "cancelled in AdBee"
    end = (row.spec or {}).get("end_time")
    if end:
        ends = datetime.fromisoformat(str(end))
        if (ends if ends.tzinfo else ends.replace(tzinfo=UTC)) <= now:
            return "past its end time"
    return None


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
        announce: Callable[[int], object] | None = None,
    ) -> None:
        """``announce(campaign_id)``: sends a campaign's queued alerts now. A sync someone asked
        for (``/campaign sync``, Refresh from Meta) uses it, so what changed is told while they
        look, not at the outbox's next flush (up to ALERT_FLUSH_SECONDS later); the periodic
        ``sync_all`` leaves its alerts to the flush that follows it."""
        self._store = store
        self._graph = graph
        self._clock = clock
        self._announce = announce

    def sync_all(self) -> int:
        """Sync every campaign that can still change, one paged read per ad account; returns the
        number of alerts queued."""
        by_account: dict[str, list[CampaignRecord]] = defaultdict(list)
        for row in self._store.list_campaigns(statuses=SYNCED_STATUSES, limit=None):
            if row.meta_campaign_id and row.status != Status.ACTIVATING and not left_sync(row):
                by_account[row.ad_account_id].append(row)
        queued = 0
        for ad_account_id, rows in by_account.items():
            try:
                bodies = read_account_states(self._graph, ad_account_id, rows)
            except MetaApiError as exc:
                if exc.is_auth:
                    queued += self._auth_alert(exc)
                    return queued  # every other call would fail the same way
                log.warning("status sync of %s failed: %s", ad_account_id, exc)
                continue  # that account only; the others are read as usual
            except AdBeeError as exc:
                log.warning("status sync of %s failed: %s", ad_account_id, exc)
                continue
            for row in rows:
                body = bodies.get(str(row.meta_campaign_id))
                if body is None:
                    log.warning(
                        "sync of #%s: Meta did not return campaign %s in %s",
                        row.id,
                        row.meta_campaign_id,
                        ad_account_id,
                    )
                    continue
                try:
                    queued += self._record(row, state_from_body(body, row))
                except AdBeeError as exc:
                    log.warning("sync of #%s failed: %s", row.id, exc)
        return queued

    def sync(self, campaign_id: int) -> int:
        """Read one campaign from Meta; queue one alert per change since the last read."""
        row = self._store.get(campaign_id)
        if row is None or not row.meta_campaign_id or row.status == Status.ACTIVATING:
            return 0  # an activation in flight records Meta's state itself when it is done
        queued = self._record(row, read_state(self._graph, row))
        if queued and self._announce is not None:
            self._announce(row.id)
        return queued

    def _record(self, row: CampaignRecord, state: dict[str, Any]) -> int:
        """Keep Meta's state on the row and queue one alert per change since the last read."""
        previous: dict[str, Any] = dict(row.last_sync or {})
        current = with_drift(merge_state(previous, state))
        changes = list(_changes(previous, current))
        seq = int(previous.get("_seq", 0))
        current["_seq"] = seq + len(changes)
        reason = ended_reason(row, current, self._clock())
        if reason:
            current[LEFT_SYNC_KEY] = {
                "reason": reason,
                "status": row.status,
                "end_time": (row.spec or {}).get("end_time"),
                "at": self._clock().astimezone(UTC).isoformat(),
            }
        else:
            current.pop(LEFT_SYNC_KEY, None)
        if current == previous:  # nothing new: no write (a pass over a steady fleet writes nothing)
            self._follow_manual_changes(row, current)
            return 0
        # Kept only if the row did not move meanwhile: an activation running alongside (this
        # replica's or another's) switches Meta under this read and records its own state;
        # comparing against it would report our own activation as somebody's change.
        if not self._store.set_last_sync(row.id, current, if_status=row.status):
            return 0
        if reason and not left_sync(row):
            log.info("#%s leaves the status sync: %s", row.id, reason)
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

    Each ad's creative is compared with that ad's own approved request (``ad_creatives`` when
    the campaign has several ads, else the one ``creative``); ``DRIFT_KEY["ads"]`` names the
    drifted ads with the creative Meta showed, which is what a re-apply remakes.

    ``_changes`` turns a new drift (other differences than the last read's) into one alert, so
    the same drift is not alerted on every sync, and a drift that comes back after a re-apply is.
    Campaigns created before AdBee kept its requests, or a read without the creative, are left be.
    """
    out = dict(state)
    out.pop(DRIFT_KEY, None)
    requests = state.get(REQUESTS_KEY) or {}
    shown = dict(state.get("ad_creatives") or {})
    if not shown and (state.get("creative") or {}).get("id"):
        shown = {MAIN: state["creative"]}
    ads = [
        AdShown(key, ad_number(key), requests[request_name("creative", key)], creative)
        for key, creative in shown.items()
        if requests.get(request_name("creative", key)) and (creative or {}).get("id")
    ]
    if not ads:
        return out
    drift = find_ads_drift(
        ads,
        approved_advantage=(state.get(BASELINE_ADVANTAGE_KEY) or {}).get("advantage_state"),
        meta_advantage=(state.get("advantage") or {}).get("advantage_state"),
    )
    if drift.lines:
        out[DRIFT_KEY] = {"key": drift_key(drift.lines), "lines": drift.lines, "ads": drift.ads}
    return out


def _changes(previous: dict[str, Any], current: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(kind, dedupe part, detail) for each piece of news between two reads."""
    first = "campaign" not in previous
    ad_before, ad_now = previous.get("ad"), current.get("ad")
    disapproved = ad_now == "DISAPPROVED" and ad_before != "DISAPPROVED"
    if disapproved:
        yield "ad_disapproved", "ad", current.get("review") or "Meta gave no reason"
    before_others = previous.get("other_ads") or {}
    for ad_id, other in sorted((current.get("other_ads") or {}).items()):
        was = (before_others.get(ad_id) or {}).get("status")
        if other.get("status") == "DISAPPROVED" and was != "DISAPPROVED":
            label = other.get("name") or f"ad {ad_id}"
            reason = other.get("review") or "Meta gave no reason"
            yield "ad_disapproved", f"ad-{ad_id}", f"{label}: {reason}"
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


def _items(edge: Any) -> list[dict[str, Any]]:
    return list((edge or {}).get("data", [])) if isinstance(edge, dict) else []


def _child(edge: Any, wanted: str | None) -> dict[str, Any]:
    for item in _items(edge):
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
