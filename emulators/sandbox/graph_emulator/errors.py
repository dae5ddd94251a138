"""Graph API error envelopes.

Every failure the emulator produces goes through :class:`GraphError` so the JSON shape, HTTP
status and ``is_transient`` flag stay identical to Meta's (platform-facts.md §5): clients (and the
SDK's ``FacebookRequestError``) parse these fields, so one wrong key type breaks them.
Message texts marked uncertain in platform-facts.md are best guesses; codes/subcodes are the contract.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"

# Codes whose HTTP status differs from the usual 400 (platform-facts.md §5 "HTTP status").
_HTTP_STATUS_BY_CODE: dict[int, int] = {1: 500, 2: 503, 10: 403}


def new_trace_id() -> str:
    """Random fbtrace-like id; echoed in the error body and the ``x-fb-trace-id`` header."""
    return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))


def default_http_status(code: int) -> int:
    """HTTP status Meta typically pairs with an error code (permission 403, 1/2 5xx)."""
    if code in _HTTP_STATUS_BY_CODE:
        return _HTTP_STATUS_BY_CODE[code]
    if 200 <= code <= 299:
        return 403
    return 400


@dataclass
class GraphError(Exception):
    """A Graph API error; raise it anywhere in request handling to answer with the envelope.

    ``error_data`` must be a dict or a *valid JSON string*: the SDK json-decodes any string
    and would crash inside its exception constructor otherwise (platform-facts.md §8).
    """

    message: str
    code: int
    subcode: int | None = None
    type: str = "OAuthException"
    user_title: str | None = None
    user_msg: str | None = None
    is_transient: bool = False
    error_data: dict[str, Any] | str | None = None
    http_status: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if isinstance(self.error_data, str):
            json.loads(self.error_data)  # fail fast: a non-JSON string would crash the SDK

    @property
    def status(self) -> int:
        """HTTP status to send."""
        return self.http_status if self.http_status is not None else default_http_status(self.code)

    def body(self, trace_id: str) -> dict[str, Any]:
        """The ``{"error": {...}}`` envelope with keys in Meta's order."""
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.error_data is not None:
            err["error_data"] = self.error_data
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["is_transient"] = self.is_transient
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = trace_id
        return {"error": err}


def blame(*fields: str) -> str:
    """``error_data`` JSON string naming the offending fields, as Marketing API validations do."""
    return json.dumps({"blame_field_specs": [[f] for f in fields]})


def invalid(
    subcode: int | None,
    title: str,
    msg: str,
    *fields: str,
    type_: str = "OAuthException",
) -> GraphError:
    """The common Marketing API validation shape: "Invalid parameter" + user title/msg."""
    return GraphError(
        message="Invalid parameter",
        code=100,
        subcode=subcode,
        type=type_,
        user_title=title,
        user_msg=msg,
        error_data=blame(*fields) if fields else None,
    )


def param_error(message: str) -> GraphError:
    """Plain ``(#100) ...`` parameter error (required/enum/type checks of the param layer)."""
    return GraphError(message=f"(#100) {message}", code=100)


def required(name: str) -> GraphError:
    """Missing required parameter."""
    return param_error(f"The parameter {name} is required")


def must_be_one_of(name: str, allowed: Iterable[object]) -> GraphError:
    """Enum violation in Graph's ``Param x must be one of {A, B}`` wording."""
    values = ", ".join(sorted(str(v) for v in allowed))
    return param_error(f"Param {name} must be one of {{{values}}}")


def unsupported_request(method: str, object_id: str) -> GraphError:
    """Unknown/unauthorised object (100/33) with the method-specific wording."""
    return GraphError(
        message=(
            f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation. "
            "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
        code=100,
        subcode=33,
        type="GraphMethodException",
    )


def nonexisting_field(field_name: str, node_type: str) -> GraphError:
    """Unknown field on a node read."""
    return param_error(
        f"Tried accessing nonexisting field ({field_name}) on node type ({node_type})"
    )


def unknown_path(components: str) -> GraphError:
    """Edge/path the Graph does not know (code 2500)."""
    return GraphError(message=f"Unknown path components: {components}", code=2500)


class RawResponse(Exception):
    """Answer with a bare status and body (e.g. the 413 with an empty body Meta sends for an
    oversized single-request upload) instead of a JSON envelope."""

    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/html") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
