"""``python -m bot demo`` finds the emulators beside the code, and says so in one line without them.

Both run in a fresh interpreter with no PYTHONPATH beyond the code itself, as a clean clone and the
production image (which leaves emulators/ out, see .dockerignore) run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.demo import MISSING
from tests.reliability.conftest import ROOT

PRODUCT = ("bot", "handlers", "jobs", "meta", "storage", "configs")


def _env(pythonpath: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_"))}
    return {**env, "PYTHONPATH": str(pythonpath)}


def test_a_source_checkout_finds_the_emulators_beside_the_code(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from bot.demo import load_demo; print(load_demo().__file__)"],
        cwd=tmp_path,
        env=_env(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == ROOT / "emulators" / "sandbox" / "demo.py"


def test_without_the_emulators_the_demo_says_so_in_one_line(tmp_path: Path) -> None:
    image = tmp_path / "app"
    for name in PRODUCT:  # what the image copies of the code; emulators/ is not among it
        shutil.copytree(ROOT / name, image / name, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=image,
        env=_env(image),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [MISSING]
    assert done.stdout == ""
