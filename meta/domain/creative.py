"""Per-account creative policy and object naming (``creative:`` and ``naming:`` in accounts.yaml).

What an approver approves must be what Meta runs. Since v22 Meta applies each Advantage+
creative enhancement (AI variations, music, text rewrites, crops, translations, ...) unless the
creative opts out of it by name, enrols ads in multi-advertiser ads unless told otherwise (since
2024-08-19), and transforms formats by default; so the policy is explicit and the default opts
out of all of it. See docs/creative-controls.md for each setting and its source.

The list of feature names is the SDK's (``meta.graph.client.creative_feature_names``); this
module is pure and takes that list as an argument where it needs it.

Naming and ``url_tags`` are small templates: ``{token}`` or ``{token:format}``, e.g.
``{start:%Y%m%d}``. In ``url_tags`` each filled value is URL-encoded, and a doubled brace pair
such as ``{{campaign.name}}`` is passed through untouched: that is Meta's own dynamic URL
parameter syntax, which Meta fills at click time.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

ENROLL_STATUSES = ("OPT_IN", "OPT_OUT")
ENHANCEMENT_MODES = ("opt_out", "meta_defaults")
# Tokens of the naming templates (issue 13's contract) and, for url_tags, the filled names too.
NAME_TOKENS = ("account", "name", "countries", "start", "budget", "currency", "video", "n")
URL_TAG_TOKENS = (*NAME_TOKENS, "campaign", "adset", "ad")
# Which filled names each template may use: a name may build on the ones made before it.
TEMPLATE_TOKENS: dict[str, tuple[str, ...]] = {
    "campaign": NAME_TOKENS,
    "adset": (*NAME_TOKENS, "campaign"),
    "ad": (*NAME_TOKENS, "campaign", "adset"),
}
# Meta's limit on campaign, ad set and ad names (Marketing API ad set reference: "name ...
# <= 400 chars"; meta-api.md §1.4). AdBee holds the creative's name to the same.
NAME_LIMIT = 400
# Meta's limit on a link (Ad Creative reference: URL <= 1000 characters); the final URL is the
# link with the url_tags appended, which is what people's browsers open.
URL_LIMIT = 1000
# Bundles rather than features: Meta refuses ``standard_enhancements`` since v22 (100/3858504;
# Advantage+ creative guide) and wants each feature named instead.
BUNDLES = ("standard_enhancements", "standard_enhancements_catalog")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class TemplateError(ValueError):
    """A naming or url_tags template that cannot be filled; the message names the fix."""


class CreativePolicy(BaseModel):
    """``creative:`` of one account: the Advantage+ choices every creative of it carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enhancements: str | dict[str, str] = "opt_out"
    multi_advertiser_ads: bool = False
    url_tags: str | None = None

    @field_validator("enhancements", mode="before")
    @classmethod
    def _enhancements(cls, value: object) -> object:
        if isinstance(value, str):
            if value not in ENHANCEMENT_MODES:
                raise ValueError(
                    f"{value!r} is not a policy; use opt_out, meta_defaults or a mapping "
                    "{feature_name: OPT_IN|OPT_OUT}"
                )
            return value
        if not isinstance(value, Mapping) or not value:
            raise ValueError(
                "use opt_out, meta_defaults or a mapping {feature_name: OPT_IN|OPT_OUT}"
            )
        choices: dict[str, str] = {}
        for name, status in value.items():
            text = str(status).upper() if isinstance(status, str) else status
            if text not in ENROLL_STATUSES:
                raise ValueError(f"{name}: {status!r} must be OPT_IN or OPT_OUT")
            choices[str(name)] = str(text)
        return choices

    @field_validator("url_tags")
    @classmethod
    def _url_tags(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        check_template(value, URL_TAG_TOKENS)
        return value.strip()


class Naming(BaseModel):
    """``naming:`` of one account. The defaults are the names AdBee always gave its objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign: str = "{name}"
    adset: str = "{campaign} - ad set"
    ad: str = "{campaign} - ad"

    @model_validator(mode="after")
    def _tokens(self) -> Naming:
        for key, tokens in TEMPLATE_TOKENS.items():
            try:
                check_template(getattr(self, key), tokens)
            except TemplateError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return self


@dataclass(frozen=True)
class ObjectNames:
    """The names the four Meta objects get, filled once when the request is checked."""

    campaign: str
    adset: str
    creative: str
    ad: str

    def as_dict(self) -> dict[str, str]:
        return {
            "campaign": self.campaign,
            "adset": self.adset,
            "creative": self.creative,
            "ad": self.ad,
        }

    @classmethod
    def legacy(cls, name: str) -> ObjectNames:
        """The names of creations recorded before naming templates existed."""
        return cls(name, f"{name} - ad set", f"{name} - creative", f"{name} - ad")


# ---------------------------------------------------------------------------- templates
def _parse(template: str) -> list[tuple[str, str | None, str]]:
    """(literal, token or None, format) pieces; ``TemplateError`` for a malformed template."""
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(
            f"{template!r}: {exc} (write a literal brace as {{{{ or }}}})"
        ) from None
    out: list[tuple[str, str | None, str]] = []
    for literal, field, spec, conversion in pieces:
        if field is not None and (conversion or "{" in (spec or "")):
            raise TemplateError(f"{template!r}: write tokens as {{token}} or {{token:format}}")
        out.append((literal, field, spec or ""))
    return out


def check_template(template: str, tokens: Collection[str]) -> None:
    """Refuse unknown tokens, listing the valid ones."""
    for _literal, field, _spec in _parse(template):
        if field is not None and field not in tokens:
            shown = field or "{}"
            raise TemplateError(
                f"unknown token {{{shown}}} in {template!r}; valid tokens: "
                + ", ".join(f"{{{t}}}" for t in tokens)
            )


def fill(template: str, values: Mapping[str, Any], *, url: bool = False) -> str:
    """Fill a template. ``url`` encodes each value and keeps Meta's ``{{...}}`` macros."""
    check_template(template, tuple(values))
    parts: list[str] = []
    for literal, field, spec in _parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}") if url else literal)
        if field is None:
            continue
        try:
            text = format(values[field], spec)
        except (ValueError, TypeError) as exc:
            raise TemplateError(f"{{{field}:{spec}}} in {template!r}: {exc}") from None
        parts.append(quote(text, safe="") if url else text)
    return "".join(parts)


def template_values(
    *,
    account_key: str,
    name: str,
    countries: Collection[str],
    start_local: datetime,
    budget_major: Decimal,
    currency: str,
    video_stem: str,
    n: int = 1,
) -> dict[str, Any]:
    """The naming tokens. ``start`` is a datetime in the account's zone (so ``%Y%m%d`` is the
    local date); ``budget`` is in major units as typed, e.g. 50 or 49.90; ``n`` numbers the ad
    within its campaign (1 while a campaign has one ad)."""
    return {
        "account": account_key,
        "name": name,
        "countries": ",".join(countries),
        "start": start_local,
        "budget": budget_major,
        "currency": currency,
        "video": video_stem,
        "n": n,
    }


def fill_names(naming: Naming, values: Mapping[str, Any]) -> ObjectNames:
    """The four names, each within Meta's limit; ``TemplateError`` names the one that is not."""
    campaign = _name("campaign", naming.campaign, values)
    adset = _name("adset", naming.adset, {**values, "campaign": campaign})
    ad = _name("ad", naming.ad, {**values, "campaign": campaign, "adset": adset})
    # AdBee's own name for the creative, not a template: cut to fit rather than refused.
    suffix = " - creative"
    creative = campaign[: NAME_LIMIT - len(suffix)] + suffix
    return ObjectNames(campaign=campaign, adset=adset, creative=creative, ad=ad)


def _name(kind: str, template: str, values: Mapping[str, Any]) -> str:
    text = " ".join(fill(template, values).split())  # Meta shows names on one line
    if not text:
        raise TemplateError(f"the {kind} name from {template!r} is empty")
    if _CONTROL_CHARS.search(text):
        raise TemplateError(f"the {kind} name from {template!r} contains control characters")
    if len(text) > NAME_LIMIT:
        raise TemplateError(
            f"the {kind} name from {template!r} is {len(text)} characters; Meta allows at most "
            f"{NAME_LIMIT}: shorten the name or the naming template"
        )
    return text


def fill_url_tags(template: str, values: Mapping[str, Any], names: ObjectNames) -> str:
    """The creative's ``url_tags``: query parameters Meta appends to the link at click time."""
    tags = fill(
        template,
        {**values, "campaign": names.campaign, "adset": names.adset, "ad": names.ad},
        url=True,
    ).lstrip("?&")
    if any(c.isspace() for c in tags) or "#" in tags:
        raise TemplateError(f"{template!r} has a space or '#'; url_tags are key=value&key=value")
    for pair in tags.split("&"):
        if pair and ("=" not in pair or pair.startswith("=")):
            raise TemplateError(f"{pair!r} in url_tags is not key=value")
    return tags


def final_url(link: str, url_tags: str | None) -> str:
    """The address people land on: the link with the url_tags appended."""
    if not url_tags:
        return link
    return f"{link}{'&' if '?' in link else '?'}{url_tags}"


# ---------------------------------------------------------------------------- enhancements
def unknown_features(enhancements: str | Mapping[str, str], known: Collection[str]) -> str | None:
    """The refusal for feature names this API version does not know, listing the valid ones."""
    if isinstance(enhancements, str):
        return None
    bundles = sorted(name for name in enhancements if name in BUNDLES)
    if bundles:
        return (
            f"{', '.join(bundles)} is a bundle Meta refuses since v22; name the features "
            f"instead: {', '.join(sorted(known))}"
        )
    unknown = sorted(name for name in enhancements if name not in known)
    if not unknown:
        return None
    return (
        f"unknown creative feature(s) {', '.join(unknown)}; this API version knows: "
        + ", ".join(sorted(known))
    )


def feature_choices(
    enhancements: str | Mapping[str, str], known: Collection[str]
) -> dict[str, str] | None:
    """``{feature: OPT_IN|OPT_OUT}`` to send, or None to send nothing (``meta_defaults``).

    ``opt_out`` names every feature the API version knows; a mapping names its own and opts
    out of every other, so a feature Meta adds in a new version starts opted out too.
    """
    if enhancements == "meta_defaults":
        return None
    features = sorted(name for name in known if name not in BUNDLES)
    chosen = dict(enhancements) if isinstance(enhancements, Mapping) else {}
    return {name: chosen.get(name, "OPT_OUT") for name in features}


def describe_policy(policy: CreativePolicy, known: Collection[str]) -> list[tuple[str, str]]:
    """(choice, what AdBee sends) lines for people: the CLI's validate and the approval card."""
    features = feature_choices(policy.enhancements, known)
    if features is None:
        enhancements = "Meta's defaults (nothing sent: Meta decides which features apply)"
        formats = "Meta's defaults (nothing sent)"
    else:
        opted_in = sorted(name for name, status in features.items() if status == "OPT_IN")
        if opted_in:
            enhancements = (
                f"{len(opted_in)} opted in ({', '.join(opted_in)}), "
                f"the other {len(features) - len(opted_in)} opted out"
            )
        else:
            enhancements = f"all {len(features)} opted out"
        formats = "opted out"
    multi = "on (OPT_IN)" if policy.multi_advertiser_ads else "off (OPT_OUT)"
    return [
        ("Advantage+ creative enhancements", enhancements),
        ("Format transformations", formats),
        ("Multi-advertiser ads", multi),
    ]
