"""A campaign request checked field by field into a ``CampaignSpec`` Meta will accept.

The same function serves the CLI (campaign YAML files) and the Slack modal, so both refuse the
same inputs with the same words. Every problem names the field it belongs to; the Slack layer
maps those names to modal blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from meta.domain.accounts import AccountConfig, AccountRegistry
from meta.domain.countries import COUNTRY_CODES
from meta.domain.creative import (
    URL_TAG_TOKENS,
    CreativePolicy,
    ObjectNames,
    TemplateError,
    check_template,
    fill_names,
    fill_url_tags,
    final_url,
    template_values,
)
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.minimum_budgets import FloorSource, offline_floors
from meta.domain.money import MoneyError, format_minor, offset, parse_amount, to_minor
from meta.domain.records import MAIN
from meta.domain.regulation import missing_declarations
from meta.domain.times import TimeParseError, format_local, parse_local_time, zone

# Call-to-action types Meta accepts on video ads for a website destination.
CTA_TYPES = (
    "SHOP_NOW",
    "BUY_NOW",
    "LEARN_MORE",
    "ORDER_NOW",
    "SIGN_UP",
    "GET_OFFER",
    "ADD_TO_CART",
    "VIEW_PRODUCT",
    "BOOK_TRAVEL",
    "CONTACT_US",
    "DOWNLOAD",
    "SUBSCRIBE",
    "GET_QUOTE",
    "APPLY_NOW",
    "SEE_MORE",
    "WATCH_MORE",
    "NO_BUTTON",
)

# Hard limits (refused) and Meta's display recommendations (warned about).
TEXT_LIMITS = {"name": 400, "primary_text": 2200, "headline": 255, "description": 255}
TEXT_RECOMMENDED = {"primary_text": 125, "headline": 40, "description": 30}
MAX_URL_LENGTH = 1000
# How many texts of one kind a campaign may offer: Meta's flexible ad format takes "no more than 5
# texts per text_type in a group" (Marketing API, "Get started with the flexible ad format",
# Limitations), and asset_feed_spec's bodies/titles follow the same limit of five.
MAX_TEXTS = 5
# In creative_mode ``ads`` every video or image becomes its own ad in the campaign's one ad set, and
# Meta allows at most 50 non-archived ads per ad set (Marketing API, Ad reference, "Limits").
MAX_ADS_PER_ADSET = 50
CREATIVE_MODES = ("ads", "flexible")
# creative_mode flexible groups every video in one ad with Meta's flexible ad format
# (``creative_asset_groups_spec`` on the ad; "Get started with the flexible ad format": at least
# one image or video per group, no more than 5 texts per text_type, one call-to-action type;
# OUTCOME_SALES and OUTCOME_APP_PROMOTION only). Meta's guide names no media limit per group;
# vendors quote Meta's "up to 10 assets" per ad (round2-facts.md, several creatives), so AdBee
# refuses more than 10 before anything is uploaded.
MAX_FLEXIBLE_MEDIA = 10
# Placement pairs: ``<stem>_9x16.*`` (Stories and Reels) beside ``<stem>_4x5.*`` or
# ``<stem>_1x1.*`` (Feed) make one ad with placement asset customization. The ratio a name
# states must be the one measured from the file, within the video check's 1 % tolerance.
PLACEMENT_RATIOS = {"9x16": Fraction(9, 16), "4x5": Fraction(4, 5), "1x1": Fraction(1, 1)}
VERTICAL_RATIO = "9x16"
_RATIO_SUFFIX = re.compile(r"^(?P<stem>.+)_(?P<ratio>9x16|4x5|1x1)$", re.IGNORECASE)
_RATIO_TOLERANCE = Fraction(1, 100)
MIN_LEAD_TIME = timedelta(minutes=1)
MIN_SCHEDULE = timedelta(hours=24)
FIELDS = (
    "account",
    "name",
    "daily_budget",
    "start_time",
    "end_time",
    "countries",
    "video",
    "primary_text",
    "headline",
    "description",
    "link",
    "call_to_action",
    "url_tags",
)
# The fields only a campaign file has (the Slack modal has one input per field of ``FIELDS``).
FILE_FIELDS = (*FIELDS, "videos", "images", "primary_texts", "headlines", "creative_mode")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")


class AdFormat(StrEnum):
    """What one ad shows, which decides its creative and ad requests (``meta.graph.payloads``)."""

    VIDEO = "video"  # one video: object_story_spec.video_data
    PLACEMENTS = "placements"  # a 9:16 cut for Stories/Reels, another for Feed: asset_feed_spec
    FLEXIBLE = "flexible"  # every video, grouped on the ad: creative_asset_groups_spec
    IMAGE = "image"  # one image: object_story_spec.link_data with its image_hash
    # A 9:16 image for Stories/Reels, another for Feed: asset_feed_spec images with adlabels
    IMAGE_PLACEMENTS = "image_placements"


class Placement(StrEnum):
    """Where a video of a placement pair shows; also its ``adlabels`` name in the creative."""

    VERTICAL = "vertical"  # Stories and Reels
    FEED = "feed"


@dataclass(frozen=True)
class VideoPlan:
    """One video upload of a campaign: ``index`` counts from 1 in file order and keys its
    ``video`` row (``main`` for the first, ``"N"`` after), whichever ad shows it."""

    index: int
    path: Path
    placement: Placement | None = None

    @property
    def key(self) -> str:
        return MAIN if self.index == 1 else str(self.index)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def feed_image_key(ad_key: str) -> str:
    """The key of the image row of an image pair's Feed cut (its 9:16 cut is keyed like the ad,
    as every image ad's image is; ``AdPlan.key``)."""
    return f"{ad_key}-feed"


def group_image_key(number: int) -> str:
    """The key of the image row of a flexible ad's image ``number`` (from 1, in ``images``)."""
    return MAIN if number == 1 else str(number)


@dataclass(frozen=True)
class AdPlan:
    """One ad of a campaign: the videos it shows and the texts it shows.

    ``index`` counts the ads from 1 in file order; it is the ad's local key (``creative:<index>``,
    ``ad:<index>``) and part of its name in Meta. ``videos`` are the uploads it shows, the one its
    creative is made from first (``video_path``): one video, a placement pair (vertical, feed),
    or every video of a flexible ad.
    """

    index: int
    video_path: Path
    primary_text: str
    headline: str
    videos: tuple[VideoPlan, ...] = ()
    format: AdFormat = AdFormat.VIDEO
    # An image ad (``AdFormat.IMAGE``) shows this image and no video (``videos`` stays empty);
    # its ``video_path`` is the same file, the one its creative is made from.
    image_path: Path | None = None
    # The images a flexible ad's asset group shows beside its videos (``spec.images``); their
    # rows are keyed by their place in ``images`` (``group_image_key``).
    group_images: tuple[Path, ...] = ()
    # An image placement pair (``AdFormat.IMAGE_PLACEMENTS``): ``image_path`` is the 9:16 cut
    # for Stories/Reels and this the Feed cut; its row is keyed ``feed_image_key(key)``.
    feed_image: Path | None = None

    def __post_init__(self) -> None:
        if not self.videos and self.image_path is None:  # one video, numbered like its ad
            object.__setattr__(self, "videos", (VideoPlan(self.index, self.video_path),))

    @property
    def asset(self) -> Path:
        """The file this ad's creative is made from first (its video, or its image)."""
        return self.image_path or self.video_path

    @property
    def media_name(self) -> str:
        """The files this ad shows, as a card or the CLI lists them."""
        if self.image_path is not None:
            pair = (self.image_path, self.feed_image) if self.feed_image else (self.image_path,)
            return " + ".join(path.name for path in pair)
        if self.format is AdFormat.FLEXIBLE and len(self.videos) + len(self.group_images) > 1:
            files = [v.path.name for v in self.videos] + [i.name for i in self.group_images]
            counted = f"{len(self.videos)} videos" if len(self.videos) > 1 else "1 video"
            if self.group_images:
                counted += f", {len(self.group_images)} image" + (
                    "s" if len(self.group_images) > 1 else ""
                )
            return f"{counted} ({', '.join(files)})"
        return " + ".join(video.path.name for video in self.videos)

    @property
    def key(self) -> str:
        """The local key of this ad's video, creative and ad rows (``meta_objects.key``).

        The first ad keeps ``main``, the key every campaign used before lists existed, so the
        readers of one ad per campaign (``CampaignRecord.ad_id``, previews, drift, re-apply)
        see the first ad; ad N >= 2 is keyed ``"N"``.
        """
        return MAIN if self.index == 1 else str(self.index)


@dataclass(frozen=True)
class CampaignSpec:
    """Everything needed to create the campaign's Meta objects, already normalised.

    ``video_path``, ``primary_text`` and ``headline`` are the first of their lists; a one-video
    campaign has no ``extra_videos`` and one text of each kind, exactly as before lists existed.
    """

    account_key: str
    name: str
    daily_budget_minor: int
    currency: str
    start_time: datetime  # UTC
    end_time: datetime | None  # UTC
    countries: tuple[str, ...]
    video_path: Path
    primary_text: str
    headline: str
    description: str | None
    link: str
    call_to_action: str
    warnings: tuple[str, ...] = ()
    # The videos after the first (creative_mode ads: one more ad each).
    extra_videos: tuple[Path, ...] = ()
    # Every primary text / headline, the first included; empty means (primary_text,) / (headline,).
    primary_texts: tuple[str, ...] = ()
    headlines: tuple[str, ...] = ()
    creative_mode: str = "ads"
    # (creative name, ad name) of each ad when there are several ads, from its own video.
    ad_names: tuple[tuple[str, str], ...] = ()
    # Placement pairs among ``videos`` (creative_mode ads): (vertical, feed) 1-based indexes.
    placement_pairs: tuple[tuple[int, int], ...] = ()
    # Image ads (creative_mode ads: one more ad each, after the videos' ads).
    images: tuple[Path, ...] = ()
    # Placement pairs among ``images`` (creative_mode ads): (vertical, feed) 1-based indexes.
    image_pairs: tuple[tuple[int, int], ...] = ()
    # A duplicate in its source's ad account: the sha256 of each video (file order, "" when not
    # known), so the pipeline joins the account's upload of those bytes (``shared_videos``)
    # even when the file itself is no longer on this server.
    video_sha256: tuple[str, ...] = ()

    # Filled from the account's naming and creative policy when the request is checked, and kept
    # with the creation: what was approved is what is sent, whatever the accounts file says later.
    names: ObjectNames | None = None  # None: a creation recorded before naming templates
    url_tags: str | None = None
    creative: CreativePolicy = field(default_factory=CreativePolicy)

    @property
    def object_names(self) -> ObjectNames:
        """The names of the four objects (also how a lost create is found again)."""
        return self.names or ObjectNames.legacy(self.name)

    @property
    def final_url(self) -> str:
        """The landing page with the url_tags appended: what a click on the ad opens."""
        return final_url(self.link, self.url_tags)

    def __post_init__(self) -> None:
        # A spec stored before lists existed has only the single values: they are the lists.
        if not self.primary_texts:
            object.__setattr__(self, "primary_texts", (self.primary_text,))
        if not self.headlines:
            object.__setattr__(self, "headlines", (self.headline,))

    @property
    def videos(self) -> tuple[Path, ...]:
        return (self.video_path, *self.extra_videos)

    def known_sha256(self, index: int) -> str | None:
        """The content hash a duplicate carries for video ``index`` (1-based), if any."""
        if 0 < index <= len(self.video_sha256):
            return self.video_sha256[index - 1] or None
        return None

    def uploads(self) -> tuple[VideoPlan, ...]:
        """Every video to upload, in file order, with its place in a placement pair if any."""
        placed: dict[int, Placement] = {}
        for vertical, feed in self.placement_pairs:
            placed[vertical], placed[feed] = Placement.VERTICAL, Placement.FEED
        return tuple(
            VideoPlan(i, path, placed.get(i)) for i, path in enumerate(self.videos, start=1)
        )

    def ads(self) -> tuple[AdPlan, ...]:
        """The ads this campaign makes, in file order.

        creative_mode ``ads``: one ad per video, or per placement pair (at the place of its first
        file); ad N shows text N when there are as many texts as ads, else the one text
        (``build_spec`` refuses any other count). creative_mode ``flexible``: one ad showing every
        video, with every text for Meta to combine.
        """
        uploads = self.uploads()
        if self.creative_mode == "flexible":
            first = uploads[0]
            return (
                AdPlan(
                    index=1,
                    video_path=first.path,
                    primary_text=self.primary_texts[0],
                    headline=self.headlines[0],
                    videos=uploads,
                    format=AdFormat.FLEXIBLE,
                    group_images=self.images,
                ),
            )
        partner = {v: f for v, f in self.placement_pairs} | {f: v for v, f in self.placement_pairs}
        groups: list[tuple[VideoPlan, ...]] = []
        done: set[int] = set()
        for video in uploads:
            if video.index in done:
                continue
            if video.index in partner:
                pair = sorted(
                    (video, uploads[partner[video.index] - 1]),
                    key=lambda v: v.placement is not Placement.VERTICAL,
                )
                groups.append(tuple(pair))
            else:
                groups.append((video,))
            done.update(v.index for v in groups[-1])

        def pick(texts: tuple[str, ...], index: int) -> str:
            return texts[index] if len(texts) > 1 else texts[0]

        video_ads = tuple(
            AdPlan(
                index=i + 1,
                video_path=group[0].path,
                primary_text=pick(self.primary_texts, i),
                headline=pick(self.headlines, i),
                videos=group,
                format=AdFormat.PLACEMENTS if len(group) > 1 else AdFormat.VIDEO,
            )
            for i, group in enumerate(groups)
        )
        # Then one image ad per image or image pair (at the place of its first file), numbered
        # after the videos' ads (keys continuing).
        verticals = {vertical for vertical, _ in self.image_pairs}
        partner_of = {v: f for v, f in self.image_pairs} | {f: v for v, f in self.image_pairs}
        image_groups: list[tuple[Path, Path | None]] = []
        grouped: set[int] = set()
        for number, image in enumerate(self.images, start=1):
            if number in grouped:
                continue
            if number in partner_of:
                other = partner_of[number]
                vertical, feed = (number, other) if number in verticals else (other, number)
                image_groups.append((self.images[vertical - 1], self.images[feed - 1]))
                grouped.add(other)
            else:
                image_groups.append((image, None))
        image_ads = tuple(
            AdPlan(
                index=i + 1,
                video_path=image,
                primary_text=pick(self.primary_texts, i),
                headline=pick(self.headlines, i),
                format=AdFormat.IMAGE if feed is None else AdFormat.IMAGE_PLACEMENTS,
                image_path=image,
                feed_image=feed,
            )
            for i, (image, feed) in enumerate(image_groups, start=len(video_ads))
        )
        return video_ads + image_ads

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["names"] = self.names.as_dict() if self.names else None
        data["creative"] = self.creative.model_dump()
        data["start_time"] = self.start_time.isoformat()
        data["end_time"] = self.end_time.isoformat() if self.end_time else None
        data["video_path"] = str(self.video_path)
        data["extra_videos"] = [str(path) for path in self.extra_videos]
        data["primary_texts"] = list(self.primary_texts)
        data["ad_names"] = [list(pair) for pair in self.ad_names]
        data["placement_pairs"] = [list(pair) for pair in self.placement_pairs]
        data["images"] = [str(path) for path in self.images]
        data["image_pairs"] = [list(pair) for pair in self.image_pairs]
        data["video_sha256"] = list(self.video_sha256)
        data["headlines"] = list(self.headlines)
        data["countries"] = list(self.countries)
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CampaignSpec:
        return cls(
            account_key=data["account_key"],
            name=data["name"],
            daily_budget_minor=int(data["daily_budget_minor"]),
            currency=data["currency"],
            start_time=datetime.fromisoformat(data["start_time"]),
            end_time=datetime.fromisoformat(data["end_time"]) if data.get("end_time") else None,
            countries=tuple(data["countries"]),
            video_path=Path(data["video_path"]),
            primary_text=data["primary_text"],
            headline=data["headline"],
            description=data.get("description"),
            link=data["link"],
            call_to_action=data["call_to_action"],
            warnings=tuple(data.get("warnings", ())),
            names=ObjectNames(**data["names"]) if data.get("names") else None,
            url_tags=data.get("url_tags"),
            creative=CreativePolicy(**data.get("creative") or {}),
            extra_videos=tuple(Path(p) for p in data.get("extra_videos", ())),
            primary_texts=tuple(data.get("primary_texts", ())),
            headlines=tuple(data.get("headlines", ())),
            creative_mode=data.get("creative_mode", "ads"),
            ad_names=tuple((str(c), str(a)) for c, a in data.get("ad_names", ())),
            placement_pairs=tuple((int(v), int(f)) for v, f in data.get("placement_pairs", ())),
            images=tuple(Path(p) for p in data.get("images", ())),
            image_pairs=tuple((int(v), int(f)) for v, f in data.get("image_pairs", ())),
            video_sha256=tuple(str(d) for d in data.get("video_sha256", ())),
        )

    def budget_text(self) -> str:
        return format_minor(self.daily_budget_minor, self.currency)


VideoChecker = Callable[[Path], object]
# Takes the image's path; raises ``ValidationError`` (meta.image.check.check_image).
ImageChecker = Callable[[Path], object]


def build_spec(
    raw: Mapping[str, Any],
    *,
    accounts: AccountRegistry,
    now: datetime,
    base_dir: Path,
    check_video: VideoChecker | None = None,
    budget_floor: FloorSource | None = None,
    check_image: ImageChecker | None = None,
    reused: Mapping[str, str] | None = None,
) -> CampaignSpec:
    """Validate a request; raise ``ValidationError`` listing every bad field at once.

    ``reused`` (a duplicate in its source's ad account) maps a video as the request names it to
    the sha256 of the upload Meta already holds in that account: such a video needs no file here
    (Meta checked and processed it when the source was made).

    ``budget_floor`` gives the account's minimum daily budget: Meta's own figure when the caller
    can read it (``meta.domain.minimum_budgets``), else AdBee's offline estimate, labelled as such.
    """
    problems: list[FieldProblem] = []
    warnings: list[str] = []

    if not isinstance(raw, Mapping):
        raise ValidationError([FieldProblem("file", "expected a mapping of campaign fields")])
    # Half of a UTF-16 pair (from JSON "\ud83d" escapes or broken copy-paste) is not text: it
    # would pass every rule below and then fail to encode in the request to Meta.
    broken = {str(k) for k, v in raw.items() if _has_surrogate(v)}
    for key in sorted(broken):
        problems.append(
            FieldProblem(key, "contains an invalid character (half of an emoji?); retype it")
        )

    def bad(field: str, message: str) -> None:
        if field not in broken:
            problems.append(FieldProblem(field, message))

    unknown = sorted(str(k) for k in raw if k not in FILE_FIELDS)
    for key in unknown:
        bad(key, f"unknown field; expected one of: {', '.join(FILE_FIELDS)}")

    account = _account(raw.get("account"), accounts, bad)
    name = _text(raw, "name", bad, required=True, warnings=warnings)
    mode = _creative_mode(raw.get("creative_mode"), bad)
    primary_texts = _texts(raw, "primary_text", "primary_texts", bad, warnings)
    headlines = _texts(raw, "headline", "headlines", bad, warnings)
    description = _text(raw, "description", bad, required=False, warnings=warnings)
    link = _link(raw.get("link"), bad)
    cta = _cta(raw.get("call_to_action"), bad)
    countries = _countries(raw.get("countries"), account, bad)
    budget = _budget(
        raw.get("daily_budget"), account, bad, budget_floor or offline_floors(_NOT_ASKED)
    )
    start, end = _schedule(raw.get("start_time"), raw.get("end_time"), account, now, bad)
    measured: dict[Path, object] = {}
    if raw.get("images") and raw.get("video") in (None, "") and raw.get("videos") in (None, []):
        bad(
            "video",
            "required: image ads go beside at least one video for now (a campaign of images "
            "only is not supported yet); add video or videos",
        )
        videos: list[Path] = []
    else:
        videos = _videos(raw, base_dir, check_video, bad, warnings, measured, reused or {})
    images = _images(raw.get("images"), base_dir, check_image, bad, warnings, measured)
    pairs = _placement_pairs(videos, measured, bad, pair=mode == "ads")
    image_pairs = _placement_pairs(images or [], measured, bad, pair=mode == "ads", field="images")
    warnings.extend(_feed_crops(images or [], image_pairs, measured))
    media = len(videos) + len(images or ())
    if mode == "flexible" and media > MAX_FLEXIBLE_MEDIA:
        what = _count(len(videos), "video") + (
            f" and {_count(len(images), 'image')}" if images else ""
        )
        bad(
            "images" if images and len(videos) <= MAX_FLEXIBLE_MEDIA else "videos",
            f"{what} in one flexible ad; AdBee sends at most {MAX_FLEXIBLE_MEDIA} "
            "(Meta's limit of assets per ad)",
        )
    if mode == "ads" and videos and images is not None:
        ads = len(videos) - len(pairs) + len(images) - len(image_pairs)
        if images and ads > MAX_ADS_PER_ADSET:
            bad(
                "images",
                f"{len(videos)} videos and {len(images)} images make {ads} ads; Meta allows "
                f"at most {MAX_ADS_PER_ADSET} ads per ad set",
            )
        for field, texts in (("primary_texts", primary_texts), ("headlines", headlines)):
            if texts and len(texts) not in (1, ads):
                if images:
                    what, counted = "ad", f"ads ({len(videos)} videos, {len(images)} images)"
                elif pairs or image_pairs:
                    what, counted = "ad (one per video or placement pair)", "ads"
                else:
                    what, counted = "video", "videos"
                bad(
                    field,
                    f"{len(texts)} texts for {ads} {counted}; with creative_mode ads give one "
                    f"(every ad shows it) or one per {what}: ad N shows text N",
                )

    tags_override = _url_tags_override(raw.get("url_tags"), bad)

    if problems:
        raise ValidationError(problems)
    assert account is not None and budget is not None and start is not None and videos
    values = template_values(
        account_key=account.key,
        name=name or "",
        countries=countries,
        start_local=start.astimezone(zone(account.timezone)),
        budget_major=Decimal(budget) / offset(account.currency),
        currency=account.currency,
        video_stem=videos[0].stem,
    )
    # The ads, before their names: one per video or placement pair, or one flexible ad.
    plans = CampaignSpec(
        account_key=account.key,
        name="",
        daily_budget_minor=0,
        currency=account.currency,
        start_time=start,
        end_time=None,
        countries=(),
        video_path=videos[0],
        primary_text=primary_texts[0],
        headline=headlines[0],
        description=None,
        link="",
        call_to_action="",
        extra_videos=tuple(videos[1:]),
        creative_mode=mode or "ads",
        placement_pairs=pairs,
        images=tuple(images or ()),
        image_pairs=image_pairs,
    ).ads()
    try:
        names = fill_names(account.naming, values)
        # Several ads: each ad's creative and ad are named from its own video ({video}; a
        # placement pair by the stem its two files share).
        ad_names = tuple(
            (each.creative, each.ad)
            for each in (
                fill_names(account.naming, {**values, **_video_values(values, plan.video_path)})
                for plan in plans
            )
        )
    except TemplateError as exc:
        raise ValidationError([FieldProblem("name", f"{exc} (naming of {account.key})")]) from None
    tags_template = tags_override or account.creative.url_tags
    url_tags = None
    if tags_template:
        try:
            url_tags = fill_url_tags(tags_template, values, names)
        except TemplateError as exc:
            raise ValidationError([FieldProblem("url_tags", str(exc))]) from None
        landing = final_url(link or "", url_tags)
        if len(landing) > MAX_URL_LENGTH:
            raise ValidationError(
                [
                    FieldProblem(
                        "url_tags",
                        f"the link with its url_tags is {len(landing)} characters; Meta allows "
                        f"at most {MAX_URL_LENGTH}",
                    )
                ]
            )
    return CampaignSpec(
        account_key=account.key,
        name=name or "",
        daily_budget_minor=budget,
        currency=account.currency,
        start_time=start,
        end_time=end,
        countries=tuple(countries),
        video_path=videos[0],
        primary_text=primary_texts[0],
        headline=headlines[0],
        description=description or None,
        link=link or "",
        call_to_action=cta or "",
        warnings=tuple(warnings),
        names=names,
        url_tags=url_tags,
        creative=account.creative,
        extra_videos=tuple(videos[1:]),
        ad_names=ad_names if len(plans) > 1 else (),
        primary_texts=tuple(primary_texts),
        headlines=tuple(headlines),
        creative_mode=mode or "ads",
        placement_pairs=pairs,
        images=tuple(images or ()),
        image_pairs=image_pairs,
        video_sha256=tuple((reused or {}).get(str(v), "") for v in videos) if reused else (),
    )


Bad = Callable[[str, str], None]
_NOT_ASKED = "this check does not contact Meta"


def _account(value: object, accounts: AccountRegistry, bad: Bad) -> AccountConfig | None:
    if value in (None, ""):
        bad("account", f"required; one of: {', '.join(accounts.keys())}")
        return None
    account = accounts.get(str(value))
    if account is None:
        bad(
            "account",
            f"unknown account {str(value)[:60]!r}; configured: {', '.join(accounts.keys())}",
        )
    return account


def _text(
    raw: Mapping[str, Any], field: str, bad: Bad, *, required: bool, warnings: list[str]
) -> str | None:
    return _one_text(raw.get(field), field, field, bad, required=required, warnings=warnings)


def _one_text(
    value: object,
    field: str,
    kind: str,
    bad: Bad,
    *,
    required: bool,
    warnings: list[str],
    label: str = "",
) -> str | None:
    """One text checked against the limits of ``kind``; ``label`` names a list item ("text 2 ")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            bad(field, f"{label}required" if not label else f"{label}is empty")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        bad(field, f"{label}must be text")
        return None
    text = str(value).strip()
    if _CONTROL_CHARS.search(text):
        bad(field, f"{label}contains control characters; remove them")
        return None
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        bad(field, f"{label}is {len(text)} characters; Meta allows at most {limit}")
        return None
    recommended = TEXT_RECOMMENDED.get(kind)
    if recommended and len(text) > recommended:
        warnings.append(
            f"{field} {label}is {len(text)} characters; Meta shows about {recommended} before "
            "truncating"
        )
    return text


def _texts(
    raw: Mapping[str, Any], single: str, plural: str, bad: Bad, warnings: list[str]
) -> list[str]:
    """``primary_text``/``primary_texts`` (or the headline pair): one of the two, never both."""
    if raw.get(plural) is None:
        text = _one_text(raw.get(single), single, single, bad, required=True, warnings=warnings)
        return [text] if text is not None else []
    if raw.get(single) is not None:
        bad(plural, f"give either {single} or {plural}, not both")
        return []
    value = raw[plural]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        bad(plural, f'a list of 1 to {MAX_TEXTS} texts, e.g. ["First text", "Second text"]')
        return []
    if len(value) > MAX_TEXTS:
        bad(plural, f"{len(value)} texts; Meta allows at most {MAX_TEXTS}")
        return []
    texts: list[str] = []
    for number, item in enumerate(value, start=1):
        label = f"text {number} " if len(value) > 1 else ""
        text = _one_text(item, plural, single, bad, required=True, warnings=warnings, label=label)
        if text is None:
            return []
        if text in texts:
            bad(plural, f"text {number} repeats text {texts.index(text) + 1}")
            return []
        texts.append(text)
    return texts


def _creative_mode(value: object, bad: Bad) -> str | None:
    if value in (None, ""):
        return "ads"
    mode = str(value).strip().lower()
    if mode not in CREATIVE_MODES:
        bad(
            "creative_mode",
            f"unknown mode {str(value)[:40]!r}; one of: {', '.join(CREATIVE_MODES)}",
        )
        return None
    return mode


def _link(value: object, bad: Bad) -> str | None:
    if not value or not isinstance(value, str):
        bad("link", "required: the landing page URL, e.g. https://shop.example.com/product")
        return None
    link = value.strip()
    if len(link) > MAX_URL_LENGTH:
        bad("link", f"is {len(link)} characters; Meta allows at most {MAX_URL_LENGTH}")
        return None
    parts = urlsplit(link)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in link)
    ):
        bad("link", f"{link[:80]!r} is not a web address; it must start with https://")
        return None
    host = parts.hostname
    if (
        "." not in host
        or host.endswith(".")
        or host in ("localhost",)
        or host.replace(".", "").isdigit()
    ):
        bad("link", f"{host!r} is not a public website domain")
        return None
    return link


def _url_tags_override(value: object, bad: Bad) -> str | None:
    """A campaign's own url_tags (campaign file or modal), in place of the account's."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        bad("url_tags", "must be text, e.g. utm_source=meta&utm_campaign={campaign}")
        return None
    try:
        check_template(value.strip(), URL_TAG_TOKENS)
    except TemplateError as exc:
        bad("url_tags", str(exc))
        return None
    return value.strip()


def _cta(value: object, bad: Bad) -> str | None:
    if not value:
        bad("call_to_action", f"required; one of: {', '.join(CTA_TYPES)}")
        return None
    cta = str(value).strip().upper().replace(" ", "_")
    if cta not in CTA_TYPES:
        bad(
            "call_to_action",
            f"unknown call to action {str(value)[:40]!r}; one of: {', '.join(CTA_TYPES)}",
        )
        return None
    return cta


def _countries(value: object, account: AccountConfig | None, bad: Bad) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not value or not isinstance(value, list):
        bad("countries", "required: a list of two-letter country codes, e.g. [SG, MY]")
        return []
    codes: list[str] = []
    for item in value:
        code = str(item).strip().upper()
        if code not in COUNTRY_CODES:
            bad("countries", f"{str(item)[:20]!r} is not a two-letter country code (ISO 3166)")
            return []
        if code not in codes:
            codes.append(code)
    if account is not None:
        for problem in missing_declarations(account.regulation, codes, account.key):
            bad("countries", problem)
    return codes


def _budget(
    value: object, account: AccountConfig | None, bad: Bad, floors: FloorSource
) -> int | None:
    if value is None or value == "":
        bad("daily_budget", "required: the daily budget in the account currency, e.g. 50")
        return None
    if account is None:
        return None
    currency = account.currency
    try:
        amount = parse_amount(value)
        minor = to_minor(amount, currency)
    except MoneyError as exc:
        bad("daily_budget", str(exc))
        return None
    if account.max_daily_budget is not None:
        cap = to_minor(account.max_daily_budget, currency)
        if minor > cap:
            bad(
                "daily_budget",
                f"{format_minor(minor, currency)} is above this account's limit of "
                f"{format_minor(cap, currency)} per day (max_daily_budget in the accounts file)",
            )
            return None
    # Last, so a budget the account's own limit refuses costs no read of Meta's figure.
    floor = floors(account)
    if minor < floor.minor:
        bad("daily_budget", floor.refusal(minor))
        return None
    return minor


def _schedule(
    start_value: object,
    end_value: object,
    account: AccountConfig | None,
    now: datetime,
    bad: Bad,
) -> tuple[datetime | None, datetime | None]:
    if start_value in (None, ""):
        bad("start_time", "required, e.g. 2026-12-03 20:00 (account timezone)")
        return None, None
    if account is None:
        return None, None
    tz = account.timezone
    try:
        start = parse_local_time(start_value, tz)
    except TimeParseError as exc:
        bad("start_time", str(exc))
        return None, None
    if start < now + MIN_LEAD_TIME:
        bad(
            "start_time",
            f"{format_local(start, tz)} is in the past; pick a time after {format_local(now, tz)}",
        )
        return None, None
    end = None
    if end_value not in (None, ""):
        try:
            end = parse_local_time(end_value, tz)
        except TimeParseError as exc:
            bad("end_time", str(exc))
            return start, None
        if end < start + MIN_SCHEDULE:
            bad("end_time", "must be at least 24 hours after the start time for a daily budget")
            return start, None
    return start, end


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATES.search(value))
    if isinstance(value, list | tuple):  # one level: lists of countries; nothing nests deeper
        return any(isinstance(item, str) and _SURROGATES.search(item) for item in value)
    return False


def _videos(
    raw: Mapping[str, Any],
    base_dir: Path,
    check_video: VideoChecker | None,
    bad: Bad,
    warnings: list[str],
    measured: dict[Path, object],
    reused: Mapping[str, str],
) -> list[Path]:
    """``video`` or ``videos`` (never both): every file found and checked, none twice; what the
    check measured of each file goes in ``measured``."""
    if raw.get("videos") is None:
        video = _video(
            raw.get("video"), "video", base_dir, check_video, bad, warnings, measured, reused=reused
        )
        return [video] if video is not None else []
    if raw.get("video") is not None:
        bad("videos", "give either video or videos, not both")
        return []
    value = raw["videos"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        bad("videos", "a list of video files, e.g. [creatives/a.mp4, creatives/b.mp4]")
        return []
    if len(value) > MAX_ADS_PER_ADSET:
        bad(
            "videos",
            f"{len(value)} videos make {len(value)} ads; Meta allows at most "
            f"{MAX_ADS_PER_ADSET} ads per ad set",
        )
        return []
    paths: list[Path] = []
    for number, item in enumerate(value, start=1):
        label = f"video {number}: " if len(value) > 1 else ""
        path = _video(
            item,
            "videos",
            base_dir,
            check_video,
            bad,
            warnings,
            measured,
            label=label,
            reused=reused,
        )
        if path is None:
            continue
        if path in paths:
            bad("videos", f"{label}{path.name} is listed twice (video {paths.index(path) + 1})")
            continue
        paths.append(path)
    return paths if len(paths) == len(value) else []


def _video(
    value: object,
    field: str,
    base_dir: Path,
    check_video: VideoChecker | None,
    bad: Bad,
    warnings: list[str],
    measured: dict[Path, object],
    *,
    label: str = "",
    reused: Mapping[str, str] | None = None,
) -> Path | None:
    if not value or not isinstance(value, str | Path):
        bad(field, f"{label}required: the path of the video file, e.g. creatives/launch.mp4")
        return None
    if reused and str(value) in reused and not Path(value).is_file():
        return Path(value)  # already in Meta, in this ad account (a duplicate): nothing to check
    path = _file(value, field, base_dir, bad, label)
    if path is None:
        return None
    if check_video is not None:
        try:
            info = check_video(path)
        except ValidationError as exc:
            for problem in exc.problems:
                bad(field, f"{label}{problem.message}")
            return None
        warnings.extend(getattr(info, "warnings", ()) or ())
        measured[path] = info
    return path


def _images(
    value: object,
    base_dir: Path,
    check_image: ImageChecker | None,
    bad: Bad,
    warnings: list[str],
    measured: dict[Path, object],
) -> list[Path] | None:
    """``images``: a list of image files, every one found, checked by content and listed once
    (None when one of them is refused). Each makes one image ad after the videos' ads (an image
    placement pair one ad); ``measured`` keeps each check's answer (its width and height)."""
    if value in (None, "", []):
        return []
    if isinstance(value, str | Path):
        value = [value]
    if not isinstance(value, list):
        bad("images", "a list of image files, e.g. [creatives/hero.jpg, creatives/story.png]")
        return None
    paths: list[Path] = []
    for number, item in enumerate(value, start=1):
        label = f"image {number}: " if len(value) > 1 else ""
        if not item or not isinstance(item, str | Path):
            bad("images", f"{label}required: the path of an image file, e.g. creatives/hero.jpg")
            continue
        path = _file(item, "images", base_dir, bad, label)
        if path is None:
            continue
        if path in paths:
            bad("images", f"{label}{path.name} is listed twice (image {paths.index(path) + 1})")
            continue
        if check_image is not None:
            try:
                info = check_image(path)
            except ValidationError as exc:
                for problem in exc.problems:
                    bad("images", f"{label}{problem.message}")
                continue
            crop = getattr(info, "feed_crop", None)  # said once the pairs are known
            warnings.extend(w for w in getattr(info, "warnings", ()) or () if w != crop)
            measured[path] = info
        paths.append(path)
    return paths if len(paths) == len(value) else None


def _feed_crops(
    images: list[Path], pairs: tuple[tuple[int, int], ...], measured: Mapping[Path, object]
) -> list[str]:
    """The image check's Feed crop notes, except for a placement pair's 9:16 cut: it shows only
    in Stories and Reels, where it fits whole, and Feed shows the pair's 4:5 or 1:1 image."""
    verticals = {vertical for vertical, _feed in pairs}
    return [
        str(crop)
        for number, path in enumerate(images, start=1)
        if number not in verticals and (crop := getattr(measured.get(path), "feed_crop", None))
    ]


def _file(value: str | Path, field: str, base_dir: Path, bad: Bad, label: str) -> Path | None:
    """A file named in the campaign (relative to ``base_dir``), or None after saying why not."""
    shown = str(value)[:200]
    try:
        path = Path(value)
        if not path.is_absolute():
            path = (base_dir / path).resolve()
        found = path.is_file()
    except (OSError, ValueError):  # NUL bytes, names longer than the filesystem allows
        bad(field, f"{label}not a usable file path: {shown!r}")
        return None
    if not found:
        bad(field, f"{label}file not found: {shown}")
        return None
    return path


def _video_values(values: Mapping[str, Any], video: Path) -> dict[str, Any]:
    """The template values that depend on the video, for one ad of several (a placement pair's
    ``{video}`` is the stem its files share: ``launch`` for launch_9x16.mp4 and launch_4x5.mp4)."""
    named = _RATIO_SUFFIX.match(video.stem)
    stem = named["stem"] if named else video.stem
    return {key: stem for key in ("video",) if key in values}


def _placement_pairs(
    videos: list[Path],
    measured: Mapping[Path, object],
    bad: Bad,
    *,
    pair: bool,
    field: str = "videos",
) -> tuple[tuple[int, int], ...]:
    """The placement pairs among ``videos`` (or the images of ``field`` ``images``): (vertical,
    feed) 1-based indexes.

    Every file named ``<stem>_9x16``/``_4x5``/``_1x1`` must measure that ratio (the video check's
    displayed width and height, or the image check's after its EXIF rotation). With ``pair`` (creative_mode ads), each ``_9x16`` needs exactly
    one Feed cut of the same stem (``_4x5`` or ``_1x1``) and each Feed cut its ``_9x16``;
    a flexible ad shows every video and leaves placements to Meta, so nothing is paired there.
    """
    named: dict[str, dict[str, int]] = {}
    for index, path in enumerate(videos, start=1):
        match = _RATIO_SUFFIX.match(path.stem)
        if match is None:
            continue
        ratio = match["ratio"].lower()
        info = measured.get(path)
        width, height = getattr(info, "width", 0), getattr(info, "height", 0)
        if width and height:
            actual = Fraction(width, height)
            wanted = PLACEMENT_RATIOS[ratio]
            if abs(actual - wanted) > wanted * _RATIO_TOLERANCE:
                bad(
                    field,
                    f"{path.name} is named {ratio.replace('x', ':')} but measures "
                    f"{width}x{height}; rename it or export a {ratio.replace('x', ':')} cut",
                )
                continue
        stem = match["stem"].lower()
        if ratio in named.setdefault(stem, {}):
            bad(field, f"{path.name}: two {ratio.replace('x', ':')} cuts of {match['stem']}")
            continue
        named[stem][ratio] = index
    if not pair:
        return ()
    pairs: list[tuple[int, int]] = []
    for stem, cuts in named.items():
        feeds = sorted(r for r in cuts if r != VERTICAL_RATIO)
        shown = videos[next(iter(cuts.values())) - 1].name
        if VERTICAL_RATIO not in cuts:
            bad(
                field,
                f"{shown} has no {stem}_9x16 beside it: a placement pair is a 9:16 cut for "
                "Stories and Reels and a 4:5 or 1:1 cut for Feed",
            )
        elif not feeds:
            bad(
                field,
                f"{shown} has no {stem}_4x5 or {stem}_1x1 beside it: a placement pair needs "
                "a Feed cut too",
            )
        elif len(feeds) > 1:
            bad(
                field,
                f"{stem} has both a 4:5 and a 1:1 cut; a placement pair takes one Feed cut",
            )
        else:
            pairs.append((cuts[VERTICAL_RATIO], cuts[feeds[0]]))
    return tuple(sorted(pairs, key=min))
