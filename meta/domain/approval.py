"""What an approval covers: the exact requests sent to Meta, their fingerprint, and what changed.

An approver approves a summary only in appearance; what runs is the campaign, ad set, creative and
ad requests AdBee sent (budget, schedule, targeting, texts, link and UTMs, every Advantage+
creative enhancement choice). ``approval_material`` is those requests without the ids Meta
assigned, plus the activation time; its ``fingerprint`` is stored with the approval, and any later
change (``changes`` lists them) needs a new approval. The same requests give the approval card its
facts (``RequestFacts``): the object names, the final URL with its UTMs, the enhancement choices
and the multi-advertiser choice, as Meta will receive them, not as the form said.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The placements an approver previews, with Meta's ``ad_format`` for each (the SDK's
# ``AdPreview.AdFormat``; the previews edge of an ad answers one iframe per format).
PREVIEW_FORMATS: tuple[tuple[str, str], ...] = (
    ("Feed", "MOBILE_FEED_STANDARD"),
    ("Reels", "INSTAGRAM_REELS"),
    ("Stories", "INSTAGRAM_STORY"),
)
SHAREABLE = "Shareable preview"
# Levels of a campaign's requests, in the order they are shown and compared.
LEVELS = ("campaign", "adset", "creative", "ad")
# Ids Meta assigned to the objects a request points at: not part of what was approved.
_ASSIGNED_IDS = frozenset({"campaign_id", "adset_id", "creative_id"})
_IFRAME_SRC = re.compile(r"""<iframe[^>]*\ssrc=["']([^"']+)["']""", re.IGNORECASE)


def iframe_src(body: str) -> str | None:
    """The URL inside the iframe snippet Meta's previews edge answers (its ``&amp;`` unescaped)."""
    match = _IFRAME_SRC.search(body or "")
    return html.unescape(match.group(1)) if match else None


def approval_material(requests: Mapping[str, Mapping[str, Any]], activate_at: str | None) -> dict:
    """The requests as approved: every parameter but Meta-assigned ids, and when it goes live."""
    return {
        "requests": {
            level: _without_assigned_ids(requests[level]) for level in LEVELS if level in requests
        },
        "activate_at": activate_at,
    }


def fingerprint(material: Mapping[str, Any]) -> str:
    """A stable hash of the material: same requests, same fingerprint, whatever the key order."""
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line per value that differs: ``adset.targeting.geo_locations.countries: [...] -> [...]``."""
    old, new = dict(_flatten(before)), dict(_flatten(after))
    lines = []
    for path in sorted(set(old) | set(new)):
        if old.get(path, _MISSING) != new.get(path, _MISSING):
            lines.append(
                f"{path}: {_show(old.get(path, _MISSING))} -> {_show(new.get(path, _MISSING))}"
            )
    return lines


@dataclass(frozen=True)
class RequestFacts:
    """What the approval card lists, read from the requests AdBee sent (or will send)."""

    names: tuple[tuple[str, str], ...]  # (level label, object name)
    link: str | None
    url_tags: str | None
    # (feature, enroll status) for every creative feature the request names, sorted.
    enhancements: tuple[tuple[str, str], ...]
    # contextual_multi_ads enroll status; None: the request says nothing, so Meta enrols it.
    multi_advertiser: str | None

    @property
    def final_url(self) -> str | None:
        """The landing page as people reach it: the link with the creative's ``url_tags``."""
        if not self.link or not self.url_tags:
            return self.link
        return f"{self.link}{'&' if '?' in self.link else '?'}{self.url_tags.lstrip('?&')}"

    @property
    def opted_in(self) -> tuple[str, ...]:
        return tuple(name for name, status in self.enhancements if status != "OPT_OUT")

    @classmethod
    def from_requests(cls, requests: Mapping[str, Mapping[str, Any]]) -> RequestFacts:
        labels = {"campaign": "Campaign", "adset": "Ad set", "creative": "Creative", "ad": "Ad"}
        names = tuple(
            (labels[level], str(requests[level]["name"]))
            for level in LEVELS
            if level in requests and requests[level].get("name")
        )
        creative = _as_dict(requests.get("creative"))
        story = _as_dict(creative.get("object_story_spec"))
        video = _as_dict(story.get("video_data"))
        cta = _as_dict(video.get("call_to_action"))
        link = _as_dict(cta.get("value")).get("link")
        features = _as_dict(
            _as_dict(creative.get("degrees_of_freedom_spec")).get("creative_features_spec")
        )
        enhancements = tuple(
            sorted(
                (str(name), str(_as_dict(choice).get("enroll_status", "UNKNOWN")))
                for name, choice in features.items()
            )
        )
        multi = _as_dict(creative.get("contextual_multi_ads")).get("enroll_status")
        return cls(
            names=names,
            link=str(link) if link else None,
            url_tags=str(creative["url_tags"]) if creative.get("url_tags") else None,
            enhancements=enhancements,
            multi_advertiser=str(multi) if multi else None,
        )


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


_MISSING: Any = _Missing()


def _without_assigned_ids(params: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if k not in _ASSIGNED_IDS and k != "creative"}
    if "creative" in params:  # the ad's {"creative_id": ...}: the creative itself is compared
        out["creative"] = "<the creative above>"
    return out


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # Graph form parameters may carry JSON objects as strings
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, Mapping) else {}


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        if not value and prefix:
            yield prefix, {}
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:79] + "…"
