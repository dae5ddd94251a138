"""The product's tests. Interpreters they start (``python -m tests.jobs.pg_worker``, ...) import
this first, so they find the emulators (``emulators/``, import name ``sandbox``) of this checkout as
pytest does (``pythonpath`` in pyproject.toml), without an install."""

import sys
from pathlib import Path

_EMULATORS = str(Path(__file__).resolve().parent.parent / "emulators")
if _EMULATORS not in sys.path:
    sys.path.insert(1, _EMULATORS)
