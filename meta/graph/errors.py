"""Turn a Graph API answer (status, headers, body) into data or a ``MetaApiError``.

Raw ``requests`` calls (the video uploader) and the SDK (whose ``FacebookRequestError`` exposes
``http_status()``, ``http_headers()`` and ``body()``) both end up here, so every layer above sees
the same error fields, and the same decision rules as the SDK apply (meta-api.md §5, §8): failure is
decided from the JSON body (an ``error`` object or ``{"success": false}``), not only from the HTTP
status, and bodies that are not JSON (a 413 from Meta's front end, a proxy's HTML page) still become
a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from meta.domain.errors import MetaApiError
from meta.graph.headers import header_value, retry_after_seconds
from meta.graph.retry import is_throttle, throttle_wait_seconds
from meta.graph.throttles import throttle_wait

Body = bytes | str | Mapping[str, Any] | list[Any] | None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _decode(body: Body) -> tuple[Any, str]:
    """Parsed JSON (or None) and the body as text (for messages)."""
    if body is None:
        return None, ""
    if isinstance(body, Mapping | list):
        return body, ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return None, ""
    try:
        return json.loads(text), text
    except ValueError:
        return None, text


def _error_data(raw: Any) -> dict[str, Any]:
    """``error_data`` arrives as an object or as a JSON-encoded string; anything else is dropped."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return dict(raw) if isinstance(raw, Mapping) else {}


def _blame_fields(error_data: Mapping[str, Any]) -> list[str]:
    """``blame_field_specs`` is a list of field paths (``[["dsa_payor"]]``); flatten to dotted names."""
    specs = error_data.get("blame_field_specs")
    if not isinstance(specs, list):
        return []
    fields: list[str] = []
    for spec in specs:
        name = ".".join(str(part) for part in spec) if isinstance(spec, list) else str(spec)
        if name:
            fields.append(name)
    return fields


def _describe_non_json(status: int, text: str, headers: Mapping[str, str] | None) -> str:
    if status == 413:
        return "Meta refused the upload as too large (HTTP 413)"
    if not text:
        if status >= 500:
            return f"Meta's servers answered HTTP {status} without details (a temporary outage?)"
        return f"Meta answered HTTP {status} with an empty body"
    content_type = header_value(headers, "Content-Type") or "unknown content type"
    snippet = " ".join(text.split())[:120]
    return f"Meta answered HTTP {status} with a non-JSON body ({content_type}): {snippet!r}"


def error_from_response(
    status: int,
    headers: Mapping[str, str] | None,
    body: Body,
    *,
    account_id: str | None = None,
) -> MetaApiError:
    """Build the ``MetaApiError`` for a failed call; never raises itself.

    ``body`` may be raw bytes/text or already-parsed JSON (the SDK's ``body()``). ``account_id``
    picks that account's entry in ``X-Business-Use-Case-Usage`` when computing the throttle wait.
    """
    parsed, text = _decode(body)
    trace_header = header_value(headers, "x-fb-trace-id")
    envelope = parsed.get("error") if isinstance(parsed, Mapping) else None

    if isinstance(envelope, Mapping):
        data = _error_data(envelope.get("error_data"))
        message = str(envelope.get("message") or f"Meta answered HTTP {status} with an error")
        error = MetaApiError(
            message=message,
            code=_as_int(envelope.get("code")),
            subcode=_as_int(envelope.get("error_subcode")),
            user_title=envelope.get("error_user_title") or None,
            user_message=envelope.get("error_user_msg") or None,
            http_status=status,
            is_transient_flag=_as_bool(envelope.get("is_transient", False)),
            fbtrace_id=envelope.get("fbtrace_id") or parsed.get("__fb_trace_id__") or trace_header,
            blame_fields=_blame_fields(data),
            error_data=data,
        )
    elif isinstance(parsed, Mapping) and parsed.get("success") is False:
        error = MetaApiError(
            message=f"Meta answered HTTP {status} with success=false and no error details",
            http_status=status,
            fbtrace_id=trace_header,
        )
    else:
        error = MetaApiError(
            message=_describe_non_json(status, text, headers),
            http_status=status,
            fbtrace_id=trace_header,
        )

    # Each throttle's own wait (meta.graph.throttles): the per-second mutation limit must not be
    # waited out for the score window's reset time that every answer carries.
    if is_throttle(error):
        error.retry_after_seconds = throttle_wait(
            error.code, error.subcode, headers, account_id=account_id
        )
    elif error.is_temporary_block:
        error.retry_after_seconds = throttle_wait_seconds(headers, account_id=account_id)
    else:  # e.g. a 503 with Retry-After
        error.retry_after_seconds = retry_after_seconds(headers)
    return error


def is_error_response(status: int, parsed: Any) -> bool:
    """The SDK's rule: an ``error`` object or ``success: false`` fails; else any 4xx/5xx fails."""
    if isinstance(parsed, Mapping) and (
        isinstance(parsed.get("error"), Mapping) or parsed.get("success") is False
    ):
        return True
    return status >= 400


def parse_graph_response(
    status: int,
    headers: Mapping[str, str] | None,
    body: Body,
    *,
    account_id: str | None = None,
) -> Any:
    """The decoded JSON of a successful answer; raises ``MetaApiError`` for a failed one.

    A 2xx answer that is not JSON is also an error (we cannot use it); an empty 200 body decodes to
    an empty dict, as the SDK treats it as success.
    """
    parsed, text = _decode(body)
    if is_error_response(status, parsed):
        raise error_from_response(status, headers, body, account_id=account_id)
    if parsed is None:
        if not text:
            return {}
        raise error_from_response(status, headers, body, account_id=account_id)
    return parsed
