"""What counts as drift: a named choice Meta shows otherwise; Meta's own defaults never do."""

from __future__ import annotations

from meta.domain.drift import (
    AdShown,
    campaign_drifted,
    creative_drifted,
    drift_key,
    find_ads_drift,
    find_drift,
)

APPROVED = {
    "degrees_of_freedom_spec": {
        "creative_features_spec": {
            "music": {"enroll_status": "OPT_OUT"},
            "text_optimizations": {"enroll_status": "OPT_OUT"},
        }
    },
    "contextual_multi_ads": {"enroll_status": "OPT_OUT"},
    "url_tags": "utm_source=meta",
}


def meta(**changes):
    features = {
        "music": {"enroll_status": "OPT_OUT"},
        "text_optimizations": {"enroll_status": "OPT_OUT"},
        "image_touchups": {"enroll_status": "OPT_IN"},  # not named in the request: Meta's call
    }
    features.update(changes.pop("features", {}))
    return {
        "degrees_of_freedom_spec": {"creative_features_spec": features},
        "contextual_multi_ads": {"enroll_status": "OPT_OUT"},
        "url_tags": "utm_source=meta",
        **changes,
    }


def drift(creative, advantage="ADVANTAGE_PLUS_SALES"):
    return find_drift(
        APPROVED, creative, approved_advantage="ADVANTAGE_PLUS_SALES", meta_advantage=advantage
    )


def test_meta_showing_the_approved_settings_is_no_drift():
    assert drift(meta()) == []


def test_each_kind_of_drift_is_said_in_plain_words():
    lines = drift(
        meta(
            features={"music": {"enroll_status": "OPT_IN"}},
            contextual_multi_ads={"enroll_status": "OPT_IN"},
            url_tags="",
        ),
        advantage="DISABLED",
    )
    assert lines == [
        "creative enhancement music: approved OPT_OUT, Meta shows OPT_IN",
        "multi-advertiser ads: approved OPT_OUT, Meta shows OPT_IN",
        "url_tags: approved utm_source=meta, Meta shows none",
        "campaign: approved as ADVANTAGE_PLUS_SALES, Meta now classifies it DISABLED",
    ]
    assert creative_drifted(lines) and campaign_drifted(lines)
    assert drift_key(lines) == drift_key(list(lines)) != drift_key(lines[:1])


def test_a_feature_meta_no_longer_reports_is_drift_and_meta_defaults_never_are():
    gone = meta()
    del gone["degrees_of_freedom_spec"]["creative_features_spec"]["text_optimizations"]
    assert drift(gone) == [
        "creative enhancement text_optimizations: approved OPT_OUT, Meta shows nothing"
    ]
    defaults = find_drift(
        {},
        meta(features={"music": {"enroll_status": "OPT_IN"}}),
        approved_advantage=None,
        meta_advantage="DISABLED",
    )
    assert defaults == ["url_tags: approved none, Meta shows utm_source=meta"]


def test_several_ads_say_each_difference_once_with_the_ads_showing_it():
    music = {"features": {"music": {"enroll_status": "OPT_IN"}}}
    ads = [
        AdShown("main", 1, APPROVED, {**meta(**music), "id": "c1"}),
        AdShown("2", 2, APPROVED, {**meta(), "id": "c2"}),
        AdShown("3", 3, APPROVED, {**meta(url_tags="x=1", **music), "id": "c3"}),
    ]
    drift = find_ads_drift(ads, approved_advantage=None, meta_advantage=None)
    assert drift.lines == [
        "ads 1, 3: creative enhancement music: approved OPT_OUT, Meta shows OPT_IN",
        "ad 3: url_tags: approved utm_source=meta, Meta shows x=1",
    ]
    assert drift.ads == {"main": "c1", "3": "c3"}, "the drifted ads with the creative they showed"
    assert creative_drifted(drift.lines) and not campaign_drifted(drift.lines)


def test_one_ad_reads_as_before_and_the_campaign_line_comes_last():
    ads = [AdShown("main", 1, APPROVED, {**meta(url_tags=""), "id": "c1"})]
    found = find_ads_drift(
        ads, approved_advantage="ADVANTAGE_PLUS_SALES", meta_advantage="DISABLED"
    )
    assert found.lines[-1].startswith("campaign: ")
    assert found.lines == find_drift(
        APPROVED,
        meta(url_tags=""),
        approved_advantage="ADVANTAGE_PLUS_SALES",
        meta_advantage="DISABLED",
    )
