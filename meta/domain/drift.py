"""Drift: what Meta shows now against what was approved, one line per difference.

Meta turns creative settings back on after creation (agencies' "toggles auto-re-enabled"), enrols
ads in multi-advertiser ads, and a campaign edited in Ads Manager stops being Advantage+ Sales.
The approval covered the creative request's ``degrees_of_freedom_spec`` (each feature's
``enroll_status``), ``contextual_multi_ads`` and ``url_tags``, and Meta's classification of the
campaign at creation; ``find_drift`` compares Meta's read-back with those. A feature the approved
request did not name (``enhancements: meta_defaults``) is Meta's to decide and never drift.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from meta.domain.advantage import ADVANTAGE_PLUS_SALES

# The creative fields read back for the comparison (SDK ``AdCreative.Field``).
CREATIVE_FIELDS = ("degrees_of_freedom_spec", "contextual_multi_ads", "url_tags")


def _enroll(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return (
        str(value.get("enroll_status"))
        if isinstance(value, Mapping) and value.get("enroll_status")
        else None
    )


def _features(creative: Mapping[str, Any]) -> dict[str, str | None]:
    spec = creative.get("degrees_of_freedom_spec")
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            spec = None
    features = (spec or {}).get("creative_features_spec") if isinstance(spec, Mapping) else None
    return {str(k): _enroll(v) for k, v in (features or {}).items()}


def find_drift(
    approved_creative: Mapping[str, Any],
    meta_creative: Mapping[str, Any],
    *,
    approved_advantage: str | None,
    meta_advantage: str | None,
) -> list[str]:
    """Every setting Meta shows differently from the approved request, in plain words."""
    lines = []
    now = _features(meta_creative)
    for name, status in sorted(_features(approved_creative).items()):
        if status and now.get(name) != status:
            lines.append(
                f"creative enhancement {name}: approved {status}, Meta shows {now.get(name) or 'nothing'}"
            )
    approved_multi = _enroll(approved_creative.get("contextual_multi_ads"))
    meta_multi = _enroll(meta_creative.get("contextual_multi_ads"))
    if approved_multi and meta_multi != approved_multi:
        lines.append(
            f"multi-advertiser ads: approved {approved_multi}, Meta shows {meta_multi or 'nothing'}"
        )
    approved_tags = approved_creative.get("url_tags") or None
    meta_tags = meta_creative.get("url_tags") or None
    if approved_tags != meta_tags:
        lines.append(
            f"url_tags: approved {approved_tags or 'none'!s}, Meta shows {meta_tags or 'none'!s}"
        )
    if approved_advantage == ADVANTAGE_PLUS_SALES and meta_advantage not in (
        None,
        ADVANTAGE_PLUS_SALES,
    ):
        lines.append(
            f"campaign: approved as {ADVANTAGE_PLUS_SALES}, Meta now classifies it {meta_advantage}"
        )
    return lines


def creative_drifted(lines: list[str]) -> bool:
    """Whether a line is about the creative (re-applied by a new creative on the ad)."""
    return any(not line.startswith("campaign:") for line in lines)


def campaign_drifted(lines: list[str]) -> bool:
    return any(line.startswith("campaign:") for line in lines)


def drift_key(lines: list[str]) -> str:
    """Names one drift: the same differences on the next sync are not news."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
