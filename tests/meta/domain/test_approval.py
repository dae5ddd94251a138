"""The approval's material, fingerprint and change list, and the card's facts from the requests."""

from __future__ import annotations

from meta.domain.approval import RequestFacts, approval_material, changes, fingerprint, iframe_src

REQUESTS = {
    "campaign": {"name": "C", "daily_budget": 5000, "status": "PAUSED"},
    "adset": {
        "name": "S",
        "campaign_id": "111",
        "targeting": {"geo_locations": {"countries": ["SG"]}},
    },
    "creative": {"name": "K", "url_tags": "utm_source=meta"},
    "ad": {"name": "A", "adset_id": "222", "creative": {"creative_id": "333"}},
}


def test_ids_meta_assigned_are_not_part_of_what_was_approved():
    material = approval_material(REQUESTS, "2026-12-03T12:00:00+00:00")
    other_ids = {
        **REQUESTS,
        "adset": {**REQUESTS["adset"], "campaign_id": "999"},
        "ad": {**REQUESTS["ad"], "adset_id": "998", "creative": {"creative_id": "997"}},
    }
    assert fingerprint(material) == fingerprint(
        approval_material(other_ids, "2026-12-03T12:00:00+00:00")
    )
    reordered = {level: dict(reversed(list(p.items()))) for level, p in REQUESTS.items()}
    assert fingerprint(material) == fingerprint(
        approval_material(reordered, "2026-12-03T12:00:00+00:00")
    )


def test_every_change_is_named_and_changes_the_fingerprint():
    before = approval_material(REQUESTS, "2026-12-03T12:00:00+00:00")
    edited = {
        **REQUESTS,
        "campaign": {**REQUESTS["campaign"], "daily_budget": 60000},
        "adset": {**REQUESTS["adset"], "targeting": {"geo_locations": {"countries": ["SG", "MY"]}}},
        "creative": {"name": "K"},
    }
    after = approval_material(edited, "2026-12-05T12:00:00+00:00")
    assert fingerprint(before) != fingerprint(after)
    assert changes(before, after) == [
        "activate_at: 2026-12-03T12:00:00+00:00 -> 2026-12-05T12:00:00+00:00",
        'requests.adset.targeting.geo_locations.countries: ["SG"] -> ["SG", "MY"]',
        "requests.campaign.daily_budget: 5000 -> 60000",
        "requests.creative.url_tags: utm_source=meta -> (none)",
    ]
    assert changes(before, before) == []


def test_the_preview_url_is_read_out_of_metas_iframe_snippet():
    body = '<iframe src="https://www.facebook.com/ads/api/preview_iframe.php?d=AQ&amp;t=AQ" width="274"></iframe>'
    assert iframe_src(body) == "https://www.facebook.com/ads/api/preview_iframe.php?d=AQ&t=AQ"
    assert iframe_src("no iframe here") is None


def test_final_url_joins_link_and_url_tags():
    def facts(link: str, tags: str | None) -> RequestFacts:
        return RequestFacts(
            names=(), link=link, url_tags=tags, enhancements=(), multi_advertiser=None
        )

    assert (
        facts("https://s.example/p", "utm_source=meta").final_url
        == "https://s.example/p?utm_source=meta"
    )
    assert facts("https://s.example/p?x=1", "?utm_source=meta").final_url == (
        "https://s.example/p?x=1&utm_source=meta"
    )
    assert facts("https://s.example/p", None).final_url == "https://s.example/p"


def test_json_strings_in_form_parameters_are_read_like_objects():
    creative = {
        "degrees_of_freedom_spec": '{"creative_features_spec": {"music": {"enroll_status": "OPT_OUT"}}}',
        "contextual_multi_ads": '{"enroll_status": "OPT_OUT"}',
    }
    facts = RequestFacts.from_requests({"creative": creative})
    assert facts.enhancements == (("music", "OPT_OUT"),) and facts.multi_advertiser == "OPT_OUT"
    assert facts.opted_in == ()
