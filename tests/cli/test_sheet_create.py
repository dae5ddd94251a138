"""``python -m bot create --sheet launches.csv`` (issue 14, bulk launch): a sheet of twelve
campaigns with one bad row is refused whole, naming the row as the spreadsheet numbers it and the
field, before anything is uploaded; fixed, the same command creates all twelve, one progress line
each and a table at the end, against the Graph emulator."""

from __future__ import annotations

import io

import pytest

from bot.cli import main
from sandbox.graph_emulator import GraphEmulator
from tests.helpers import nothing_sent_but_budget_reads
from tests.helpers import write_sheet as sheet

STEP_WORDS = ["uploaded", "processed", "campaign", "ad", "set", "creative", "ad"]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.mark.usefixtures("meta_env")
def test_a_twelve_row_sheet_with_one_bad_row_is_refused_whole_then_created_when_fixed(
    graph: GraphEmulator, tmp_path
):
    path = sheet(
        tmp_path, row9={"daily_budget": "99999", "countries": "SG|XX", "primary_texts": "A|A"}
    )
    code, out = run("create", "--sheet", str(path))

    assert code == 1, out
    assert f"{path} row 9: 3 problem(s):" in out  # the header is row 1: campaign 8 is row 9
    assert "  - daily_budget: " in out and "above this account's limit" in out
    assert "  - countries: 'XX' is not a two-letter country code" in out
    assert "  - primary_texts: text 2 repeats text 1" in out
    assert "row 2:" not in out and "row 13:" not in out  # the good rows have nothing to say
    assert "1 of 12 rows have problems; nothing was uploaded to or created in Meta" in out
    assert nothing_sent_but_budget_reads(graph)

    # Fixed in the sheet, the same command creates all twelve: a line each, then the table.
    path = sheet(tmp_path)
    code, out = run("create", "--sheet", str(path))

    assert code == 0, out
    assert len(graph.objects("campaign")) == 12 and len(graph.objects("ad")) == 12
    # Twelve campaigns of one account naming one video: uploaded (and processed) once.
    assert len(graph.objects("advideo", include_deleted=True)) == 1
    lines = out.splitlines()
    for n in range(1, 13):
        line = next(line for line in lines if line.startswith(f"[{n}/12] AINOTE2 launch {n} "))
        assert line.startswith(f"[{n}/12] AINOTE2 launch {n} (row {n + 1}): ")
        steps, outcome = line.split(": ", 1)[1].split(" -> ")
        assert sorted(steps.split(" ")) == sorted(STEP_WORDS), line  # each step once, as done
        assert outcome.startswith("created, AdBee #"), line
    header = max(i for i, line in enumerate(lines) if line.startswith("campaign "))
    assert [line.split()[3] for line in lines[header + 1 :]] == ["created"] * 12
    for campaign in graph.objects("campaign"):
        assert f"campaign {campaign['id']}, 1 ad(s)" in out


@pytest.mark.usefixtures("meta_env")
def test_list_cells_take_items_separated_by_a_bar(graph: GraphEmulator, tmp_path):
    path = sheet(
        tmp_path,
        rows=1,
        row2={"countries": "SG | MY", "headline": "AINOTE 2 is here"},
    )
    code, out = run("create", "--sheet", str(path), "--dry-run")
    assert code == 0, out
    assert '"countries": ["SG", "MY"]' in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_a_column_that_is_no_campaign_field_is_named_by_its_letter(graph: GraphEmulator, tmp_path):
    path = tmp_path / "launches.csv"
    path.write_text("account,name,budget\niflytek-sg,AINOTE2 launch 1,50\n")
    code, out = run("create", "--sheet", str(path))
    assert code == 1, out
    assert "row 1, column C: 'budget' is not a campaign field" in out
    assert graph.requests == []


@pytest.mark.usefixtures("meta_env")
def test_two_rows_with_one_name_are_refused_before_meta(graph: GraphEmulator, tmp_path):
    path = sheet(tmp_path, rows=3, row4={"name": "AINOTE2 launch 1"})
    code, out = run("create", "--sheet", str(path))
    assert code == 1, out
    assert f"{path} row 4: 1 problem(s):" in out
    assert f"'AINOTE2 launch 1' in iflytek-sg is also in {path} row 2" in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_the_example_sheet_in_configs_passes_every_check(graph: GraphEmulator):
    code, out = run("create", "--sheet", "configs/launches.example.csv", "--dry-run")
    assert code == 0, out
    assert "[3/3] AINOTE2 launch MY (row 4)" in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_the_example_sheet_creates_its_three_campaigns_one_line_each(graph: GraphEmulator):
    """As the README runs it: row 3 targets two countries, its cell's items separated by a bar."""
    code, out = run("create", "--sheet", "configs/launches.example.csv")
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 3 and all("-> created" in line for line in lines), out
    assert lines[1].startswith("[2/3] AINOTE2 students SG MY (row 3):")
    assert len(graph.objects("campaign")) == 3 and len(graph.objects("ad")) == 3
    targets = sorted(
        str(a["targeting"]["geo_locations"]["countries"]) for a in graph.objects("adset")
    )
    assert targets == ["['MY']", "['SG', 'MY']", "['SG']"], targets
