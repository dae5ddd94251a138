"""The Meta token expires; the operator renews it in its file and the running bot carries on.

No restart: the bot re-reads the token's file (a secret file or .env) and its Graph calls and
uploads use the new token. A token set in the process environment cannot change under a running
process, and the bot says that a restart is needed then.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.meta_token import pick_up_renewed_token, restart_hint, token_file
from bot.settings import Settings
from meta.domain.errors import MetaApiError
from meta.graph.client import GraphClient
from sandbox.graph_emulator import GraphEmulator


def test_a_token_renewed_in_its_secret_file_is_used_without_a_restart(
    graph: GraphEmulator, tmp_path: Path, monkeypatch
):
    graph.add_token("EAAB-old-token", expired=True)
    graph.add_token("EAAB-new-token")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "meta_access_token").write_text("EAAB-old-token\n")
    monkeypatch.setenv("SECRETS_DIR", str(secrets))
    monkeypatch.delenv("META_ACCESS_TOKEN", raising=False)
    settings = Settings(_env_file=None, adbee_sandbox=True, meta_graph_url=graph.url)
    source = token_file(settings, env_file=tmp_path / ".env")
    assert source is not None and source.path == secrets / "meta_access_token"
    client = GraphClient(settings.meta_config())
    with pytest.raises(MetaApiError) as expired:
        client.get("me")
    assert expired.value.code == 190

    assert pick_up_renewed_token(client, source, settings) is False  # nothing changed yet
    (secrets / "meta_access_token").write_text("EAAB-new-token\n")
    assert pick_up_renewed_token(client, source, settings) is True

    assert client.get("me")["id"]
    assert client.credentials()[0] == "EAAB-new-token"
    assert "without a restart" in restart_hint(source)


def test_a_token_renewed_in_dotenv_is_picked_up(graph, tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("# AdBee\nMETA_ACCESS_TOKEN=EAAB-first\n")
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-first")  # what bot.__main__'s load_dotenv does
    settings = Settings(_env_file=None, adbee_sandbox=True)
    source = token_file(settings, env_file=env_file)
    assert source is not None and source.dotenv
    env_file.write_text("# AdBee\nMETA_ACCESS_TOKEN=EAAB-second\n")
    client = GraphClient(settings.meta_config())
    assert pick_up_renewed_token(client, source, settings) is True
    assert client.config.access_token == "EAAB-second"


def test_a_placeholder_written_into_the_file_is_not_taken(graph, tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("META_ACCESS_TOKEN=EAAB-first\n")
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-first")
    settings = Settings(_env_file=None)
    source = token_file(settings, env_file=env_file)
    assert source is not None
    env_file.write_text("META_ACCESS_TOKEN=your-token-here\n")
    client = GraphClient(settings.meta_config())
    assert pick_up_renewed_token(client, source, settings) is False
    assert client.config.access_token == "EAAB-first"


def test_a_token_from_the_process_environment_needs_a_restart_and_the_bot_says_so(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-from-compose-environment")
    settings = Settings(_env_file=None, adbee_sandbox=True)
    source = token_file(settings, env_file=tmp_path / ".env")
    assert source is None
    assert "restart AdBee" in restart_hint(source)
