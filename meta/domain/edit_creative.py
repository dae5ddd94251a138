"""The new creative an edit makes for one ad: the creative Meta holds now, with the changes.

Meta's creatives are immutable (the SDK's ``AdCreative`` takes only ``name`` and ``status`` on
update; the emulator refuses the rest), so a new text, link, call to action, URL tags, video or
image is a new creative made from the one the ad shows, then swapped into the ad. Three shapes
carry the texts (field names from the SDK's ``AdCreativeVideoData``, ``AdCreativeLinkData`` and
``AdAssetFeedSpec``):

- ``object_story_spec.video_data``: ``message``, ``title``, ``link_description``,
  ``call_to_action {type, value.link}``, ``video_id`` and ``image_url`` (the thumbnail);
- ``object_story_spec.link_data`` (an image ad): ``message``, ``name`` (the headline),
  ``description``, ``link``, ``call_to_action``, ``image_hash``;
- ``asset_feed_spec`` (a placement pair, a flexible ad): ``bodies``, ``titles``,
  ``descriptions``, ``link_urls[].website_url``, ``call_to_action_types``; the first of each is
  what an edit changes (its videos are not replaced by an edit).

A new video turns the creative into ``video_data``, a new image into ``link_data``, keeping the
texts. Pure: dicts in, dicts out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from meta.domain.edits import EditField, FieldChange

CREATIVE_READ_FIELDS = "name,object_story_spec,asset_feed_spec,url_tags"
# Keys of a creative's create request that the edit itself writes (the others, the creative
# controls a creation set, are carried over as they were sent).
STORY_KEYS = frozenset({"name", "object_story_spec", "asset_feed_spec", "url_tags"})


def creative_format(creative: Mapping[str, Any]) -> str:
    """``video``, ``image`` or ``asset_feed``: which shape carries the creative's texts."""
    story = creative.get("object_story_spec") or {}
    if story.get("video_data"):
        return "video"
    if story.get("link_data"):
        return "image"
    return "asset_feed" if creative.get("asset_feed_spec") else "video"


def texts_of(creative: Mapping[str, Any]) -> dict[str, Any]:
    """The editable values a creative shows now (``EditField`` names), whatever its shape;
    ``video``/``image`` are the video id or image hash it shows."""
    story = creative.get("object_story_spec") or {}
    video = story.get("video_data")
    link = story.get("link_data")
    if video:
        cta = video.get("call_to_action") or {}
        return {
            "primary_text": video.get("message"),
            "headline": video.get("title"),
            "description": video.get("link_description"),
            "link": (cta.get("value") or {}).get("link"),
            "call_to_action": cta.get("type"),
            "video": video.get("video_id"),
        }
    if link:
        cta = link.get("call_to_action") or {}
        return {
            "primary_text": link.get("message"),
            "headline": link.get("name"),
            "description": link.get("description"),
            "link": link.get("link") or (cta.get("value") or {}).get("link"),
            "call_to_action": cta.get("type"),
            "image": link.get("image_hash"),
        }
    feed = creative.get("asset_feed_spec") or {}
    return {
        "primary_text": _first(feed.get("bodies"), "text"),
        "headline": _first(feed.get("titles"), "text"),
        "description": _first(feed.get("descriptions"), "text"),
        "link": _first(feed.get("link_urls"), "website_url"),
        "call_to_action": (feed.get("call_to_action_types") or [None])[0],
    }


def _first(items: Any, key: str) -> Any:
    return (items[0] or {}).get(key) if isinstance(items, list) and items else None


def edited_creative(
    current: Mapping[str, Any],
    changes: Iterable[FieldChange],
    *,
    name: str,
    controls: Mapping[str, Any] | None = None,
    video: tuple[str, str] | None = None,
    image_hash: str | None = None,
) -> dict[str, Any]:
    """The create params of the new creative: ``current`` (as Meta answers it, or as it was
    sent) with ``changes`` applied, showing ``video`` (id, thumbnail) or ``image_hash`` when
    the edit brings one, under ``name``, with the creation's creative ``controls`` (the
    request as sent, minus ``STORY_KEYS``)."""
    wanted = {c.field: c.after for c in changes}
    texts = texts_of(current)
    for field_name, value in wanted.items():
        texts[field_name.value] = value
    story = copy.deepcopy(dict(current.get("object_story_spec") or {}))
    feed = copy.deepcopy(current.get("asset_feed_spec"))
    shape = creative_format(current)
    if video is not None:
        shape, feed = "video", None
        story.pop("link_data", None)
    elif image_hash is not None:
        shape, feed = "image", None
        story.pop("video_data", None)
    cta = {"type": texts.get("call_to_action"), "value": {"link": texts.get("link")}}
    if shape == "video":
        data = dict(story.get("video_data") or {})
        data.update(message=texts.get("primary_text"), title=texts.get("headline"))
        data["call_to_action"] = cta
        _set_or_drop(data, "link_description", texts.get("description"))
        if video is not None:
            data["video_id"], data["image_url"] = video
            data.pop("image_hash", None)
        story["video_data"] = data
    elif shape == "image":
        data = dict(story.get("link_data") or {})
        data.update(
            message=texts.get("primary_text"),
            name=texts.get("headline"),
            link=texts.get("link"),
            call_to_action=cta,
        )
        _set_or_drop(data, "description", texts.get("description"))
        if image_hash is not None:
            data["image_hash"] = image_hash
        story["link_data"] = data
    else:
        assert isinstance(feed, dict)
        _set_first(feed, "bodies", "text", texts.get("primary_text"))
        _set_first(feed, "titles", "text", texts.get("headline"))
        _set_first(feed, "link_urls", "website_url", texts.get("link"))
        if texts.get("call_to_action"):
            feed["call_to_action_types"] = [texts["call_to_action"]]
        if texts.get("description"):
            _set_first(feed, "descriptions", "text", texts["description"])
        else:
            feed.pop("descriptions", None)
    params = {k: copy.deepcopy(v) for k, v in (controls or {}).items() if k not in STORY_KEYS}
    params["name"] = name
    params["object_story_spec"] = story
    if feed is not None:
        params["asset_feed_spec"] = feed
    tags = wanted.get(EditField.URL_TAGS, current.get("url_tags"))
    if tags:
        params["url_tags"] = tags
    return params


def _set_or_drop(data: dict[str, Any], key: str, value: Any) -> None:
    if value:
        data[key] = value
    else:
        data.pop(key, None)


def _set_first(feed: dict[str, Any], key: str, inner: str, value: Any) -> None:
    if value is None:
        return
    items = [dict(item) for item in feed.get(key) or [{}]]
    items[0][inner] = value
    feed[key] = items


def edited_groups(groups: Mapping[str, Any], changes: Iterable[FieldChange]) -> dict[str, Any]:
    """A flexible ad's ``creative_asset_groups_spec`` (``groups`` of ``videos``, ``texts``
    ``{text, text_type}``, ``call_to_action``; the flexible ad format guide) with the edit's
    texts, link and call to action: the first text of each type changed, as in an asset feed; an
    empty description dropped. The ad's switch to its new creative carries it, so the ad shows
    the edited texts in every combination Meta makes."""
    wanted = {c.field: c.after for c in changes}
    kinds = {
        EditField.PRIMARY_TEXT: "primary_text",
        EditField.HEADLINE: "headline",
        EditField.DESCRIPTION: "description",
    }
    out = copy.deepcopy(dict(groups))
    for group in out.get("groups") or []:
        texts = [dict(t) for t in group.get("texts") or []]
        for name, kind in kinds.items():
            if name not in wanted:
                continue
            value = wanted[name]
            place = next((i for i, t in enumerate(texts) if t.get("text_type") == kind), None)
            if not value:
                texts = [t for t in texts if t.get("text_type") != kind]
            elif place is None:
                texts.append({"text": value, "text_type": kind})
            else:
                texts[place]["text"] = value
        group["texts"] = texts
        cta = dict(group.get("call_to_action") or {})
        if EditField.CALL_TO_ACTION in wanted:
            cta["type"] = wanted[EditField.CALL_TO_ACTION]
        if EditField.LINK in wanted:
            cta["value"] = {**dict(cta.get("value") or {}), "link": wanted[EditField.LINK]}
        if cta:
            group["call_to_action"] = cta
    return out
