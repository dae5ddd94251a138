"""An ad-ops person targets regulated markets (Taiwan, Singapore, the EU) from a campaign file.

Meta refuses an ad set reaching Taiwan without ``TAIWAN_UNIVERSAL`` declarations (100/3858498),
Singapore without ``SINGAPORE_UNIVERSAL`` (3858550) and the EU without ``dsa_beneficiary`` /
``dsa_payor`` (3858081/3858079). The accounts file's ``regulation:`` block holds the declarations;
a campaign whose account lacks them is refused before anything is uploaded, naming the field.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from meta.domain.accounts import AccountsFileError, load_accounts
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import seed_graph
from tests.helpers import nothing_sent_but_budget_reads, write_campaign

ROOT = Path(__file__).resolve().parents[2]
TW_BENEFICIARY = "887766554433"
TW_PAYER = "887766554434"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def accounts_file(tmp_path: Path, **regulation: str) -> Path:
    """The example accounts file, with more ``regulation:`` fields on iflytek-sg."""
    data = yaml.safe_load((ROOT / "configs" / "accounts.yaml").read_text())
    data["accounts"]["iflytek-sg"]["regulation"].update(regulation)
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture
def with_taiwan_ids(tmp_path, graph: GraphEmulator, meta_env, monkeypatch) -> Path:
    """The team added the Taiwan ids Meta verified; the emulator knows them as verified."""
    path = accounts_file(tmp_path, taiwan_beneficiary=TW_BENEFICIARY, taiwan_payer=TW_PAYER)
    monkeypatch.setenv("ACCOUNTS_FILE", str(path))
    seed_graph(graph, load_accounts(path))
    return path


def test_a_taiwan_campaign_declares_taiwan_universal_and_is_created(
    graph, tmp_path, with_taiwan_ids
):
    code, out = run("create", str(write_campaign(tmp_path, countries=["SG", "TW"])))

    assert code == 0, out
    [adset] = graph.objects("adset")
    assert adset["regional_regulated_categories"] == ["SINGAPORE_UNIVERSAL", "TAIWAN_UNIVERSAL"]
    identities = adset["regional_regulation_identities"]
    assert identities["taiwan_universal_beneficiary"] == TW_BENEFICIARY
    assert identities["taiwan_universal_payer"] == TW_PAYER
    assert identities["singapore_universal_beneficiary"] == "998877665544"


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize("command", ["validate", "create"])
def test_taiwan_without_its_ids_is_refused_before_any_upload_naming_the_field(
    graph, tmp_path, command
):
    code, out = run(command, str(write_campaign(tmp_path, countries=["SG", "TW"])))

    assert code == 1, out
    assert "  - countries: targeting TW needs regulation.taiwan_beneficiary and " in out
    assert "regulation.taiwan_payer for account 'iflytek-sg'" in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
@pytest.mark.parametrize("country", ["RE", "GP", "AX", "FR"])
def test_the_eu_and_its_outermost_regions_need_the_dsa_names_before_any_upload(
    graph, tmp_path, country
):
    code, out = run("create", str(write_campaign(tmp_path, countries=[country])))

    assert code == 1, out
    assert f"targeting {country} needs regulation.dsa_beneficiary and regulation.dsa_payor" in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_norway_is_not_eu_and_needs_no_dsa_names(graph, tmp_path):
    # Meta's DSA list is the EU and its territories; the EEA-only states are not on it.
    code, out = run("create", str(write_campaign(tmp_path, countries=["NO"])))

    assert code == 0, out
    [adset] = graph.objects("adset")
    assert "dsa_beneficiary" not in {k for k, v in adset.items() if v}


def test_dsa_names_from_the_accounts_file_reach_the_ad_set(graph, tmp_path, meta_env, monkeypatch):
    path = accounts_file(tmp_path, dsa_beneficiary="iFLYTEK Europe GmbH", dsa_payor="iFLYTEK SG")
    monkeypatch.setenv("ACCOUNTS_FILE", str(path))
    code, out = run("create", str(write_campaign(tmp_path, countries=["SG", "RE"])))

    assert code == 0, out
    [adset] = graph.objects("adset")
    assert (adset["dsa_beneficiary"], adset["dsa_payor"]) == ("iFLYTEK Europe GmbH", "iFLYTEK SG")


def test_meta_style_names_in_an_old_accounts_file_still_work_with_a_warning(tmp_path, caplog):
    data = yaml.safe_load((ROOT / "configs" / "accounts.yaml").read_text())
    data["accounts"]["iflytek-sg"]["regulation"] = {
        "singapore_universal_beneficiary": "998877665544",
        "singapore_universal_payer": "998877665544",
        "dsa_beneficiary": "iFLYTEK",
        "dsa_payer": "iFLYTEK",
    }
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data))

    with caplog.at_level(logging.WARNING):
        regulation = load_accounts(path).get("iflytek-sg").regulation

    assert regulation.singapore_beneficiary == "998877665544"
    assert regulation.dsa_payor == "iFLYTEK"
    assert (
        "account 'iflytek-sg': regulation.singapore_universal_beneficiary is deprecated; "
        "rename it to regulation.singapore_beneficiary"
    ) in caplog.text
    assert "regulation.dsa_payer is deprecated; rename it to regulation.dsa_payor" in caplog.text


def test_an_old_and_a_new_name_for_the_same_field_are_refused(tmp_path):
    path = accounts_file(tmp_path, singapore_universal_payer="998877665544")
    with pytest.raises(AccountsFileError, match=r"keep only regulation\.singapore_payer"):
        load_accounts(path)


def test_a_taiwan_id_must_be_the_numeric_verified_identity(tmp_path):
    path = accounts_file(tmp_path, taiwan_beneficiary="iFLYTEK Taiwan")
    with pytest.raises(AccountsFileError, match=r"taiwan_beneficiary: .*numeric verified identity"):
        load_accounts(path)
