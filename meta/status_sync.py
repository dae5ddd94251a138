"""Read what Meta says about live campaigns and turn each change into exactly one alert.

The last seen state is kept on the campaign row; an alert's dedupe key includes the change's
sequence number, so two replicas syncing at once still queue one alert per change, and an
unchanged state on the next poll queues nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from meta.errors import AdBeeError, MetaApiError
from meta.pipeline import GraphApi, Status
from storage.models import CampaignRow
from storage.repository import CampaignStore

log = logging.getLogger(__name__)

SYNCED_STATUSES = (Status.CREATED, Status.SCHEDULED, Status.ACTIVE, Status.PAUSED)
_AD_FIELDS = "effective_status,configured_status,ad_review_feedback,issues_info"


class StatusSync:
    def __init__(self, *, store: CampaignStore, graph: GraphApi) -> None:
        self._store = store
        self._graph = graph

    def sync_all(self) -> int:
        """Sync every campaign that can still change; returns the number of alerts queued."""
        queued = 0
        for row in self._store.list(statuses=SYNCED_STATUSES, limit=500):
            try:
                queued += self.sync(row.id)
            except MetaApiError as exc:
                if exc.is_auth:
                    self._auth_alert(exc)
                    return queued  # every other call would fail the same way
                log.warning("sync of #%s failed: %s", row.id, exc)
            except AdBeeError as exc:
                log.warning("sync of #%s failed: %s", row.id, exc)
        return queued

    def sync(self, campaign_id: int) -> int:
        row = self._store.get(campaign_id)
        if row is None or not row.meta_campaign_id:
            return 0
        current = self._read(row)
        previous: dict[str, Any] = dict(row.last_sync or {})
        seq = int(previous.get("_seq", 0))
        queued = 0
        for kind, key, detail in _changes(previous, current):
            seq += 1
            if self._store.enqueue_alert(
                kind=kind,
                dedupe_key=f"{row.id}:{key}:{seq}",
                payload={"detail": detail},
                campaign_id=row.id,
            ):
                queued += 1
        current["_seq"] = seq
        self._store.update(row.id, last_sync=current)
        self._follow_manual_changes(row, current)
        return queued

    def _read(self, row: CampaignRow) -> dict[str, Any]:
        campaign = self._graph.get(
            str(row.meta_campaign_id), {"fields": "effective_status,issues_info"}
        )
        state: dict[str, Any] = {"campaign": campaign.get("effective_status")}
        issues = list(campaign.get("issues_info") or [])
        if row.ad_id:
            ad = self._graph.get(row.ad_id, {"fields": _AD_FIELDS})
            state["ad"] = ad.get("effective_status")
            feedback = ad.get("ad_review_feedback") or {}
            state["review"] = _feedback_text(feedback)
            issues += list(ad.get("issues_info") or [])
        state["issues"] = sorted({_issue_text(issue) for issue in issues})
        return state

    def _follow_manual_changes(self, row: CampaignRow, current: dict[str, Any]) -> None:
        """Someone paused or resumed in Ads Manager: keep AdBee's status truthful."""
        effective = current.get("campaign")
        if row.status == Status.ACTIVE and effective == "PAUSED":
            self._store.transition(row.id, from_statuses=[Status.ACTIVE], to_status=Status.PAUSED)
        elif row.status == Status.PAUSED and effective == "ACTIVE":
            self._store.transition(row.id, from_statuses=[Status.PAUSED], to_status=Status.ACTIVE)

    def _auth_alert(self, exc: MetaApiError) -> None:
        day = datetime.now(UTC).date().isoformat()
        self._store.enqueue_alert(
            kind="meta_auth",
            dedupe_key=f"meta-auth:{exc.code}/{exc.subcode}:{day}",
            payload={"detail": f"{exc.user_text()}. {exc.fix_hint()}"},
        )


def _changes(previous: dict[str, Any], current: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    first = "campaign" not in previous
    ad_before, ad_now = previous.get("ad"), current.get("ad")
    if ad_now == "DISAPPROVED" and ad_before != "DISAPPROVED":
        yield "ad_disapproved", "ad", current.get("review") or "Meta gave no reason"
    elif ad_now != ad_before and not first:
        yield "status_changed", "ad", f"ad: {ad_before or 'unknown'} -> {ad_now}"
    camp_before, camp_now = previous.get("campaign"), current.get("campaign")
    if camp_now != camp_before and not first:
        yield "status_changed", "campaign", f"campaign: {camp_before or 'unknown'} -> {camp_now}"
    new_issues = sorted(set(current.get("issues", [])) - set(previous.get("issues", [])))
    if new_issues:
        yield "delivery_issue", "issues", "; ".join(new_issues)


def _feedback_text(feedback: dict[str, Any]) -> str | None:
    texts = []
    for scope in ("global", "placement_specific"):
        for policy, text in (feedback.get(scope) or {}).items():
            texts.append(f"{policy}: {text}" if isinstance(text, str) else str(policy))
    return "; ".join(texts) or None


def _issue_text(issue: dict[str, Any]) -> str:
    summary = issue.get("error_summary") or issue.get("error_message") or "issue"
    return (
        f"{summary} (code {issue.get('error_code')})" if issue.get("error_code") else str(summary)
    )
