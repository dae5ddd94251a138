"""What a log line is about: the AdBee #, the step, the Meta campaign id, Meta's ``fbtrace_id``.

Bound with ``bound(...)`` around a unit of work (a creation, a step, an activation) and read by
the JSON log formatter (``bot.logs``), so a line written deep inside a retry still names its
campaign without every ``log.*`` call passing it. ``contextvars`` keep threads and jobs apart.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

FIELDS = ("adbee_id", "campaign_id", "step", "fbtrace_id")
_context: contextvars.ContextVar[Mapping[str, object] | None] = contextvars.ContextVar(
    "adbee_log_context", default=None
)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Add ``fields`` (names from ``FIELDS``; ``None`` values are skipped) for the ``with`` body."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown log context field(s): {', '.join(sorted(unknown))}")
    merged = {**current(), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current() -> Mapping[str, object]:
    return _context.get() or {}
