"""Typed access to Graph request params (all arrive as strings on the wire).

The SDK JSON-encodes nested values per top-level param and sends ints as decimal text
(platform-facts.md §0.5); Graph re-parses each by its declared type. These helpers do the same and
raise the code-100 errors Graph returns for malformed values.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .errors import GraphError, param_error

_INT_RE = re.compile(r"^-?\d+$")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


class Params:
    """Read-only view over the merged query/body params of one request."""

    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = dict(raw)

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def has(self, name: str) -> bool:
        """True when the param is present and non-empty."""
        return self.raw.get(name, "") != ""

    def text(self, name: str, default: str | None = None) -> str | None:
        """Raw string value."""
        value = self.raw.get(name)
        return default if value is None or value == "" else value

    def integer(self, name: str, *, minimum: int | None = 0) -> int | None:
        """Integer param (budgets, offsets); floats and junk are rejected like Graph does."""
        value = self.text(name)
        if value is None:
            return None
        if not _INT_RE.match(value.strip()):
            raise param_error(f"Param {name} must be a valid integer")
        number = int(value.strip())
        if minimum is not None and number < minimum:
            raise param_error(f"Param {name} must be a non-negative integer")
        return number

    def boolean(self, name: str) -> bool | None:
        """Boolean param; Graph accepts true/false/1/0."""
        value = self.text(name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise param_error(f"Param {name} must be a boolean")

    def json(self, name: str) -> Any:
        """JSON-decoded param, or None when absent."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return json.loads(value)
        except ValueError:
            return _NotJson(value)

    def obj(self, name: str) -> dict[str, Any] | None:
        """JSON object param (targeting, promoted_object, object_story_spec, ...)."""
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise param_error(f"Param {name} must be a JSON object")
        return value

    def array(self, name: str) -> list[Any] | None:
        """JSON array param (special_ad_categories, execution_options, ...)."""
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise param_error(f"param {name} must be an array.")
        return value

    def fields(self) -> list[str] | None:
        """The ``fields`` param split at top-level commas (nested ``a{b,c}`` kept intact)."""
        value = self.text("fields")
        return split_fields(value) if value else None

    def execution_options(self) -> set[str]:
        """``execution_options`` as a set (validate_only, include_recommendations, ...)."""
        value = self.json("execution_options")
        if value is None:
            return set()
        if isinstance(value, _NotJson):
            return {value.text}
        if not isinstance(value, list):
            raise param_error("param execution_options must be an array.")
        return {str(v) for v in value}


class _NotJson:
    """Marker for a param that was meant to be JSON but is not (reported by the caller)."""

    def __init__(self, text: str) -> None:
        self.text = text


def split_fields(value: str) -> list[str]:
    """Split ``a,b{c,d},e.limit(3)`` at depth-0 commas; unbalanced brackets are Graph's syntax error."""
    _check_brackets(value)
    out: list[str] = []
    depth = 0
    current = ""
    for ch in value:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    return out


def _check_brackets(value: str) -> None:
    """Graph parses ``fields`` as a grammar and names the first character it could not take:
    ``(#100) Syntax error "Expected end of string instead of "}"." at character 7: ads{id}}``
    (the wording of Graph's field-expansion parser as developers quote it)."""
    stack: list[str] = []
    pairs = {"}": "{", ")": "("}
    for at, ch in enumerate(value):
        if ch in "{(":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack[-1] != pairs[ch]:
                raise param_error(
                    f'Syntax error "Expected end of string instead of "{ch}"." '
                    f"at character {at}: {value}"
                )
            stack.pop()
    if stack:
        closing = "}" if stack[-1] == "{" else ")"
        raise param_error(
            f'Syntax error "Expected "{closing}" instead of end of string." '
            f"at character {len(value)}: {value}"
        )


_MODIFIER_RE = re.compile(r"\.(\w+)\(([^()]*)\)")


def parse_field(spec: str) -> tuple[str, list[str] | None]:
    """``name.limit(2){a,b}`` -> ("name", ["a", "b"]); see ``field_limit`` for the modifier."""
    name, sub, _ = parse_field_spec(spec)
    return name, sub


def parse_field_spec(spec: str) -> tuple[str, list[str] | None, int | None]:
    """``ads.limit(50){id,status}`` or ``ads{id,status}.limit(50)`` -> (name, sub-fields, limit).

    Field expansion (Graph "Field Expansion" guide) knows ``.limit(n)`` on an edge; any other
    modifier is refused here rather than silently ignored, so a client cannot lean on one the
    emulator does not implement.
    """
    sub: list[str] | None = None
    brace = spec.find("{")
    rest = spec
    if brace >= 0:
        close = spec.rfind("}")
        sub = split_fields(spec[brace + 1 : close])
        rest = spec[:brace] + spec[close + 1 :]
    name, _, modifiers = rest.partition(".")
    limit: int | None = None
    text = f".{modifiers}" if modifiers else ""
    position = 0
    for match in _MODIFIER_RE.finditer(text):
        if match.start() != position:
            break
        position = match.end()
        modifier, argument = match.group(1), match.group(2).strip()
        if modifier != "limit":
            raise param_error(f"Unsupported field modifier .{modifier}() on {name.strip()}")
        if not _INT_RE.match(argument) or int(argument) < 0:
            raise param_error(f"Param limit must be a non-negative integer (.limit({argument}))")
        limit = int(argument)
    if position != len(text):
        raise param_error(f"Syntax error in field {spec!r}")
    return name.strip(), sub, limit


def parse_datetime(name: str, value: str) -> float:
    """Graph datetime param -> epoch seconds.

    Accepts UNIX timestamps and ISO-8601 with an explicit offset. Offset-less strings are
    rejected on purpose: Meta refuses them on ACTIVE creates (platform-facts.md §1.4) and a naive
    time silently lands in the account time zone otherwise.
    """
    text = value.strip()
    if _INT_RE.match(text):
        return float(int(text))
    match = _ISO_RE.match(text)
    if not match:
        raise _bad_time(name, value)
    year, month, day, hour, minute, second, tz = match.groups()
    if tz is None:
        raise _bad_time(name, value)
    if tz == "Z":
        offset = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=offset
        )
    except ValueError as exc:
        raise _bad_time(name, value) from exc
    return moment.timestamp()


def _bad_time(name: str, value: str) -> GraphError:
    return GraphError(
        message="Invalid parameter",
        code=100,
        subcode=None,
        user_title="Invalid Time",
        user_msg=(
            f"The value '{value}' for {name} is not a valid time. Use ISO-8601 with a UTC offset "
            "(e.g. 2026-11-01T07:00:00+0800) or a UNIX timestamp."
        ),
        error_data=json.dumps({"blame_field_specs": [[name]]}),
    )
