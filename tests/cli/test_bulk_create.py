"""``python -m bot create a.yaml b.yaml c.yaml`` (issue 14, bulk from the CLI): every file is
checked before anything is uploaded, one bad file refuses the batch naming file and field, and a
good batch creates every campaign with a table of the outcomes, against the Graph emulator."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from sandbox.graph_emulator import GraphEmulator
from tests.helpers import nothing_sent_but_budget_reads, write_campaign


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def files(folder: Path, **bad: dict[str, object]) -> list[str]:
    """Three campaign files (SG launches 1..3); ``bad`` overrides the fields of some by stem."""
    return [
        str(
            write_campaign(
                folder,
                f"launch-{n}.yaml",
                **{"name": f"AINOTE2 launch {n}", **bad.get(f"launch-{n}", {})},
            )
        )
        for n in (1, 2, 3)
    ]


@pytest.mark.usefixtures("meta_env")
def test_one_bad_file_refuses_the_whole_batch_before_anything_is_uploaded(
    graph: GraphEmulator, tmp_path
):
    paths = files(tmp_path, **{"launch-2": {"daily_budget": 99999, "headline": "H" * 256}})
    code, out = run("create", *paths)

    assert code == 1, out
    assert f"{paths[1]}: 2 problem(s):" in out
    assert "  - daily_budget: " in out and "above this account's limit" in out
    assert "  - headline: " in out and "at most 255" in out
    assert paths[0] not in out and paths[2] not in out  # the good files have nothing to say
    assert "1 of 3 files have problems; nothing was uploaded to or created in Meta" in out
    assert nothing_sent_but_budget_reads(graph)

    # Fixed, the same command creates all three, one block each and a table at the end.
    paths = files(tmp_path)
    code, out = run("create", *paths)
    assert code == 0, out
    assert len(graph.objects("campaign")) == 3 and len(graph.objects("ad")) == 3
    for n in (1, 2, 3):
        assert f"[{n}/3] AINOTE2 launch {n} ({paths[n - 1]})" in out
    lines = out.splitlines()
    header = max(i for i, line in enumerate(lines) if line.startswith("campaign "))
    assert lines[header].split() == ["campaign", "status", "ids"]
    assert [line.split()[3] for line in lines[header + 1 :]] == ["created"] * 3
    for campaign in graph.objects("campaign"):
        assert f"campaign {campaign['id']}, 1 ad(s)" in out


@pytest.mark.usefixtures("meta_env")
def test_two_files_with_one_name_are_refused_before_meta(graph: GraphEmulator, tmp_path):
    paths = files(tmp_path, **{"launch-3": {"name": "AINOTE2 launch 1"}})
    code, out = run("create", *paths)
    assert code == 1, out
    assert f"{paths[2]}: 1 problem(s):" in out
    assert f"'AINOTE2 launch 1' in iflytek-sg is also in {paths[0]}" in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_a_batch_naming_a_campaign_adbee_already_made_is_refused_before_meta(
    graph: GraphEmulator, tmp_path
):
    # Made earlier from other values: the batch's launch 1 would be another campaign of that name.
    first = write_campaign(tmp_path, "first.yaml", name="AINOTE2 launch 1", daily_budget=60)
    assert run("create", str(first))[0] == 0
    before = len(graph.requests)

    code, out = run("create", *files(tmp_path))

    assert code == 1, out
    assert f"{tmp_path / 'launch-1.yaml'}: 1 problem(s):" in out
    assert "  - name: 'AINOTE2 launch 1' already exists in iflytek-sg (AdBee #1" in out
    assert "1 of 3 files have problems" in out
    assert all(r.method == "GET" for r in graph.requests[before:])
    assert len(graph.objects("campaign")) == 1


@pytest.mark.usefixtures("meta_env")
def test_the_example_campaign_files_launch_as_one_batch(graph: GraphEmulator):
    """``python -m bot create configs/campaigns/*.yaml`` as the README shows it: a video ad's
    campaign and one with a video and an image ad, one progress line each, then the table."""
    names = sorted(str(p) for p in Path("configs/campaigns").glob("*.yaml"))
    assert len(names) >= 2, names
    code, out = run("create", *names)
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == len(names) and all("-> created" in line for line in lines), out
    assert any(" image " in line and "2 ad(s)" in line for line in lines), out
    assert len(graph.objects("campaign")) == len(names)
