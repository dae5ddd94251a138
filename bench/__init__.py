"""Benchmarks. They drive the emulators, a package of their own (``emulators/``, import name
``sandbox``): a source checkout's copy is put on the path here, so ``python -m bench...`` and the
interpreters it starts find them without an install."""

import sys
from pathlib import Path

_EMULATORS = str(Path(__file__).resolve().parent.parent / "emulators")
if _EMULATORS not in sys.path:
    sys.path.insert(1, _EMULATORS)
