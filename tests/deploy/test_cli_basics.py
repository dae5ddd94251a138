"""`python -m bot --version`, and every subcommand's --help shows how to use it."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from bot import __version__
from bot.cli import _parser
from tests.reliability.conftest import ROOT

COMMANDS = ("validate", "create", "run", "demo", "health", "init-db")


def test_version_is_the_projects(capsys):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert __version__ == pyproject["project"]["version"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"AdBee {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert f"python -m bot {command}" in text or (command == "run" and "python -m bot" in text)


def test_the_top_level_help_lists_the_commands_with_examples(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "--version" in text
    for command in COMMANDS:
        assert command in text
