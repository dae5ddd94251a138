"""Drift: what Meta shows now against what was approved, one line per difference.

Meta turns creative settings back on after creation (agencies' "toggles auto-re-enabled"), enrols
ads in multi-advertiser ads, and a campaign edited in Ads Manager stops being Advantage+ Sales.
The approval covered the creative request's ``degrees_of_freedom_spec`` (each feature's
``enroll_status``), ``contextual_multi_ads`` and ``url_tags``, and Meta's classification of the
campaign at creation; ``find_drift`` compares Meta's read-back with those. A feature the approved
request did not name (``enhancements: meta_defaults``) is Meta's to decide and never drift.

A campaign of several ads (creative_mode ``ads``: one creative per video, image or placement
pair) is watched ad by ad: each ad's creative against its own approved request
(``find_ads_drift``), the differences said once with the ads that show them ("ads 2, 3: ..."),
and the drifted ads named with the creative Meta showed, so a re-apply remakes exactly those.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    lines = creative_lines(approved_creative, meta_creative)
    campaign = campaign_line(approved_advantage, meta_advantage)
    return [*lines, campaign] if campaign else lines


def creative_lines(
    approved_creative: Mapping[str, Any], meta_creative: Mapping[str, Any]
) -> list[str]:
    """What one creative shows unlike its approved request (enhancements, multi-advertiser ads,
    url_tags), in plain words."""
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
    return lines


def campaign_line(approved_advantage: str | None, meta_advantage: str | None) -> str | None:
    """The campaign's drift: approved as Advantage+ Sales, no longer classified so by Meta."""
    if approved_advantage == ADVANTAGE_PLUS_SALES and meta_advantage not in (
        None,
        ADVANTAGE_PLUS_SALES,
    ):
        return (
            f"campaign: approved as {ADVANTAGE_PLUS_SALES}, Meta now classifies it {meta_advantage}"
        )
    return None


@dataclass(frozen=True)
class AdShown:
    """One ad as the drift watch compares it: its key (``AdPlan.key``: ``main`` for ad 1), its
    number, its approved creative request and the creative Meta shows on it (with its ``id``)."""

    key: str
    number: int
    approved: Mapping[str, Any]
    shown: Mapping[str, Any]


@dataclass(frozen=True)
class AdsDrift:
    """A campaign's drift: the lines, and each drifted ad's key with the id of the creative Meta
    showed differently (a re-apply remakes only an ad still showing that one)."""

    lines: list[str]
    ads: dict[str, str] = field(default_factory=dict)


def find_ads_drift(
    ads: Sequence[AdShown],
    *,
    approved_advantage: str | None,
    meta_advantage: str | None,
) -> AdsDrift:
    """Every ad's creative against its own approved request, and the campaign's classification.

    With one ad the lines are ``find_drift``'s. With several, a difference is said once, led by
    the ads that show it ("ad 2: ...", "ads 1, 3: ..."), in ad order, so fifty ads whose music
    Meta switched on read as one line, not fifty.
    """
    by_line: dict[str, list[int]] = {}
    drifted: dict[str, str] = {}
    for ad in sorted(ads, key=lambda a: a.number):
        lines = creative_lines(ad.approved, ad.shown)
        if lines:
            drifted[ad.key] = str(ad.shown.get("id") or "")
        for line in lines:
            by_line.setdefault(line, []).append(ad.number)
    several = len(ads) > 1
    out = [
        f"{ads_label(numbers)}: {line}" if several else line for line, numbers in by_line.items()
    ]
    campaign = campaign_line(approved_advantage, meta_advantage)
    if campaign:
        out.append(campaign)
    return AdsDrift(out, drifted)


def ads_label(numbers: Sequence[int]) -> str:
    """``ad 2`` or ``ads 1, 3``: the ads a line is about, as the approval card numbers them."""
    if len(numbers) == 1:
        return f"ad {numbers[0]}"
    return "ads " + ", ".join(str(n) for n in numbers)


def creative_drifted(lines: list[str]) -> bool:
    """Whether a line is about the creative (re-applied by a new creative on the ad)."""
    return any(not line.startswith("campaign:") for line in lines)


def campaign_drifted(lines: list[str]) -> bool:
    return any(line.startswith("campaign:") for line in lines)


def drift_key(lines: list[str]) -> str:
    """Names one drift: the same differences on the next sync are not news."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
