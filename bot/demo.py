"""``python -m bot demo``: the entry point of the offline demo, whose story lives with the emulators.

The demo (``sandbox.demo``) drives the real bot against the Slack and Graph API emulators, which
are a package of their own (``emulators/``, import name ``sandbox``) and stay out of the
production image. This is the one place product code may import them (the import contract in
``.importlinter`` allows exactly this edge): from a source checkout it finds ``emulators/`` beside
the code when the package is not installed, so the README's first command works from a clean
clone; where the emulators are absent (the Docker image) it says so in one line.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TextIO

# emulators/ beside bot/ in a source checkout (the distribution folder holding ``sandbox``).
EMULATORS_DIR = Path(__file__).resolve().parent.parent / "emulators"
MISSING = (
    "error: `python -m bot demo` needs the emulators (package `sandbox`), which the production "
    "image leaves out: run the demo from a source checkout, where they live in emulators/."
)


def load_demo(emulators_dir: Path = EMULATORS_DIR) -> ModuleType | None:
    """``sandbox.demo``, installed or found in ``emulators_dir``; ``None`` when neither holds it."""
    if importlib.util.find_spec("sandbox") is None and (emulators_dir / "sandbox").is_dir():
        sys.path.insert(0, str(emulators_dir))
    try:
        from sandbox import demo
    except ModuleNotFoundError as exc:
        if exc.name == "sandbox":
            return None
        raise  # the emulators are there but something they need is not: that is the error
    return demo


def run_demo(*, out: TextIO, err: TextIO | None = None, speed: float = 1.0) -> int:
    """Play the demo; 2 with one line on ``err`` when the emulators are not available."""
    demo = load_demo()
    if demo is None:
        print(MISSING, file=err or sys.stderr)
        return 2
    result: int = demo.run_demo(out=out, speed=speed)
    return result
