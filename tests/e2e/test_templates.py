"""A new team installs AdBee with their own accounts file. The example template under
configs/templates names the maintainers' account, which they do not have: it is skipped and
reported (start-up log, ``health``, a note under the modal's template select), and nothing else
notices. Templates live where TEMPLATES_DIR says.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import build_services
from bot.cli import main
from bot.runner import start_bot
from bot.settings import Settings
from handlers.ids import CampaignCreateBlock as B
from meta.domain.accounts import load_accounts
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import seed_graph
from sandbox.slack_emulator import SlackEmulator
from tests.e2e.conftest import CAMPAIGNS, REQUESTER, ROOT, bot_settings
from tests.helpers import sandbox_env, write_campaign

OWN_ACCOUNTS = {
    "accounts": {
        "acme-us": {
            "name": "ACME US",
            "ad_account_id": "act_5550001111",
            "page_id": "5551112222",
            "pixel_id": "5552223333",
            "currency": "USD",
            "timezone": "America/New_York",
            "max_daily_budget": 500,
        }
    }
}
SKIPPED = "ainote2-launch.yaml: account 'iflytek-sg' is not in ACCOUNTS_FILE"


@pytest.fixture
def own_accounts(tmp_path: Path, graph: GraphEmulator) -> Path:
    """The new team's accounts file, and Meta (the emulator) knowing their account."""
    path = tmp_path / "my-accounts.yaml"
    path.write_text(yaml.safe_dump(OWN_ACCOUNTS))
    seed_graph(graph, load_accounts(path))
    return path


@pytest.fixture
def new_team_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph, own_accounts) -> Path:
    monkeypatch.chdir(ROOT)  # the checkout, with the shipped configs/templates/ainote2-launch.yaml
    for key, value in sandbox_env(graph, tmp_path / "adbee.db").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ACCOUNTS_FILE", str(own_accounts))
    monkeypatch.delenv("TEMPLATES_DIR", raising=False)
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def acme_campaign(folder: Path) -> Path:
    return write_campaign(folder, account="acme-us", countries=["US"], name="ACME spring")


def test_validate_create_and_health_work_despite_the_example_template(
    new_team_env, graph, monkeypatch
):
    campaign = acme_campaign(new_team_env)
    with SlackEmulator() as slack:  # health checks the Slack token too
        slack.add_channel(CAMPAIGNS, "campaigns")
        for key, value in {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_API_URL": slack.api_url,
            "CAMPAIGNS_CHANNEL": CAMPAIGNS,
            "APPROVER_IDS": REQUESTER,
            "META_API_VERSION": "v26.0",
        }.items():
            monkeypatch.setenv(key, value)
        _validate_create_and_check_health(campaign, graph)


def _validate_create_and_check_health(campaign: Path, graph: GraphEmulator) -> None:

    code, out = run("validate", str(campaign))
    assert code == 0, out
    assert "OK: ready to create." in out

    code, out = run("create", str(campaign))
    assert code == 0, out
    assert len(graph.objects("ad")) == 1

    code, out = run("health")
    assert code == 0, out
    assert out.startswith("healthy: settings complete, 1 accounts")
    assert "warning: template skipped: " in out and SKIPPED in out


def test_templates_dir_names_the_folder_and_each_broken_file_is_skipped_alone(
    new_team_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = new_team_env / "our-templates"
    folder.mkdir()
    (folder / "acme-spring.yaml").write_text(
        "label: ACME spring sale\naccount: acme-us\ncountries: [US]\n"
    )
    (folder / "typo.yaml").write_text("account: acme-us\nbudget: 50\n")
    (folder / "broken.yaml").write_text("account: [acme-us\n")
    monkeypatch.setenv("TEMPLATES_DIR", str(folder))

    with caplog.at_level(logging.WARNING, logger="bot.bootstrap"):
        services = build_services(Settings(), with_meta=False, base_dir=ROOT)

    campaigns = services.campaigns
    assert campaigns.template_choices() == [("acme-spring", "ACME spring sale")]
    notes = campaigns.template_notes()
    assert [note.split(":")[0] for note in notes] == ["broken.yaml", "typo.yaml"]
    assert "unknown fields budget" in notes[1]
    skipped = [r.getMessage() for r in caplog.records if "template skipped" in r.getMessage()]
    assert len(skipped) == 2 and all(str(folder) in line for line in skipped)


def test_the_bot_starts_logs_the_skipped_template_and_says_so_under_the_select(
    slack: SlackEmulator,
    graph: GraphEmulator,
    own_accounts: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(ROOT)
    settings = bot_settings(slack, graph, tmp_path / "adbee.db", accounts_file=own_accounts)
    with caplog.at_level(logging.WARNING, logger="bot.bootstrap"):
        running = start_bot(settings, base_dir=ROOT)
    try:
        slack.wait_for_connection(timeout=10)
        assert any(SKIPPED in r.getMessage() for r in caplog.records)

        slack.slash_command(user=REQUESTER, channel=CAMPAIGNS, command="/campaign", text="create")
        view = slack.wait_for_view(user=REQUESTER, timeout=5, callback_id="campaign-create")
    finally:
        slack.close_handler(running.handler)
        running.stop()

    block_ids = [block.get("block_id") for block in view["blocks"]]
    assert B.TEMPLATE not in block_ids  # no usable template: no select to pick a broken one
    (note,) = [b for b in view["blocks"] if b.get("block_id") == B.TEMPLATE_NOTES]
    assert "Unavailable template, skipped" in note["elements"][0]["text"]
    assert SKIPPED in note["elements"][0]["text"]
