"""Entry point: ``python -m bot`` (see ``bot.cli``)."""

from __future__ import annotations

import logging
import os
import sys

from dotenv import load_dotenv

from bot.cli import main
from bot.logs import configure_from_environment


def entry() -> int:
    load_dotenv(override=False)
    configure_from_environment()
    # A closed stderr (a pager quit early) must not turn every later log call into a traceback.
    logging.raiseExceptions = False
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `python -m bot ... | head` closed the pipe: stop quietly, like other command-line tools.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe
    return code


if __name__ == "__main__":
    sys.exit(entry())
