"""The account's creative policy and naming reach Meta, as the CLI user sees and sends them.

Against the Graph emulator, which enrols a creative in every enhancement and in multi-advertiser
ads unless the request says otherwise (Meta's defaults), so what is read back is the proof.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from meta.graph.client import creative_feature_names
from sandbox.graph_emulator import GraphEmulator
from tests.helpers import write_campaign

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _features(creative: dict) -> dict[str, str]:
    spec = creative["degrees_of_freedom_spec"]["creative_features_spec"]
    return {name: value["enroll_status"] for name, value in spec.items()}


@pytest.mark.usefixtures("meta_env")
def test_the_creative_meta_stores_opts_out_of_everything_and_carries_the_utms(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    code, out = run("create", str(write_campaign(tmp_path, name="Launch SG")))
    assert code == 0, out
    [creative] = graph.objects("adcreative")
    features = _features(creative)
    assert set(features.values()) == {"OPT_OUT"}
    assert set(features) == {
        f for f in creative_feature_names() if not f.startswith("standard_enhancements")
    }
    assert creative["contextual_multi_ads"] == {"enroll_status": "OPT_OUT"}
    assert {f["data_source"][0] for f in creative["format_transformation_spec"]} == {"none"}
    [campaign] = graph.objects("campaign")
    [adset] = graph.objects("adset")
    [ad] = graph.objects("ad")
    assert campaign["name"].startswith("iflytek-sg_Launch SG_")  # {account}_{name}_{start:%Y%m%d}
    assert adset["name"] == f"{campaign['name']} | SG"
    assert ad["name"] == f"{campaign['name']} | ainote2"
    assert creative["url_tags"] == (
        "utm_source=meta&utm_medium=paid"
        f"&utm_campaign={campaign['name'].replace(' ', '%20')}"
        f"&utm_content={ad['name'].replace(' ', '%20').replace('|', '%7C')}"
    )


@pytest.mark.usefixtures("meta_env")
def test_validate_shows_the_filled_names_final_url_and_choices(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    path = write_campaign(tmp_path, name="Launch SG", url_tags="utm_source=news&c={campaign}")
    code, out = run("validate", str(path))
    assert code == 0, out
    assert "campaign name: iflytek-sg_Launch SG_" in out
    assert "final URL:     https://" in out and "?utm_source=news&c=iflytek-sg_Launch%20SG_" in out
    assert "Advantage+ creative enhancements: all 82 opted out" in out
    assert "Multi-advertiser ads: off (OPT_OUT)" in out
    assert graph.requests == []


@pytest.mark.usefixtures("meta_env")
def test_unknown_tokens_and_features_are_refused_with_the_valid_ones(
    graph: GraphEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run("validate", str(write_campaign(tmp_path, url_tags="utm={client}")))
    assert code == 1
    assert "url_tags: unknown token {client}" in out and "{campaign}" in out and "{n}" in out

    accounts = yaml.safe_load((ROOT / "configs" / "accounts.yaml").read_text())
    accounts["accounts"]["iflytek-sg"]["creative"]["enhancements"] = {"musik": "OPT_OUT"}
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(accounts))
    monkeypatch.setenv("ACCOUNTS_FILE", str(path))
    err = io.StringIO()
    code = main(["validate", str(write_campaign(tmp_path))], out=io.StringIO(), err=err)
    assert code != 0
    assert "unknown creative feature(s) musik" in err.getvalue()
    assert "music_generation" in err.getvalue()  # the valid ones are listed
    assert graph.requests == []


@pytest.mark.usefixtures("meta_env")
def test_the_dry_run_prints_the_policy_it_would_send(graph: GraphEmulator, tmp_path: Path) -> None:
    code, out = run("create", str(write_campaign(tmp_path)), "--dry-run")
    assert code == 0, out
    assert '"music_generation": {"enroll_status": "OPT_OUT"}' in out
    assert 'contextual_multi_ads={"enroll_status": "OPT_OUT"}' in out
    assert "url_tags=utm_source=meta&utm_medium=paid&utm_campaign=iflytek-sg_" in out
    assert graph.requests == []
