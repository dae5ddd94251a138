"""Edits of a campaign that exists in Meta: what changes, and who must agree first.

An edit starts from what Meta holds now (``MetaState``, read by the edit service, never the local
row: someone may have changed the campaign in Ads Manager), takes the fields a person wants
(``parse_wanted``: the same checks as a new campaign, with the field named), and becomes a list of
``FieldChange`` (before -> after). Each change is classified (``EditKind``) and the account's
``edits.auto_apply`` rules (accounts.yaml) decide which apply at once and which wait for an
approver; a daily budget above ``approval.budget_above`` waits for the big-spend approvers.

Pure: no Meta, no storage, no Slack. ``meta.services.edits`` reads Meta, persists and applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from meta.domain import spec as rules
from meta.domain.accounts import AccountConfig
from meta.domain.edit_rules import EditKind
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.minimum_budgets import FloorSource
from meta.domain.money import format_minor
from meta.domain.times import TimeParseError, format_local, parse_local_time


class EditField(StrEnum):
    """What an edit may change (the CLI's ``--set NAME=VALUE`` names, the modal's inputs)."""

    DAILY_BUDGET = "daily_budget"
    END_TIME = "end_time"
    COUNTRIES = "countries"
    PRIMARY_TEXT = "primary_text"
    HEADLINE = "headline"
    DESCRIPTION = "description"
    LINK = "link"
    CALL_TO_ACTION = "call_to_action"
    URL_TAGS = "url_tags"
    # A new video or image (a path; from Slack, the downloaded file). ``video``/``image``
    # replace the first ad's (the campaign file's ``video``); ``add_video``/``add_image`` make
    # one more ad in the ad set showing it (as one more entry of ``videos``/``images`` would).
    VIDEO = "video"
    IMAGE = "image"
    ADD_VIDEO = "add_video"
    ADD_IMAGE = "add_image"


TEXT_FIELDS = frozenset({EditField.PRIMARY_TEXT, EditField.HEADLINE, EditField.DESCRIPTION})
# Meta's creatives are immutable: a change to any of these makes a new creative for the ad.
CREATIVE_FIELDS = TEXT_FIELDS | {EditField.LINK, EditField.CALL_TO_ACTION, EditField.URL_TAGS}
REPLACE_MEDIA = frozenset({EditField.VIDEO, EditField.IMAGE})
ADD_MEDIA = frozenset({EditField.ADD_VIDEO, EditField.ADD_IMAGE})
MEDIA_FIELDS = REPLACE_MEDIA | ADD_MEDIA
VIDEO_FIELDS = frozenset({EditField.VIDEO, EditField.ADD_VIDEO})
LABELS: dict[EditField, str] = {
    EditField.DAILY_BUDGET: "Daily budget",
    EditField.END_TIME: "End time",
    EditField.COUNTRIES: "Countries",
    EditField.PRIMARY_TEXT: "Primary text",
    EditField.HEADLINE: "Headline",
    EditField.DESCRIPTION: "Description",
    EditField.LINK: "Link",
    EditField.CALL_TO_ACTION: "Call to action",
    EditField.URL_TAGS: "URL tags",
    EditField.VIDEO: "Video of the first ad",
    EditField.IMAGE: "Image of the first ad",
    EditField.ADD_VIDEO: "New ad with the video",
    EditField.ADD_IMAGE: "New ad with the image",
}


@dataclass(frozen=True)
class MediaFile:
    """A new video or image of an edit, checked (``meta.video.check``/``meta.image.check``) when
    the edit was proposed; ``sha256`` finds the account's copy of the same bytes (uploaded once,
    ``meta.services.shared_videos``) and tells a file changed since."""

    path: str
    name: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "name": self.name, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MediaFile:
        return cls(str(data["path"]), str(data["name"]), str(data["sha256"]))


# Checks one new video or image file (the path as typed, or a Slack file's download) as a new
# campaign's is; raises ``ValidationError``. Injected: the domain reads no file itself.
MediaCheck = Callable[[EditField, str], MediaFile]


class Approval(StrEnum):
    """Who must agree before a change is applied."""

    NONE = "none"
    APPROVER = "approver"
    BIG_SPEND = "big_spend"  # one of the account's approval.approvers


@dataclass(frozen=True)
class MetaState:
    """A campaign's editable fields as Meta holds them now (read, not remembered).

    ``budget_object`` is where the daily budget lives: the campaign (Advantage+ campaign budget)
    or, for a campaign made without one, the ad set.
    """

    live: bool
    daily_budget: int | None
    budget_object: str
    start_time: datetime | None
    end_time: datetime | None
    countries: tuple[str, ...]
    primary_text: str | None = None
    headline: str | None = None
    description: str | None = None
    link: str | None = None
    call_to_action: str | None = None
    url_tags: str | None = None
    # What the first ad's creative shows: "video" (video_data), "image" (link_data) or
    # "asset_feed" (a placement pair) or "flexible" (a flexible ad, its assets on the ad): their
    # media are not replaced by an edit;
    # with the video id or image hash; how many ads the campaign has.
    creative_format: str = "video"
    video: str | None = None
    image: str | None = None
    ads: int = 1

    def value(self, name: EditField) -> Any:
        return getattr(self, name.value, None)


@dataclass(frozen=True)
class FieldChange:
    """One field, before and after (money in minor units, times aware UTC)."""

    field: EditField
    before: Any
    after: Any
    kind: EditKind

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "before": _jsonable(self.before),
            "after": _jsonable(self.after),
            "kind": self.kind.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldChange:
        name = EditField(data["field"])
        return cls(
            name,
            _unjson(name, data["before"]),
            _unjson(name, data["after"]),
            EditKind(data["kind"]),
        )

    def line(self, currency: str, tz: str) -> str:
        """``Daily budget: SGD 50.00 → SGD 80.00`` in the account's currency and timezone
        (``New ad with the video: cut-b.mp4``: an added ad has no "before")."""
        if self.field in ADD_MEDIA:
            return f"{LABELS[self.field]}: {show(self.field, self.after, currency, tz)}"
        return (
            f"{LABELS[self.field]}: {show(self.field, self.before, currency, tz)} → "
            f"{show(self.field, self.after, currency, tz)}"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, MediaFile):
        return value.to_json()
    return value


def _unjson(name: EditField, value: Any) -> Any:
    if value is None:
        return None
    if name is EditField.END_TIME:
        return datetime.fromisoformat(value)
    if name is EditField.COUNTRIES:
        return tuple(value)
    if name in MEDIA_FIELDS and isinstance(value, Mapping):
        return MediaFile.from_json(value)
    return value


def show(name: EditField, value: Any, currency: str, tz: str) -> str:
    """One value for people: money in the currency, times in the account's timezone."""
    if name in MEDIA_FIELDS:
        if isinstance(value, MediaFile):
            return value.name
        kind = "video" if name in VIDEO_FIELDS else "image"
        return f"{kind} {value}" if value else "(none)"
    if value is None or value == "":
        return "(none)" if name is not EditField.END_TIME else "(no end)"
    if name is EditField.DAILY_BUDGET:
        return format_minor(int(value), currency)
    if name is EditField.END_TIME:
        return format_local(value, tz)
    if name is EditField.COUNTRIES:
        return ", ".join(value)
    text = str(value)
    return f"“{text[:150]}{'…' if len(text) > 150 else ''}”" if name in TEXT_FIELDS else text


@dataclass(frozen=True)
class EditPlan:
    """Changes that go together: applied at once (``approval`` NONE) or after one decision."""

    changes: tuple[FieldChange, ...]
    approval: Approval
    approvers: tuple[str, ...] = ()  # the big-spend approvers when ``approval`` is BIG_SPEND
    budget_object: str = "campaign"

    @property
    def fields(self) -> frozenset[EditField]:
        return frozenset(c.field for c in self.changes)

    @property
    def makes_creative(self) -> bool:
        return bool(self.fields & (CREATIVE_FIELDS | MEDIA_FIELDS))

    @property
    def media(self) -> FieldChange | None:
        """The new video or image (at most one per edit), replacing or adding."""
        return next((c for c in self.changes if c.field in MEDIA_FIELDS), None)

    def change(self, name: EditField) -> FieldChange | None:
        return next((c for c in self.changes if c.field is name), None)

    def lines(self, currency: str, tz: str) -> list[str]:
        return [c.line(currency, tz) for c in self.changes]

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "approval": self.approval.value,
            "approvers": list(self.approvers),
            "budget_object": self.budget_object,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EditPlan:
        return cls(
            tuple(FieldChange.from_json(c) for c in data["changes"]),
            Approval(data["approval"]),
            tuple(data.get("approvers") or ()),
            str(data.get("budget_object") or "campaign"),
        )


@dataclass(frozen=True)
class Proposal:
    """A submitted edit, split: what applies at once, and what waits for an approver."""

    now: EditPlan | None
    later: EditPlan | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.now is None and self.later is None


def classify(change_field: EditField, before: Any, after: Any, *, live: bool) -> EditKind:
    """The kind of one change, which the account's rules look up."""
    if change_field is EditField.DAILY_BUDGET:
        return EditKind.LOWER_BUDGET if before and after < before else EditKind.RAISE_BUDGET
    if change_field is EditField.END_TIME:
        earlier = after is not None and (before is None or after < before)
        return EditKind.END_EARLIER if earlier else EditKind.EXTEND_END
    if change_field is EditField.COUNTRIES:
        return EditKind.COUNTRIES
    if change_field in MEDIA_FIELDS:
        return EditKind.NEW_CREATIVE
    if change_field in TEXT_FIELDS:
        return EditKind.TEXTS_WHEN_LIVE if live else EditKind.TEXTS_BEFORE_LIVE
    return EditKind.CREATIVE_WHEN_LIVE if live else EditKind.CREATIVE_BEFORE_LIVE


def diff(state: MetaState, wanted: Mapping[EditField, Any]) -> list[FieldChange]:
    """Only what differs from Meta's values, in ``EditField`` order."""
    changes = []
    for name in EditField:
        if name not in wanted:
            continue
        before, after = state.value(name), wanted[name]
        if name not in MEDIA_FIELDS and (before or None) == (after or None):
            continue
        changes.append(
            FieldChange(name, before, after, classify(name, before, after, live=state.live))
        )
    return changes


def propose(state: MetaState, wanted: Mapping[EditField, Any], account: AccountConfig) -> Proposal:
    """Split the changes by the account's rules; a budget above ``approval.budget_above`` needs
    the big-spend approvers, whatever ``auto_apply`` says."""
    changes = diff(state, wanted)
    auto = set(account.edits.auto_apply)
    budget = next((c for c in changes if c.field is EditField.DAILY_BUDGET), None)
    big = account.big_spend_approvers(int(budget.after)) if budget is not None else ()
    # A new video or image is a new creative: always an approver's (edit_rules refuses listing it).
    now = [
        c
        for c in changes
        if c.kind in auto and c.kind is not EditKind.NEW_CREATIVE and not (c is budget and big)
    ]
    later = [c for c in changes if c not in now]
    level = state.budget_object
    return Proposal(
        EditPlan(tuple(now), Approval.NONE, budget_object=level) if now else None,
        EditPlan(
            tuple(later),
            Approval.BIG_SPEND if budget in later and big else Approval.APPROVER,
            big if budget in later else (),
            level,
        )
        if later
        else None,
    )


def parse_wanted(
    raw: Mapping[str, Any],
    *,
    account: AccountConfig,
    state: MetaState,
    now: datetime,
    floors: FloorSource,
    check_media: MediaCheck | None = None,
) -> dict[EditField, Any]:
    """The wanted values, checked as a new campaign's are; ``ValidationError`` names each field.

    Fields left out (or blank in a form: "leave as it is") are not changed, except ``end_time``
    and ``description``, where ``none`` clears the value. The end must lie in the future and at
    least 24 hours after the start (Meta's rule for daily budgets). A new video or image is
    checked by ``check_media`` (one per edit; a placement pair's or flexible ad's media are not
    replaced).
    """
    # The field checks of a new campaign (meta.domain.spec), so an edit and a creation refuse
    # the same inputs with the same words.
    problems: list[FieldProblem] = []
    warnings: list[str] = []

    def bad(name: str, message: str) -> None:
        problems.append(FieldProblem(name, message))

    for key in raw:
        if key == "start_time":  # the start is the activation's, which a reschedule moves
            bad("start_time", "is moved with a reschedule: /campaign reschedule <id> <time>")
        elif key not in EditField.__members__.values():
            names = ", ".join(f.value for f in EditField)
            bad(str(key), f"cannot be edited; one of: {names}")
    wanted: dict[EditField, Any] = {}
    for name in EditField:
        if name.value not in raw:
            continue
        value = raw[name.value]
        text = value.strip() if isinstance(value, str) else value
        clears = isinstance(text, str) and text.lower() in ("none", "-")
        if name is EditField.DAILY_BUDGET:
            minor = rules._budget(text, account, bad, floors)
            if minor is not None:
                wanted[name] = minor
        elif name is EditField.END_TIME:
            wanted_end = _end_time(text, clears, account, state, now, bad)
            if wanted_end is not _BAD:
                wanted[name] = wanted_end
        elif name is EditField.COUNTRIES:
            codes = rules._countries(text, account, bad)
            if codes:
                wanted[name] = tuple(codes)
        elif name in TEXT_FIELDS:
            if name is EditField.DESCRIPTION and clears:
                wanted[name] = None
                continue
            one = rules._one_text(
                text, name.value, name.value, bad, required=True, warnings=warnings
            )
            if one is not None:
                wanted[name] = one
        elif name is EditField.LINK:
            link = rules._link(text, bad)
            if link is not None:
                wanted[name] = link
        elif name is EditField.CALL_TO_ACTION:
            cta = rules._cta(text, bad)
            if cta is not None:
                wanted[name] = cta
        elif name is EditField.URL_TAGS:
            wanted[name] = None if clears else rules._url_tags_override(text, bad)
        elif name in MEDIA_FIELDS:
            media = _media(name, text, state, check_media, bad)
            if media is not None:
                wanted[name] = media
    if len([name for name in wanted if name in MEDIA_FIELDS]) > 1:
        bad(
            next(name for name in wanted if name in MEDIA_FIELDS).value,
            "one new video or image per edit; send the other in a second edit",
        )
    if problems:
        raise ValidationError(problems)
    return wanted


_BAD = object()


def _media(
    name: EditField, text: Any, state: MetaState, check: MediaCheck | None, bad: Any
) -> MediaFile | None:
    if not isinstance(text, str) or not text:
        bad(name.value, "name the file: a path, or attach it in the form")
        return None
    if name in REPLACE_MEDIA and state.creative_format in ("asset_feed", "flexible"):
        bad(
            name.value,
            "the ad is a placement pair or a flexible ad; its videos are not replaced by an "
            "edit: add one (add_video / add_image) or make a new campaign",
        )
        return None
    if check is None:
        bad(name.value, "a new video or image cannot be checked here")
        return None
    try:
        return check(name, text)
    except ValidationError as exc:
        for problem in exc.problems:
            bad(name.value, problem.message)
        return None


def _end_time(
    value: Any,
    clears: bool,
    account: AccountConfig,
    state: MetaState,
    now: datetime,
    bad: Any,
) -> Any:
    if clears:
        return None
    tz = account.timezone
    try:
        end = parse_local_time(value, tz)
    except TimeParseError as exc:
        bad("end_time", str(exc))
        return _BAD
    if end <= now:
        bad("end_time", f"{format_local(end, tz)} is in the past; pick a later time")
        return _BAD
    if state.start_time is not None and end < state.start_time + rules.MIN_SCHEDULE:
        bad(
            "end_time",
            f"must be at least 24 hours after the start ({format_local(state.start_time, tz)})",
        )
        return _BAD
    return end


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``--set daily_budget=80 --set end_time=...`` as a mapping; a malformed one is named."""
    out: dict[str, str] = {}
    problems = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            problems.append(
                FieldProblem(pair or "--set", "write it as NAME=VALUE, e.g. daily_budget=80")
            )
            continue
        out[name.strip()] = value
    if problems:
        raise ValidationError(problems)
    return out


def step_label(step: str) -> str:
    """One applied step of an edit, for people (``budget``, ``creative:2``, ``ad:new``...)."""
    kind, _sep, key = step.partition(":")
    ad = "the new ad" if key == "new" else "ad 1" if key == "main" else f"ad {key}"
    words = {
        "budget": "budget",
        "adset": "ad set",
        "media": "new video or image uploaded",
        "creative": f"new creative for {ad}",
        "switched": f"{ad} switched to its new creative",
        "ad": "new ad made",
    }
    return words.get(kind, step)
