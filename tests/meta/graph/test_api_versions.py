"""Meta expires API versions on published dates; AdBee defaults to a current one and warns ahead.

Dates: Meta's Marketing API version history (v24.0 expired 2026-11-10, v25.0 expires 2027-02-23,
v26.0/v27.0 have no expiry announced yet).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from facebook_business.apiconfig import ads_api_config

from bot.database_init import init_db
from bot.runner import health
from bot.settings import Settings
from meta.graph.client import MetaConfig
from meta.graph.versions import CALENDAR, DEFAULT_API_VERSION, version_warning

ROOT = Path(__file__).resolve().parents[3]


def test_the_default_version_is_the_sdks_and_has_not_expired() -> None:
    assert DEFAULT_API_VERSION == ads_api_config["API_VERSION"] == "v26.0"
    assert Settings(_env_file=None).meta_api_version == DEFAULT_API_VERSION
    assert MetaConfig(access_token="t").api_version == DEFAULT_API_VERSION
    assert version_warning(DEFAULT_API_VERSION, date(2026, 12, 1)) is None


def test_no_warning_until_thirty_days_before_expiry_then_a_countdown() -> None:
    assert version_warning("v25.0", date(2027, 1, 23)) is None  # 31 days left
    warning = version_warning("v25.0", date(2027, 1, 24))
    assert warning == (
        "META_API_VERSION=v25.0 expires on 2027-02-23 (in 30 days); after that Meta refuses every "
        "call (error 2635). Set META_API_VERSION=v27.0 and restart AdBee before then."
    )
    assert "(in 1 day)" in (version_warning("v25.0", date(2027, 2, 22)) or "")


def test_an_expired_version_says_it_is_refused_and_what_to_set() -> None:
    warning = version_warning("v24.0", date(2026, 11, 10))
    assert warning is not None
    assert warning.startswith("META_API_VERSION=v24.0 expired on 2026-11-10")
    assert "error 2635" in warning and "META_API_VERSION=v27.0" in warning


def test_a_version_missing_from_the_calendar_is_a_warning_that_adbee_cannot_tell() -> None:
    assert "v99.0" not in CALENDAR
    warning = version_warning("v99.0", date(2026, 12, 1))
    assert warning is not None and "cannot tell when Meta expires it" in warning


def _settings(tmp_path: Path, version: str) -> Settings:
    settings = Settings(
        _env_file=None,
        meta_api_version=version,
        database_url=f"sqlite:///{tmp_path / 'adbee.db'}",
        accounts_file=ROOT / "configs" / "accounts.yaml",
    )  # type: ignore[call-arg]
    init_db(settings, out=io.StringIO())  # health creates nothing: the database is set up first
    return settings


def test_health_warns_thirty_days_before_the_configured_version_expires(tmp_path: Path) -> None:
    out = io.StringIO()
    soon = lambda: datetime(2027, 2, 1, 9, 0, tzinfo=UTC)  # noqa: E731
    # No tokens here, so health is "down" for its settings; the version is judged all the same.
    health(_settings(tmp_path, "v25.0"), out=out, clock=soon)
    lines = out.getvalue().splitlines()
    assert (
        "degraded: META_API_VERSION=v25.0 expires on 2027-02-23 (in 22 days); after that Meta "
        "refuses every call (error 2635). Set META_API_VERSION=v27.0 and restart AdBee before then."
    ) in lines
    quiet = io.StringIO()
    early = lambda: datetime(2027, 1, 1, 9, 0, tzinfo=UTC)  # noqa: E731
    health(_settings(tmp_path, "v25.0"), out=quiet, clock=early)
    assert "META_API_VERSION" not in quiet.getvalue()


def test_health_names_an_unknown_version(tmp_path: Path) -> None:
    out = io.StringIO()
    health(_settings(tmp_path, "v99.0"), out=out)
    assert "degraded: META_API_VERSION=v99.0 is not in AdBee's calendar" in out.getvalue()
