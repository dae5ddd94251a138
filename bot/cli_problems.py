"""How the CLI commands print a refusal: the problems by field, and that nothing was sent."""

from __future__ import annotations

from typing import TextIO

from meta.domain.errors import ValidationError


def print_refusal(exc: ValidationError, out: TextIO, *, where: str | None = None) -> int:
    """Print ``exc``'s problems, one per field, under ``where`` (a file) if given; returns the
    exit code 1, so a command can ``return print_refusal(...)``."""
    head = f"{where}: " if where else ""
    print(f"{head}{len(exc.problems)} problem(s); nothing was sent to Meta:", file=out)
    for problem in exc.problems:
        print(f"  - {problem.field}: {problem.message}", file=out)
    return 1
