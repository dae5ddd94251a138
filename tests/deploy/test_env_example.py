"""`.env.example` copied to `.env` works under Docker: no setting's value is a comment.

``docker run --env-file`` takes everything after the first ``=`` literally (only whole lines
starting with ``#`` are comments: docs.docker.com, "docker container run", --env-file), so the
test reads the file that way. When a Compose CLI is installed, ``compose config`` is run on the
real ``compose.yaml`` too (Compose v1 cannot read the top-level ``name:``, so it gets a copy
without it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"


def docker_env_file(path: Path) -> dict[str, str]:
    """What ``docker run --env-file`` passes: KEY=VALUE lines, the value taken as written."""
    values = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value
    return values


def test_docker_run_env_file_reads_no_comment_as_a_value():
    values = docker_env_file(EXAMPLE)
    assert values, "the example sets some keys"
    commented = {k: v for k, v in values.items() if "#" in v or v != v.strip()}
    assert commented == {}


def test_python_dotenv_and_docker_read_the_same_values():
    # The bot reads .env through python-dotenv; Docker reads it literally. They must agree.
    assert {k: v or "" for k, v in dotenv_values(EXAMPLE).items()} == docker_env_file(EXAMPLE)


def test_every_value_in_the_example_is_a_valid_setting_or_blank(monkeypatch):
    from bot.settings import Settings

    for key, value in docker_env_file(EXAMPLE).items():
        monkeypatch.setenv(key, value)
    Settings(_env_file=None, _secrets_dir=None)  # raises if any value is malformed


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_with_the_example_env_shows_no_comment_values(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip("no Compose CLI on this machine (docker compose or docker-compose)")
    compose = (ROOT / "compose.yaml").read_text()
    if command[0].endswith("docker-compose"):  # v1: no top-level `name:`
        compose = "\n".join(line for line in compose.splitlines() if not line.startswith("name:"))
    (tmp_path / "compose.yaml").write_text(compose)
    env = EXAMPLE.read_text() + "\nPOSTGRES_PASSWORD=0123456789abcdef\n"
    (tmp_path / ".env").write_text(env)
    done = subprocess.run(
        [*command, "-f", "compose.yaml", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    for name in ("bot", "migrate"):
        environment = config["services"][name]["environment"]
        comments = {k: v for k, v in environment.items() if isinstance(v, str) and "#" in v}
        assert comments == {}, name
        assert environment["DATABASE_URL"].startswith("postgresql://adbee:")
