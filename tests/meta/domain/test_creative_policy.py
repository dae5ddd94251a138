"""Naming and url_tags templating, and the creative policy of an account (meta.domain.creative)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from meta.domain.accounts import AccountsFileError, load_accounts
from meta.domain.creative import (
    NAME_LIMIT,
    CreativePolicy,
    Naming,
    ObjectNames,
    TemplateError,
    describe_policy,
    feature_choices,
    fill,
    fill_names,
    fill_url_tags,
    final_url,
    template_values,
    unknown_features,
)
from meta.domain.errors import ValidationError
from meta.domain.spec import CampaignSpec, build_spec
from meta.domain.times import zone

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
KNOWN = ("audio", "music_generation", "text_generation", "video_auto_crop")


def values(**over: object) -> dict[str, object]:
    base = template_values(
        account_key="iflytek-sg",
        name="AINOTE2 launch",
        countries=["SG", "MY"],
        start_local=datetime(2026, 12, 3, 20, 0, tzinfo=zone("Asia/Singapore")),
        budget_major=Decimal("49.90"),
        currency="SGD",
        video_stem="ainote2",
    )
    return {**base, **over}


# ------------------------------------------------------------------------------- tokens
def test_every_token_fills() -> None:
    template = "{account}/{name}/{countries}/{start:%Y%m%d}/{budget}/{currency}/{video}/{n:02d}"
    assert (
        fill(template, values()) == "iflytek-sg/AINOTE2 launch/SG,MY/20261203/49.90/SGD/ainote2/01"
    )


def test_the_start_date_is_the_accounts_local_date() -> None:
    # 20:00 in Singapore on the 3rd is 12:00 UTC: still the 3rd; 02:00 local on the 4th is the
    # 3rd in UTC, and the name must say the 4th, as the team sees it.
    early = datetime(2026, 12, 4, 2, 0, tzinfo=zone("Asia/Singapore"))
    assert fill("{start:%Y%m%d}", values(start=early)) == "20261204"


def test_unknown_tokens_are_refused_with_the_valid_ones_listed() -> None:
    with pytest.raises(ValueError) as caught:
        Naming(campaign="{account}_{client}")
    message = str(caught.value)
    assert "unknown token {client}" in message
    for token in ("account", "name", "countries", "start", "budget", "currency", "video", "n"):
        assert f"{{{token}}}" in message
    # The ad set may use the campaign's name; the campaign may not use its own.
    assert Naming(adset="{campaign} | {countries}").adset == "{campaign} | {countries}"
    with pytest.raises(ValueError, match=r"unknown token \{campaign\}"):
        Naming(campaign="{campaign}")


@pytest.mark.parametrize(
    "template",
    ["{name!r}", "{name.upper}", "{name[0]}", "{}", "{name", "name}", "{start:{n}}"],
)
def test_malformed_templates_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        fill(template, values())


def test_a_bad_format_is_refused_naming_the_token() -> None:
    with pytest.raises(TemplateError, match=r"\{n:%Y\}"):
        fill("{n:%Y}", values())


def test_literal_braces_are_written_doubled() -> None:
    assert fill("{{draft}} {name}", values()) == "{draft} AINOTE2 launch"


# ------------------------------------------------------------------------------- names
def test_names_build_on_each_other_and_the_creative_follows_the_campaign() -> None:
    naming = Naming(
        campaign="{account}_{name}_{start:%Y%m%d}",
        adset="{campaign} | {countries}",
        ad="{campaign} | {video}",
    )
    names = fill_names(naming, values())
    assert names == ObjectNames(
        campaign="iflytek-sg_AINOTE2 launch_20261203",
        adset="iflytek-sg_AINOTE2 launch_20261203 | SG,MY",
        creative="iflytek-sg_AINOTE2 launch_20261203 - creative",
        ad="iflytek-sg_AINOTE2 launch_20261203 | ainote2",
    )


def test_the_default_naming_is_the_names_adbee_always_gave() -> None:
    assert fill_names(Naming(), values()) == ObjectNames.legacy("AINOTE2 launch")


def test_metas_name_limit() -> None:
    at_limit = "x" * (NAME_LIMIT - len("_SGD"))
    naming = Naming(campaign="{name}_{currency}", adset="{n}", ad="{n}")
    names = fill_names(naming, values(name=at_limit))
    assert len(names.campaign) == NAME_LIMIT
    assert len(names.creative) == NAME_LIMIT and names.creative.endswith(" - creative")
    with pytest.raises(TemplateError, match=f"401 characters; Meta allows at most {NAME_LIMIT}"):
        fill_names(naming, values(name=at_limit + "x"))
    # The ad set adds to the campaign's name: its own limit is checked too.
    with pytest.raises(TemplateError, match="the adset name"):
        fill_names(Naming(adset="{campaign} | {countries}"), values(name="y" * 395))


def test_names_are_one_line_and_never_empty() -> None:
    assert fill_names(Naming(campaign="{name}  \n {currency}"), values()).campaign == (
        "AINOTE2 launch SGD"
    )
    with pytest.raises(TemplateError, match="empty"):
        fill_names(Naming(campaign="   "), values())


# ------------------------------------------------------------------------------- url_tags
def test_url_values_are_escaped_and_metas_macros_pass_through() -> None:
    names = ObjectNames("A&B | 50% off", "set", "cr", "ad #1")
    tags = fill_url_tags(
        "utm_campaign={campaign}&utm_content={ad}&utm_term={{adset.name}}&cc={currency}",
        values(),
        names,
    )
    assert tags == (
        "utm_campaign=A%26B%20%7C%2050%25%20off&utm_content=ad%20%231"
        "&utm_term={{adset.name}}&cc=SGD"
    )
    url = final_url("https://shop.example.com/p?ref=1", tags)
    query = parse_qs(urlsplit(url).query)
    assert query["utm_campaign"] == ["A&B | 50% off"]  # what analytics will read back
    assert query["utm_content"] == ["ad #1"]
    assert query["ref"] == ["1"]


def test_url_tags_shape() -> None:
    names = ObjectNames("c", "s", "cr", "a")
    assert fill_url_tags("?utm_source=meta", values(), names) == "utm_source=meta"
    with pytest.raises(TemplateError, match="space"):
        fill_url_tags("utm_source=meta paid", values(), names)
    with pytest.raises(TemplateError, match="key=value"):
        fill_url_tags("utm_source", values(), names)
    with pytest.raises(ValueError, match=r"unknown token \{campain\}"):
        CreativePolicy(url_tags="utm_campaign={campain}")


def test_final_url_joins_with_the_right_separator() -> None:
    assert final_url("https://a.example/x", "u=1") == "https://a.example/x?u=1"
    assert final_url("https://a.example/x?y=2", "u=1") == "https://a.example/x?y=2&u=1"
    assert final_url("https://a.example/x", None) == "https://a.example/x"


# ------------------------------------------------------------------------------- policy
def test_opt_out_names_every_known_feature() -> None:
    assert feature_choices("opt_out", KNOWN) == dict.fromkeys(KNOWN, "OPT_OUT")
    assert feature_choices("meta_defaults", KNOWN) is None
    chosen = feature_choices({"music_generation": "OPT_IN"}, KNOWN)
    assert chosen == {**dict.fromkeys(KNOWN, "OPT_OUT"), "music_generation": "OPT_IN"}
    # The bundles Meta refuses are never sent, even if a future SDK still lists them.
    assert "standard_enhancements" not in (
        feature_choices("opt_out", (*KNOWN, "standard_enhancements")) or {}
    )


def test_unknown_features_are_refused_with_the_valid_ones_listed() -> None:
    problem = unknown_features({"musik": "OPT_OUT"}, KNOWN)
    assert problem is not None
    assert "musik" in problem and all(name in problem for name in KNOWN)
    assert "bundle" in (unknown_features({"standard_enhancements": "OPT_OUT"}, KNOWN) or "")
    assert unknown_features("opt_out", KNOWN) is None


def test_policy_values() -> None:
    assert CreativePolicy(enhancements={"audio": "opt_in"}).enhancements == {"audio": "OPT_IN"}
    for bad in ("all_off", {"audio": "YES"}, {}):
        with pytest.raises(ValueError):
            CreativePolicy(enhancements=bad)
    lines = dict(describe_policy(CreativePolicy(), KNOWN))
    assert lines["Advantage+ creative enhancements"] == "all 4 opted out"
    assert lines["Multi-advertiser ads"] == "off (OPT_OUT)"


# ------------------------------------------------------------------------------- in the spec
def _accounts_file(tmp_path: Path, extra: str) -> Path:
    text = (ROOT / "configs" / "accounts.yaml").read_text()
    marker = "  iflytek-us:\n"
    path = tmp_path / "accounts.yaml"
    path.write_text(text.replace(marker, marker + extra, 1))
    return path


def _raw(**over: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "account": "iflytek-us",
        "name": "Spring sale",
        "daily_budget": 50,
        "start_time": "2026-12-03 20:00",
        "countries": ["US"],
        "video": "creatives/ainote2.mp4",
        "primary_text": "Take notes",
        "headline": "AINOTE",
        "link": "https://shop.example.com/us",
        "call_to_action": "SHOP_NOW",
    }
    raw.update(over)
    return raw


def test_the_spec_carries_filled_names_and_url_and_survives_a_round_trip(tmp_path: Path) -> None:
    path = _accounts_file(
        tmp_path,
        '    naming: {campaign: "{account}_{name}_{start:%Y%m%d}", ad: "{campaign} #{n}"}\n'
        '    creative: {url_tags: "utm_campaign={campaign}", multi_advertiser_ads: true}\n',
    )
    accounts = load_accounts(path)
    spec = build_spec(_raw(), accounts=accounts, now=NOW, base_dir=ROOT)
    assert spec.object_names.campaign == "iflytek-us_Spring sale_20261203"
    assert spec.object_names.ad == "iflytek-us_Spring sale_20261203 #1"
    assert (
        spec.final_url
        == "https://shop.example.com/us?utm_campaign=iflytek-us_Spring%20sale_20261203"
    )
    assert spec.creative.multi_advertiser_ads is True
    again = CampaignSpec.from_json(spec.to_json())
    assert again == spec
    # A campaign's own url_tags win over the account's.
    own = build_spec(_raw(url_tags="utm_source=x&n={n}"), accounts=accounts, now=NOW, base_dir=ROOT)
    assert own.url_tags == "utm_source=x&n=1"


def test_a_creation_recorded_before_naming_keeps_its_names() -> None:
    accounts = load_accounts(ROOT / "configs" / "accounts.yaml")
    data = build_spec(_raw(), accounts=accounts, now=NOW, base_dir=ROOT).to_json()
    for key in ("names", "url_tags", "creative"):
        data.pop(key)
    old = CampaignSpec.from_json(data)
    assert old.object_names == ObjectNames.legacy("Spring sale")
    assert old.creative == CreativePolicy()


def test_bad_templates_are_refused_where_the_user_is(tmp_path: Path) -> None:
    accounts = load_accounts(ROOT / "configs" / "accounts.yaml")
    with pytest.raises(ValidationError) as caught:
        build_spec(_raw(url_tags="utm={campain}"), accounts=accounts, now=NOW, base_dir=ROOT)
    assert caught.value.by_field()["url_tags"].startswith("unknown token {campain}")
    long_link = "https://shop.example.com/" + "p" * 960
    with pytest.raises(ValidationError) as caught:
        build_spec(
            _raw(link=long_link, url_tags="utm_campaign={campaign}{campaign}"),
            accounts=accounts,
            now=NOW,
            base_dir=ROOT,
        )
    assert "Meta allows at most 1000" in caught.value.by_field()["url_tags"]
    with pytest.raises(AccountsFileError, match=r"naming.*unknown token \{client\}"):
        load_accounts(_accounts_file(tmp_path, '    naming: {campaign: "{client}"}\n'))
    with pytest.raises(AccountsFileError, match=r"creative\.enhancements"):
        load_accounts(_accounts_file(tmp_path, "    creative: {enhancements: everything}\n"))
