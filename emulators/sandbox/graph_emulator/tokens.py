"""``/debug_token`` and ``/me``: what Meta tells a token's holder about the token.

Shapes from developers.facebook.com/docs/graph-api/reference/debug_token (``data`` with
``app_id``, ``type``, ``application``, ``expires_at``, ``is_valid``, ``issued_at``, ``scopes``,
``user_id``; an invalid input token is ``is_valid: false`` with an ``error`` object, answered
with HTTP 200) and /docs/graph-api/reference/user/permissions (``data`` of
``{permission, status}``). The caller's own ``access_token`` is checked before either runs,
as for any Graph call, so an expired token asking about itself gets the 190 error itself.
"""

from __future__ import annotations

from typing import Any

from .context import Ctx
from .errors import GraphError, unknown_path
from .store import Token

APP_ID = "1000000000000001"
APP_NAME = "AdBee"


def debug_token(ctx: Ctx) -> dict[str, Any]:
    value = ctx.params.text("input_token")
    if value is None:
        raise GraphError(
            message="(#100) The parameter input_token is required",
            code=100,
            type="GraphMethodException",
        )
    token = ctx.store.tokens.get(value)
    if token is None:
        return {
            "data": {
                "error": {
                    "code": 190,
                    "message": "Invalid OAuth access token - Cannot parse access token",
                },
                "is_valid": False,
                "scopes": [],
            }
        }
    data: dict[str, Any] = {
        "app_id": APP_ID,
        "type": token.token_type,
        "application": APP_NAME,
        "data_access_expires_at": 0,
        "expires_at": token.expires_at,
        "is_valid": not is_expired(token, ctx.now),
        "issued_at": int(ctx.now) - 86_400,
        "scopes": list(token.scopes),
        "granular_scopes": [{"scope": scope} for scope in token.scopes],
        "user_id": token.user_id,
    }
    if not data["is_valid"]:
        data["error"] = {
            "code": 190,
            "message": "Error validating access token: Session has expired.",
            "subcode": 463,
        }
    return {"data": data}


def me(ctx: Ctx, rest: list[str]) -> dict[str, Any]:
    token = ctx.store.tokens.get(ctx.params.text("access_token") or "")
    if token is None:  # the app already refused unknown tokens; a header token lands here
        raise unknown_path("/me")
    if not rest:
        return {"id": token.user_id, "name": token.user_name}
    if rest == ["permissions"]:
        return {"data": [{"permission": scope, "status": "granted"} for scope in token.scopes]}
    raise unknown_path("/me/" + "/".join(rest))


def is_expired(token: Token, now: float) -> bool:
    return token.expired or bool(token.expires_at and token.expires_at <= now)
