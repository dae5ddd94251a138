"""Reading Meta's answer headers: case-insensitive names, JSON-valued usage headers, Retry-After."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup that also works on plain dicts (e.g. from the SDK)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def json_header(headers: Mapping[str, str] | None, name: str) -> Any:
    """A header whose value is JSON (Meta's usage headers); None when absent or malformed."""
    raw = header_value(headers, name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.debug("ignoring malformed %s header: %r", name, raw[:200])
        return None


def positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``Retry-After`` in seconds (it may be seconds or an HTTP date); None when absent."""
    retry_after = header_value(headers, "Retry-After")
    if not retry_after:
        return None
    seconds = positive(retry_after.strip())
    if seconds is None:
        try:
            when = email.utils.parsedate_to_datetime(retry_after)
            seconds = positive(when.timestamp() - time.time())
        except (TypeError, ValueError, IndexError):
            seconds = None
    return seconds
