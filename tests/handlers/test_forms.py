"""A submitted create modal becomes the raw request the domain validates, or block-keyed errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.blocks.campaign_modal import build_campaign_modal
from handlers.forms import (
    ERROR_MESSAGE_LIMIT,
    CampaignForm,
    SlackFile,
    form_errors,
    parse_campaign_form,
)
from handlers.ids import CampaignCreateBlock as B
from meta.domain.accounts import load_accounts
from meta.domain.errors import FieldProblem, ValidationError
from meta.domain.spec import FIELDS, build_spec
from tests.handlers.factories import make_account, slack_file, state_from_view

ROOT = Path(__file__).resolve().parents[2]
START = 1764763200  # 2025-12-03T12:00:00Z


def typed(kind: str, action: str = "x", **state):
    return {action: {"type": kind, **state}}


def full_state(**overrides):
    values = {
        B.TEMPLATE: typed("static_select", selected_option=None),
        B.ACCOUNT: typed(
            "static_select", "a.1f", selected_option={"text": {}, "value": "iflytek-sg"}
        ),
        B.NAME: typed("plain_text_input", value="  AINOTE2 launch SG  "),
        B.DAILY_BUDGET: typed("number_input", value="50.5"),
        B.START_TIME: typed("datetimepicker", selected_date_time=START),
        B.END_TIME: typed("datetimepicker", selected_date_time=None),
        B.COUNTRIES: typed(
            "multi_static_select", selected_options=[{"value": "SG"}, {"value": "my"}]
        ),
        B.VIDEO: typed("file_input", files=[slack_file()]),
        B.PRIMARY_TEXT: typed("plain_text_input", value="Line one\nLine two"),
        B.HEADLINE: typed("plain_text_input", value="Take notes"),
        B.DESCRIPTION: typed("plain_text_input", value=None),
        B.LINK: typed("url_text_input", value="https://shop.example.com/ainote2"),
        B.CALL_TO_ACTION: typed("static_select", selected_option={"value": "SHOP_NOW"}),
    }
    return {str(k): v for k, v in {**values, **overrides}.items()}


def test_every_element_shape_is_read():
    form = parse_campaign_form(full_state())
    assert form.account == "iflytek-sg"  # static_select, with a revisioned action id
    assert form.name == "AINOTE2 launch SG"  # plain_text_input, stripped
    assert form.daily_budget == "50.5"  # number_input value string
    assert form.start_time == "2025-12-03T12:00:00+00:00"  # datetimepicker, absolute
    assert form.end_time is None
    assert form.countries == ("SG", "MY")  # multi_static_select
    assert form.primary_text == "Line one\nLine two"
    assert form.description is None
    assert form.link == "https://shop.example.com/ainote2"  # url_text_input
    assert form.call_to_action == "SHOP_NOW"
    assert form.template is None
    assert form.video_file == SlackFile.model_validate(slack_file())
    assert form.video_file.url_private_download.startswith("https://files.slack.com/")


def test_request_has_exactly_the_domain_fields_and_video_comes_from_the_handler(tmp_path):
    form = parse_campaign_form(full_state())
    request = form.to_request()
    assert set(request) == set(FIELDS)
    assert request["video"] is None
    assert form.to_request(tmp_path / "v.mp4")["video"] == str(tmp_path / "v.mp4")


def test_datetimepicker_time_is_absolute_for_the_domain(tmp_path):
    """20:00 SGT picked by someone in London arrives as 12:00 UTC and stays 12:00 UTC."""
    video = tmp_path / "launch.mp4"
    video.write_bytes(b"\0" * 16)
    form = parse_campaign_form(full_state())
    spec = build_spec(
        form.to_request(video),
        accounts=load_accounts(ROOT / "configs" / "accounts.yaml"),
        now=datetime(2025, 12, 1, tzinfo=UTC),
        base_dir=tmp_path,
    )
    assert spec.start_time == datetime(2025, 12, 3, 12, 0, tzinfo=UTC)
    assert spec.daily_budget_minor == 5050
    assert spec.countries == ("SG", "MY")


@pytest.mark.parametrize("raw", ["1764763200", 1764763200])
def test_datetimepicker_accepts_seconds_as_int_or_string(raw):
    state = full_state(**{B.START_TIME: typed("datetimepicker", selected_date_time=raw)})
    assert parse_campaign_form(state).start_time == "2025-12-03T12:00:00+00:00"


def test_a_nonsense_time_is_passed_on_for_the_domain_to_refuse():
    state = full_state(**{B.START_TIME: typed("datetimepicker", selected_date_time="soon")})
    assert parse_campaign_form(state).start_time == "soon"


def test_values_round_trip_through_the_modal():
    prefill = {
        "account": "iflytek-my",
        "name": "Raya sale",
        "daily_budget": "75.5",
        "start_time": "2026-12-03 20:00",
        "countries": ["MY", "BN"],
        "primary_text": "Hello",
        "headline": "Sale",
        "description": "Ends Sunday",
        "link": "https://shop.example.com/raya",
        "call_to_action": "LEARN_MORE",
    }
    accounts = [
        make_account(),
        make_account(key="iflytek-my", currency="MYR", timezone="Asia/Kuala_Lumpur"),
    ]
    view = build_campaign_modal(accounts=accounts, templates=[], prefill=prefill)
    request = parse_campaign_form(state_from_view(view)).to_request()
    assert request["start_time"] == "2026-12-03T12:00:00+00:00"  # 20:00 in Kuala Lumpur
    for field in ("account", "name", "daily_budget", "primary_text", "headline", "link"):
        assert request[field] == prefill[field]
    assert request["countries"] == ["MY", "BN"]
    assert request["call_to_action"] == "LEARN_MORE"
    assert request["description"] == "Ends Sunday"


@pytest.mark.parametrize(
    "junk",
    [None, {}, [], "x", {B.NAME: None}, {B.NAME: {"a": None}}, {B.NAME: {"a": {"value": {"x": 1}}}},
     {B.COUNTRIES: {"a": {"selected_options": "SG"}}}, {B.VIDEO: {"a": {"files": ["x", 3]}}}],
)  # fmt: skip
def test_malformed_state_reads_as_empty_and_never_raises(junk):
    form = parse_campaign_form(junk)
    assert isinstance(form, CampaignForm)
    assert form.name is None
    assert form.countries == ()


@given(st.dictionaries(st.sampled_from([str(b) for b in B]), st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)))  # fmt: skip
def test_any_state_parses_without_raising(state):
    form = parse_campaign_form(state)
    request = form.to_request()
    for single, plural in (("primary_text", "primary_texts"), ("headline", "headlines")):
        assert (single in request) != (plural in request)
    assert set(request) - {"primary_texts", "headlines"} <= set(FIELDS)
    form.problems()


# ---------------------------------------------------------------- file checks


def form_with(*files):
    return parse_campaign_form(full_state(**{B.VIDEO: typed("file_input", files=list(files))}))


def test_a_missing_video_is_an_error_unless_a_template_supplies_one():
    assert "Attach the ad video" in form_with().problems()[B.VIDEO]
    assert form_with().problems(video_required=False) == {}


def test_a_larger_video_can_be_named_by_its_slack_link():
    link = "https://acme.slack.com/files/U0ALICE/F0123ABCDEF/ainote2.mp4"
    form = parse_campaign_form({B.VIDEO_LINK: {"x": {"type": "plain_text_input", "value": link}}})
    assert form.problems() == {}
    assert form.media_file_ids == ("F0123ABCDEF",)


def test_a_link_that_names_no_slack_file_is_refused_on_its_own_block():
    form = parse_campaign_form(
        {B.VIDEO_LINK: {"x": {"type": "plain_text_input", "value": "https://youtu.be/abc"}}}
    )
    assert "not a link to a Slack file" in form.problems()[B.VIDEO_LINK]


def test_several_videos_make_a_request_with_videos_in_file_order(tmp_path):
    form = form_with(slack_file("a.mp4", id="F0A"), slack_file("b.mp4", id="F0B"))
    assert form.problems() == {}
    assert form.media_file_ids == ("F0A", "F0B")
    request = form.to_request(tmp_path / "a.mp4", tmp_path / "b.mp4")
    assert "video" not in request
    assert request["videos"] == [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")]


def test_attached_files_and_a_pasted_link_are_all_ads():
    link = "https://acme.slack.com/files/U0ALICE/F0123ABCDEF/big.mp4"
    state = full_state(
        **{
            B.VIDEO: typed("file_input", files=[slack_file("a.mp4", id="F0A")]),
            B.VIDEO_LINK: typed("plain_text_input", value=link),
        }
    )
    assert parse_campaign_form(state).media_file_ids == ("F0A", "F0123ABCDEF")


def test_every_bad_file_of_several_is_named():
    problems = form_with(
        slack_file("a.mp4", id="F0A"), slack_file("brief.pdf", id="F0B"),
        slack_file("hero.jpg", id="F0C", mimetype="image/jpeg"),
        slack_file("notes.docx", id="F0D", pretty_type="Word Document"),
    ).problems()  # fmt: skip
    assert problems == {
        B.VIDEO: "brief.pdf is a PDF, not a video; upload a video (MP4, MOV, WebM, MKV, AVI, "
        "GIF…, or a JPG/PNG image). notes.docx is a Word Document, not a video; upload a video "
        "(MP4, MOV, WebM, MKV, AVI, GIF…, or a JPG/PNG image)."
    }


def test_videos_and_images_make_their_ads_videos_first(tmp_path):
    form = form_with(
        slack_file("hero.jpg", id="F0I", mimetype="image/jpeg"), slack_file("a.mp4", id="F0A"),
        slack_file("story.png", id="F0P", mimetype="image/png"), slack_file("b.mp4", id="F0B"),
    )  # fmt: skip
    assert form.problems() == {}
    assert form.video_file_ids == ("F0A", "F0B")
    assert form.image_file_ids == {"F0I", "F0P"}
    request = form.to_request(tmp_path / "a.mp4", tmp_path / "b.mp4", images=[tmp_path / "h.jpg"])
    assert request["videos"] == [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")]
    assert request["images"] == [str(tmp_path / "h.jpg")]


def test_the_same_file_attached_twice_is_named():
    twice = form_with(slack_file("a.mp4", id="F0A"), slack_file("a.mp4", id="F0B"))
    assert twice.problems() == {
        B.VIDEO: "a.mp4 is attached twice (files 1 and 2); attach each file once."
    }
    other_cut = form_with(slack_file("a.mp4", id="F0A"), slack_file("a.mp4", id="F0B", size=7))
    assert other_cut.problems() == {}


def test_more_than_ten_files_are_refused_before_any_download():
    files = [slack_file(f"v{i}.mp4", id=f"F0V{i}") for i in range(10)]
    link = "https://acme.slack.com/files/U0ALICE/F0123ABCDEF/big.mp4"
    state = full_state(
        **{
            B.VIDEO: typed("file_input", files=files),
            B.VIDEO_LINK: typed("plain_text_input", value=link),
        }
    )
    assert parse_campaign_form(state).problems() == {
        B.VIDEO: "11 files make 11 ads; attach at most 10 (one ad each), or use a campaign "
        "file for more."
    }


@pytest.mark.parametrize(
    ("primary", "headline", "texts", "headlines"),
    [
        ("One text\nof two lines", "One", None, None),
        ("First\n---\nSecond\nline two\n  ---  \nThird", "A\nB\n\nC",
         ["First", "Second\nline two", "Third"], ["A", "B", "C"]),
        ("Only one\n---\n", "Only\n", None, None),
    ],
)  # fmt: skip
def test_several_texts_in_one_box_become_lists(primary, headline, texts, headlines):
    state = full_state(
        **{
            B.PRIMARY_TEXT: typed("plain_text_input", value=primary),
            B.HEADLINE: typed("plain_text_input", value=headline),
        }
    )
    request = parse_campaign_form(state).to_request()
    assert request.get("primary_texts") == texts
    assert request.get("headlines") == headlines
    if texts is None:
        assert request["primary_text"] == primary.removesuffix("\n---\n").strip()


def test_a_domain_problem_with_one_of_several_texts_lands_on_its_box():
    error = ValidationError(
        [FieldProblem("headlines", "3 texts for 4 videos"), FieldProblem("videos", "v2: bad")]
    )
    assert form_errors(error) == {B.HEADLINE: "3 texts for 4 videos", B.VIDEO: "v2: bad"}


def test_a_pdf_is_named_as_a_pdf():
    problems = form_with(slack_file("ad.pdf")).problems()
    assert problems == {
        B.VIDEO: "ad.pdf is a PDF, not a video; upload a video (MP4, MOV, WebM, MKV, AVI, GIF…, "
        "or a JPG/PNG image)."
    }


@pytest.mark.parametrize(
    ("name", "filetype", "mimetype"),
    [
        ("clip.webm", "webm", "video/webm"),
        ("clip.mkv", "mkv", "video/x-matroska"),
        ("clip.avi", "avi", "video/x-msvideo"),
        ("clip.ts", "ts", "video/mp2t"),
        ("clip.3gp", "3gp", "video/3gpp"),
        ("loop.gif", "gif", "image/gif"),
    ],
)
def test_every_video_format_meta_accepts_is_taken(name, filetype, mimetype):
    """The content is checked after download; the form only refuses what is no video at all."""
    upload = slack_file(name, filetype=filetype, mimetype=mimetype)
    assert form_with(upload).problems() == {}


@pytest.mark.parametrize(
    "upload",
    [
        slack_file("launch.mp4"),
        slack_file("launch.MOV", filetype="mov", mimetype="video/quicktime"),
        slack_file("no-extension", filetype="", mimetype="video/mp4"),
    ],
)
def test_mp4_and_mov_are_accepted(upload):
    assert form_with(upload).problems() == {}


def test_an_empty_or_unshared_file_is_refused():
    assert "is empty" in form_with(slack_file(size=0)).problems()[B.VIDEO]
    unshared = slack_file(url_private_download=None)
    assert "did not share" in form_with(unshared).problems()[B.VIDEO]
    assert (
        "did not share"
        in form_with(slack_file(url_private_download="file:///etc/passwd")).problems()[B.VIDEO]
    )


def test_a_hostile_file_name_is_cleaned_and_shortened():
    upload = slack_file("a\u202e\x00" + "x" * 500 + ".pdf")
    message = form_with(upload).problems()[B.VIDEO]
    assert "\u202e" not in message and "\x00" not in message
    assert len(message) < 200


def test_a_file_entry_that_is_not_a_slack_file_is_unusable():
    problems = form_with({"id": 5, "size": "huge"}).problems()
    assert "not a video" in problems[B.VIDEO]


# ---------------------------------------------------------------- domain errors


def test_domain_errors_are_keyed_by_block_id():
    error = ValidationError(
        [
            FieldProblem("daily_budget", "SGD 1.00 is below Meta's minimum of SGD 1.35 per day"),
            FieldProblem("start_time", "Thu 3 Dec 2026, 20:00 SGT is in the past"),
            FieldProblem("start_time", "second problem, not shown"),
            FieldProblem("file", "expected a mapping of campaign fields"),
        ]
    )
    assert form_errors(error) == {
        B.DAILY_BUDGET: "SGD 1.00 is below Meta's minimum of SGD 1.35 per day",
        B.START_TIME: "Thu 3 Dec 2026, 20:00 SGT is in the past",
        B.VIDEO: "expected a mapping of campaign fields",
    }


def test_unknown_fields_land_on_a_visible_block_with_their_name():
    error = ValidationError([FieldProblem("pixel", "unknown field"), FieldProblem("page", "bad")])
    assert form_errors(error) == {B.ACCOUNT: "pixel: unknown field; page: bad"}


def test_messages_are_trimmed_to_slacks_limit():
    error = ValidationError([FieldProblem("name", "x" * 5000)])
    message = form_errors(error)[B.NAME]
    assert len(message) == ERROR_MESSAGE_LIMIT
    assert message.endswith("…")


def test_error_keys_are_plain_strings_for_the_ack_payload():
    error = ValidationError([FieldProblem("name", "required")])
    assert all(type(key) is str for key in form_errors(error))
