"""An ad-ops person creates a campaign from a file, against the Graph API emulator as Meta."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.helpers import nothing_sent_but_budget_reads, write_campaign


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def live(graph: GraphEmulator, kind: str) -> list[dict]:
    return graph.objects(kind)


def writes(graph: GraphEmulator) -> list:
    return [r for r in graph.requests if r.method in ("POST", "DELETE")]


@pytest.mark.usefixtures("meta_env")
def test_create_makes_one_paused_advantage_plus_sales_campaign(graph, tmp_path):
    code, out = run("create", str(write_campaign(tmp_path)))

    assert code == 0, out
    assert "everything PAUSED" in out
    for kind in ("campaign", "adset", "adcreative", "ad", "advideo"):
        assert len(live(graph, kind)) == 1, kind
    campaign = live(graph, "campaign")[0]
    assert campaign["id"] in out
    assert campaign["status"] == "PAUSED"
    assert live(graph, "adset")[0]["status"] == "PAUSED"
    assert live(graph, "ad")[0]["status"] == "PAUSED"
    read = graph.get_object(campaign["id"])
    assert read is not None
    assert "Uploading video: 100%" in out


@pytest.mark.usefixtures("meta_env")
def test_validate_accepts_the_example_and_sends_nothing(graph, tmp_path):
    code, out = run("validate", str(write_campaign(tmp_path)))
    assert code == 0 and "OK: ready to create." in out
    assert graph.requests == []


@pytest.mark.usefixtures("meta_env")
def test_dry_run_prints_every_request_and_sends_none(graph, tmp_path):
    code, out = run("create", str(write_campaign(tmp_path)), "--dry-run")
    assert code == 0, out
    assert graph.requests == []
    assert "/act_1234567890/campaigns" in out
    assert "bid_strategy=LOWEST_COST_WITHOUT_CAP" in out
    assert '"advantage_audience": 1' in out
    assert "SINGAPORE_UNIVERSAL" in out
    assert "sandbox-meta-token" not in out


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"account": "acme"}, "account", "unknown account 'acme'"),
        ({"daily_budget": 1}, "daily_budget", "below Meta's minimum"),
        ({"daily_budget": 99999}, "daily_budget", "above this account's limit"),
        ({"start_time": "2020-01-01 10:00"}, "start_time", "in the past"),
        ({"link": "ftp://shop.example.com"}, "link", "not a web address"),
        ({"headline": "H" * 256}, "headline", "at most 255"),
        ({"call_to_action": "BUY_IT"}, "call_to_action", "unknown call to action"),
        ({"video": "creatives/nope.mp4"}, "video", "file not found"),
        ({"video": "README.md"}, "video", "not a video"),
    ],
)
def test_bad_input_exits_1_names_the_field_and_never_reaches_meta(
    graph, tmp_path, overrides, field, words
):
    code, out = run("create", str(write_campaign(tmp_path, **overrides)))
    assert code == 1, out
    assert f"  - {field}: " in out and words in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_transient_errors_are_retried_without_duplicates(graph, tmp_path):
    graph.inject(Fault(code=2, times=2, path_contains="/adsets", method="POST", http_status=503))
    graph.inject(
        Fault(code=1, times=1, path_contains="/adcreatives", method="POST", http_status=500)
    )
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    assert [len(live(graph, k)) for k in ("campaign", "adset", "adcreative", "ad")] == [1, 1, 1, 1]


@pytest.mark.usefixtures("meta_env")
def test_a_lost_answer_to_a_create_is_found_by_name_not_posted_twice(graph, tmp_path):
    graph.inject(Fault(drop_connection=True, times=1, path_contains="/campaigns", method="POST"))
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    assert len(live(graph, "campaign")) == 1


@pytest.mark.usefixtures("meta_env")
def test_a_permanent_error_rolls_back_and_shows_metas_message(graph, tmp_path):
    graph.inject(
        Fault(
            # A refusal of the request itself (100/1487390 "try again later" is retried instead).
            code=100,
            times=1,
            path_contains="/adcreatives",
            method="POST",
            error_user_title="Page Not Eligible",
            error_user_msg="This Page can't run ads right now. Check its status in Page Quality.",
        )
    )
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 1, out
    assert "This Page can't run ads right now." in out
    assert "deleted" in out
    for kind in ("campaign", "adset", "adcreative", "ad"):
        assert live(graph, kind) == [], kind
    [video] = live(graph, "advideo")  # Meta's refusal was not about the video: it is kept
    assert f"video {video['id']} was kept" in out


@pytest.mark.usefixtures("meta_env")
def test_an_interrupted_run_resumes_without_duplicating(graph, tmp_path):
    # Meta throttles the ad set for longer than AdBee waits in-process: the run stops, resumable.
    graph.inject(
        Fault(
            code=80004,
            subcode=2446079,
            times=1,
            path_contains="/adsets",
            method="POST",
            regain_minutes=5,
        )
    )
    path = write_campaign(tmp_path)
    code, out = run("create", str(path))
    assert code == 1, out
    assert "run the creation again" in out
    assert len(live(graph, "campaign")) == 1 and live(graph, "adset") == []

    code, out = run("create", str(path))
    assert code == 0, out
    assert "already" in out
    assert [len(live(graph, k)) for k in ("campaign", "adset", "adcreative", "ad", "advideo")] == [
        1,
        1,
        1,
        1,
        1,
    ]


@pytest.mark.usefixtures("meta_env")
def test_creating_the_same_campaign_twice_is_refused(graph, tmp_path):
    path = write_campaign(tmp_path)
    assert run("create", str(path))[0] == 0
    code, out = run("create", str(path))
    assert code == 1 and "already exists" in out
    assert len(live(graph, "campaign")) == 1


def test_create_without_a_token_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.delenv("META_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 2
    assert "META_ACCESS_TOKEN is not set" in out


def test_with_an_app_secret_every_call_carries_appsecret_proof(
    graph, tmp_path, meta_env, monkeypatch
):
    graph.app_secret = "app-secret-for-tests"
    monkeypatch.setenv("META_APP_SECRET", "app-secret-for-tests")
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 0, out
    assert graph.requests and all("appsecret_proof" in r.params for r in graph.requests)


def test_without_the_app_secret_meta_refuses_and_says_why(graph, tmp_path, meta_env):
    graph.app_secret = "app-secret-for-tests"
    code, out = run("create", str(write_campaign(tmp_path)))
    assert code == 1
    assert "appsecret_proof" in out


def test_a_malformed_setting_is_named_not_a_traceback(monkeypatch):
    monkeypatch.setenv("META_API_VERSION", "24")
    code, out = run("health")
    assert code == 2
    assert "META_API_VERSION: must look like v26.0" in out
