"""The request pipeline, independent of HTTP so batch items can run through it too.

Order per request: version prefix -> token / appsecret_proof -> injected faults -> score
limiter -> route under the store lock -> envelope + headers -> record. Every request, failed
or not, is recorded so tests can assert what a client sent (or that it sent nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import versions
from .batch import execute_batch
from .context import Ctx
from .errors import GraphError, RawResponse, new_trace_id, unknown_path, unsupported_request
from .faults import FaultInjector
from .media import THUMBNAIL_JPEG
from .params import Params
from .ratelimit import RateLimiter
from .routes import dispatch, is_mutation, multi_id_read, resolve_account
from .settings import Settings
from .store import Store
from .tokens import is_expired
from .wire import RecordedRequest, Request, Response

log = logging.getLogger(__name__)

_VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")


class GraphApp:
    """Runs requests against the store; shared by the HTTP server and batch execution."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], float],
        faults: FaultInjector,
        limiter: RateLimiter,
        base_url: Callable[[], str],
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.faults = faults
        self.limiter = limiter
        self.base_url = base_url
        self.requests: list[RecordedRequest] = []
        self._record_lock = threading.Lock()

    # -- pipeline pieces -------------------------------------------------------------------

    def _version(self, segments: list[str], path: str) -> tuple[int, str]:
        head = segments[0] if segments else ""
        match = _VERSION_RE.match(head)
        if not match:
            raise unknown_path(f"{path} (requests must start with a /vNN.0/ version prefix)")
        major, minor = int(match.group(1)), int(match.group(2))
        now = self.clock()
        if minor == 0 and versions.is_expired(major, now):
            raise GraphError(
                message=(
                    "(#2635) You are calling a deprecated version of the Ads API. "
                    f"Please update to the latest version: v{versions.latest(now)}.0."
                ),
                code=2635,
            )
        if minor != 0 or not versions.is_released(major, now):
            raise unknown_path(f"/{head}")
        return major, head

    def _token(self, req: Request, params: dict[str, str]) -> str:
        token = params.get("access_token")
        auth = req.headers.get("authorization", "")
        if not token and auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() in ("oauth", "bearer"):
                token = value.strip()
        if not token:
            raise GraphError(
                message="An access token is required to request this resource.", code=104
            )
        known = self.store.tokens.get(token)
        if known is None:
            raise GraphError(
                message="Invalid OAuth access token - Cannot parse access token",
                code=190,
                subcode=467,
            )
        if is_expired(known, self.clock()):
            expired = datetime.fromtimestamp(known.expires_at or self.clock() - 3600, UTC)
            current = datetime.fromtimestamp(self.clock(), UTC)
            raise GraphError(
                message=(
                    "Error validating access token: Session has expired on "
                    f"{expired:%A, %d-%b-%y %H:%M:%S} UTC. The current time is "
                    f"{current:%A, %d-%b-%y %H:%M:%S} UTC."
                ),
                code=190,
                subcode=463,
            )
        secret = self.settings.app_secret
        if secret:
            proof = params.get("appsecret_proof")
            if not proof:
                raise GraphError(
                    message="API calls from the server require an appsecret_proof argument",
                    code=100,
                    type="GraphMethodException",
                )
            expected = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, expected):
                raise GraphError(
                    message="Invalid appsecret_proof provided in the API argument",
                    code=100,
                    type="GraphMethodException",
                )
        return token

    def _media(self, req: Request) -> Response:
        """Unauthenticated CDN stand-in for thumbnail/picture/image/video URLs."""
        with self.store.lock:
            return self._media_locked(req)

    def _media_locked(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p]
        body, ctype = THUMBNAIL_JPEG, "image/jpeg"
        if len(parts) == 3 and parts[1] == "images":
            digest = parts[2].partition(".")[0]
            image = next((i for i in self.store.images.values() if i.hash == digest), None)
            body = image.content if image else b""
            ctype = f"image/{image.format.lower()}" if image else ctype
        elif len(parts) == 3 and parts[1] == "videos":
            node = self.store.get(parts[2].removesuffix(".mp4"))
            body = (node.meta.get("content") or b"") if node else b""
            ctype = "video/mp4"
        status = 200 if body else 404
        return Response(status, body, {"Content-Type": ctype, "Content-Length": str(len(body))})

    def _headers(
        self, trace: str, version: str | None, account: str | None, regain: int | None
    ) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "x-fb-trace-id": trace,
            "x-fb-rev": "1029384756",
            "x-fb-debug": secrets.token_urlsafe(24),
            "Cache-Control": "private, no-cache, no-store, must-revalidate",
            "Pragma": "no-cache",
            "Access-Control-Allow-Origin": "*",
        }
        if version:
            headers["facebook-api-version"] = version
        headers.update(self.limiter.headers(account, regain))
        return headers

    # -- entry points ----------------------------------------------------------------------

    def reject(self, req: Request, error: GraphError) -> Response:
        """Answer (and record) a request the HTTP layer could not even decode."""
        body = json.dumps(error.body(new_trace_id()), separators=(",", ":")).encode()
        self._record(req, error.status, error)
        return Response(error.status, body, self._headers(new_trace_id(), None, None, None))

    def handle(self, req: Request) -> Response:
        """Run one request through the whole pipeline."""
        if req.path.startswith("/emulator-media/"):
            response = self._media(req)
            self._record(req, response.status, None)
            return response
        trace = new_trace_id()
        now = self.clock()
        version_str: str | None = None
        account: str | None = None
        regain: int | None = None
        drop = False
        delay_after = 0.0
        params = {**req.query, **req.body}
        extra_headers: dict[str, str] = {}  # filled by handlers (Ctx.response_headers)
        error: GraphError | None = None
        try:
            segments = [s for s in req.path.split("/") if s]
            version, version_str = self._version(segments, req.path)
            segments = segments[1:]
            method = req.method.upper()
            override = params.get("method", "").upper()
            if method in ("GET", "POST") and override in ("GET", "POST", "DELETE"):
                method = override
            self._token(req, params)
            with self.store.lock:
                # A multi-ID read is one call, charged to the account of its first object.
                scope = segments or [i.strip() for i in params.get("ids", "").split(",")][:1]
                acct = resolve_account(self.store, scope)
                mutation = is_mutation(method, segments, self.store)
            account = acct.numeric_id if acct else None
            fault = self.faults.pick(
                method,
                req.path,
                validate_only="validate_only" in str(params.get("execution_options", "")),
            )
            if fault is not None:
                if fault.delay_ms:
                    time.sleep(fault.delay_ms / 1000)
                if fault.empty_body:
                    raise RawResponse(fault.http_status or 500)
                if fault.drop_connection:
                    drop = True
                elif fault.code is None and fault.delay_after_ms:
                    delay_after = fault.delay_after_ms / 1000
                else:
                    fault_error = fault.to_error()
                    if fault.regain_minutes is not None:
                        regain = fault.regain_minutes
                        if fault.enforce_regain and account:
                            self.limiter.block(account, regain * 60, fault_error)
                    raise fault_error
            if method not in ("GET", "POST", "DELETE"):
                raise unsupported_request(method, "/".join(segments))
            if not segments and not (method == "GET" and "ids" in params):
                if method == "POST" and "batch" in params:
                    result: Any = execute_batch(self, req, params, version_str)
                else:
                    raise unsupported_request(method, "/")
            else:
                throttle = self.limiter.check(
                    account, is_write=method != "GET", is_mutation=mutation
                )
                if throttle is not None:
                    raise throttle
                with self.store.lock:
                    ctx = Ctx(
                        store=self.store,
                        settings=self.settings,
                        now=now,
                        version=version,
                        version_str=version_str,
                        base_url=self.base_url(),
                        method=method,
                        path=req.path,
                        params=Params(params),
                        files=req.files,
                        response_headers=extra_headers,
                    )
                    result = dispatch(ctx, segments) if segments else multi_id_read(ctx)
            status, payload = 200, result
        except GraphError as exc:
            error = exc
            status, payload = exc.status, exc.body(trace)
        except RawResponse as raw:
            response = Response(
                raw.status,
                raw.body,
                {"Content-Type": raw.content_type, "Content-Length": str(len(raw.body))},
            )
            self._record(req, raw.status, None, now)
            return response
        except Exception:  # an emulator bug must still answer like Graph does
            log.exception("graph emulator internal error on %s %s", req.method, req.path)
            error = GraphError(message="An unknown error occurred", code=1, http_status=500)
            status, payload = 500, error.body(trace)
        headers = self._headers(trace, version_str, account, regain)
        headers.update(extra_headers)
        if error is not None:
            headers.update(error.extra_headers)
        if error is not None and error.type == "OAuthException":
            text = error.message.encode("ascii", "replace").decode().replace('"', "'")
            headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_request" "{text}"'
        if params.get("suppress_http_code") == "1":
            status = 200
        body = json.dumps(payload, separators=(",", ":")).encode()
        self._record(req, status, error, now)
        if delay_after:
            time.sleep(delay_after)  # applied and recorded; the answer is held back
        return Response(status, body, headers, drop_connection=drop)

    def _record(
        self, req: Request, status: int, error: GraphError | None, now: float | None = None
    ) -> None:
        entry = RecordedRequest(
            method=req.method.upper(),
            path=req.path,
            query=dict(req.query),
            body=dict(req.body),
            status=status,
            time=self.clock() if now is None else now,
            via_batch=req.via_batch,
            files={name: len(f.content) for name, f in req.files.items()},
            error_code=error.code if error else None,
            error_subcode=error.subcode if error else None,
        )
        with self._record_lock:
            self.requests.append(entry)
