"""A platform engineer's first `.env`: every wrong shape is refused with the right form named.

Run through ``python -m bot validate``'s entry (``bot.cli.main``), the way the engineer meets
them, and through ``Settings`` for the rules one by one.
"""

from __future__ import annotations

import io
from pathlib import Path

import pydantic
import pytest

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Fake, assembled at run time so no committed line looks like a real Slack token.
FILE_TOKEN = "xoxb" + "-from-a-file"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, _secrets_dir=None, **values)  # type: ignore[arg-type]


def problems(**values: object) -> str:
    with pytest.raises(pydantic.ValidationError) as caught:
        settings(**values)
    return "\n".join(f"{e['loc']}: {e['msg']}" for e in caught.value.errors())


def test_a_channel_name_is_refused_and_the_channel_id_form_is_named():
    text = problems(campaigns_channel="#campaigns")
    assert "'#campaigns' is not a channel id" in text
    assert "C0123456789" in text


def test_a_user_name_among_the_approvers_is_refused_with_the_id_forms():
    text = problems(approver_ids="U0123ABCD,bob")
    assert "'bob': not Slack ids" in text
    assert "U0123456789" in text and "S0123456789" in text
    assert "'U0123ABCD'" not in text  # the good id is not blamed


def test_real_slack_id_shapes_are_accepted():
    good = settings(
        campaigns_channel="C0123ABCD",
        alerts_channel="G0123ABCD",
        approver_ids="U0123ABCD, W0123ABCD;S0123ABCD",
        admin_ids="U0999ZZZZ",
    )
    assert good.approver_ids == ["U0123ABCD", "W0123ABCD", "S0123ABCD"]
    assert good.alerts_channel == "G0123ABCD"


def test_a_comment_read_as_a_value_is_refused_not_used_as_the_app_secret():
    # What Compose and `docker run --env-file` made of `META_APP_SECRET=   # optional; ...`
    text = problems(meta_app_secret="# optional; when set every call carries appsecret_proof")
    assert "META_APP_SECRET" in text and "comment" in text


def test_the_sync_interval_bound_is_enforced():
    assert "at least 10 seconds" in problems(sync_interval_seconds=5)
    assert settings(sync_interval_seconds=10).sync_interval_seconds == 10


def test_a_postgres_scheme_url_is_refused_with_the_scheme_to_write():
    assert "write postgresql://" in problems(database_url="postgres://adbee:pw@db:5432/adbee")


def test_log_settings_are_checked_too():
    assert "log_format" in problems(log_format="xml")
    assert settings(log_level="debug").log_level == "DEBUG"


def test_secrets_come_from_files_and_a_blank_env_value_does_not_hide_them(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "meta_access_token").write_text("EAAB-from-a-docker-secret\n")
    (secrets / "SLACK_BOT_TOKEN").write_text(FILE_TOKEN)
    monkeypatch.setenv("SECRETS_DIR", str(secrets))
    monkeypatch.setenv("META_ACCESS_TOKEN", "")  # `META_ACCESS_TOKEN=` left blank in .env
    loaded = Settings(_env_file=None)
    assert loaded.meta_access_token is not None
    assert loaded.meta_access_token.get_secret_value() == "EAAB-from-a-docker-secret"
    assert loaded.slack_bot_token is not None
    assert loaded.slack_bot_token.get_secret_value() == FILE_TOKEN


def test_the_environment_wins_over_a_secret_file(tmp_path, monkeypatch):
    (tmp_path / "meta_access_token").write_text("from-file")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("META_ACCESS_TOKEN", "from-env")
    loaded = Settings(_env_file=None)
    assert loaded.meta_access_token is not None
    assert loaded.meta_access_token.get_secret_value() == "from-env"


def test_the_cli_names_every_wrong_setting_in_one_run_without_pydantic_jargon(monkeypatch):
    monkeypatch.setenv("CAMPAIGNS_CHANNEL", "#campaigns")
    monkeypatch.setenv("APPROVER_IDS", "bob")
    monkeypatch.setenv("SYNC_INTERVAL_SECONDS", "1")
    out = io.StringIO()
    assert main(["health"], out=out) == 2
    text = out.getvalue()
    assert "CAMPAIGNS_CHANNEL: '#campaigns' is not a channel id" in text
    assert "APPROVER_IDS: 'bob': not Slack ids" in text
    assert "SYNC_INTERVAL_SECONDS: must be at least 10 seconds" in text
    assert "Value error" not in text and "Traceback" not in text


def test_the_accounts_file_reports_every_accounts_errors_at_once(tmp_path, monkeypatch):
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        "accounts:\n"
        "  sg:\n    name: SG\n    ad_account_id: '123'\n    page_id: '1'\n    pixel_id: '2'\n"
        "    currency: SGD\n    timezone: Asia/Singapore\n"
        "  my:\n    name: MY\n    ad_account_id: act_1\n    page_id: abc\n    pixel_id: '2'\n"
        "    currency: XXX\n    timezone: Asia/Kuala_Lumpur\n"
    )
    monkeypatch.setenv("ACCOUNTS_FILE", str(accounts))
    out = io.StringIO()
    assert main(["validate", str(ROOT / "configs/campaigns/ainote2-sg.yaml")], out=out) == 2
    text = out.getvalue()
    assert "2 accounts have problems" in text
    assert "account 'sg': ad_account_id: must look like act_1234567890" in text
    assert "account 'my': page_id: must be a numeric id" in text
    assert "currency: unsupported currency" in text
