"""Entry point: ``python -m bot`` (see ``bot.cli``)."""

from __future__ import annotations

import sys

from dotenv import load_dotenv

from bot.cli import main

if __name__ == "__main__":
    load_dotenv(override=False)
    sys.exit(main())
