"""The one module that talks to the Graph API through the ``facebook_business`` SDK.

It builds its own ``FacebookAdsApi`` instead of the SDK's process-wide default (no global state,
no crash reporter that would post our tracebacks to Meta), points it at ``META_GRAPH_URL``, and
turns every SDK or transport failure into ``MetaApiError``/``MetaTransportError`` so nothing
above this module handles SDK types. Retries and throttle waits follow ``meta.graph.retry``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from facebook_business.adobjects.adcreativefeaturesspec import AdCreativeFeaturesSpec
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession
from requests.adapters import HTTPAdapter

from meta.graph.errors import error_from_response
from meta.graph.http import settle
from meta.graph.retry import RetryPolicy
from meta.graph.usage import AccountUsage
from meta.graph.versions import DEFAULT_API_VERSION
from meta.telemetry import metrics

log = logging.getLogger(__name__)
CONNECTION_POOL_SIZE = 128


def creative_feature_names() -> tuple[str, ...]:
    """Every Advantage+ creative feature this SDK's API version knows, sorted.

    Read from the SDK's generated ``AdCreativeFeaturesSpec.Field`` (the keys of a creative's
    ``degrees_of_freedom_spec.creative_features_spec``), so upgrading the SDK brings Meta's new
    features with it instead of a hand-kept list falling behind.
    """
    fields = vars(AdCreativeFeaturesSpec.Field)
    return tuple(
        sorted(v for k, v in fields.items() if not k.startswith("_") and isinstance(v, str))
    )


@dataclass(frozen=True)
class MetaConfig:
    """Where and as whom to call Meta. ``repr`` never shows the token or secret."""

    access_token: str = field(repr=False)
    app_secret: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION  # see meta.graph.versions for its expiry
    graph_url: str = "https://graph.facebook.com"
    video_url: str = "https://graph-video.facebook.com"
    timeout: float = 60.0
    retry_attempts: int = 5
    retry_base_delay: float = 1.0
    max_throttle_wait: float = 300.0

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.retry_attempts,
            base_delay=self.retry_base_delay,
            max_delay=max(self.retry_base_delay * 30, 0.001),
            max_throttle_wait=self.max_throttle_wait,
        )

    @property
    def appsecret_proof(self) -> str | None:
        if not self.app_secret:
            return None
        import hashlib
        import hmac

        return hmac.new(
            self.app_secret.encode(), self.access_token.encode(), hashlib.sha256
        ).hexdigest()


class GraphClient:
    """``post``/``get``/``delete`` on Graph paths such as ``act_1/campaigns`` or ``<id>``."""

    def __init__(
        self,
        config: MetaConfig,
        *,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[Exception, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        usage: AccountUsage | None = None,
    ) -> None:
        self._api = self._connect(config)
        # Each ad account's rate-limit usage from Meta's answers: creations pace on it.
        self.usage = usage or AccountUsage()
        self._retry = retry or config.retry_policy()
        self._on_retry = on_retry
        self._sleep = sleep
        self.config = config

    def use_token(self, access_token: str) -> None:
        """Call as ``access_token`` from now on (a token renewed while the bot runs).

        Calls already in flight finish with the old session; the swap itself is one assignment.
        """
        config = replace(self.config, access_token=access_token)
        self._api = self._connect(config)
        self.config = config

    def credentials(self) -> tuple[str, str | None]:
        """The current token and its appsecret_proof, for requests made outside the SDK."""
        config = self.config
        return config.access_token, config.appsecret_proof

    @staticmethod
    def _connect(config: MetaConfig) -> FacebookAdsApi:
        session = FacebookSession(
            access_token=config.access_token,
            app_secret=config.app_secret,
            timeout=config.timeout,
        )
        # The SDK reads GRAPH from the session at call time; an instance attribute redirects
        # this client only, leaving the class default untouched for anything else.
        session.GRAPH = config.graph_url.rstrip("/")
        # requests keeps 10 connections per host by default; a burst of activations runs up to
        # ACTIVATION_WORKERS calls at once and would otherwise open (TLS) connections per call.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=CONNECTION_POOL_SIZE)
        session.requests.mount("https://", adapter)
        session.requests.mount("http://", adapter)
        if not config.graph_url.startswith("https://graph.facebook.com"):
            session.requests.verify = True
        # The SDK's own requests.Session: proxies and netrc read once, not per call.
        settle(session.requests, config.graph_url)
        return FacebookAdsApi(session, api_version=config.api_version)

    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict:
        return self._call("POST", path, params, idempotent=idempotent)

    def post_file(
        self, path: str, params: dict[str, Any], *, field: str, filename: str, content: bytes
    ) -> dict:
        """A multipart POST carrying ``content`` as the file part ``field`` (``filename``), as
        the SDK's ``AdImage.remote_create`` sends an ad image to ``act_<id>/adimages``.

        Retried like a read: every caller posts content-addressed files (Meta keys an ad image
        by the md5 of its bytes), so sending the same bytes twice makes nothing twice.
        """
        files = {field: (filename, content, "application/octet-stream")}
        return self._call("POST", path, params, idempotent=True, files=files)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._call("GET", path, params or {}, idempotent=True)

    def get_with_headers(
        self, path: str, params: dict[str, Any] | None = None
    ) -> tuple[dict, dict[str, str]]:
        """``get`` plus the answer's headers (the Insights reader paces on its throttle header)."""
        return self._call_with_headers("GET", path, params or {}, idempotent=True)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._call("DELETE", path, params or {}, idempotent=True)

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        *,
        idempotent: bool,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict:
        return self._call_with_headers(method, path, params, idempotent=idempotent, files=files)[0]

    def _call_with_headers(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        *,
        idempotent: bool,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[dict, dict[str, str]]:
        parts = tuple(part for part in path.strip("/").split("/") if part)

        def once() -> tuple[dict, dict[str, str]]:
            try:
                response = self._api.call(method, parts, params=dict(params), files=files)
            except FacebookRequestError as exc:
                body = exc.body()
                raw = json.dumps(body).encode() if isinstance(body, dict | list) else (body or b"")
                if isinstance(raw, str):
                    raw = raw.encode()
                headers = exc.http_headers() or {}
                metrics.record_usage_headers(headers)
                self.usage.record(headers)
                error = error_from_response(exc.http_status(), headers, raw)
                metrics.META_CALLS.labels(method, str(error.code or "unknown")).inc()
                # One line per refusal, retried or not, carrying Meta's fbtrace_id (the error is
                # an argument, so the JSON log format finds it): what Meta support asks for.
                log.info(
                    "Meta answered %s %s with code %s: %s",
                    method,
                    "/".join(parts[-2:]),
                    error.code,
                    error,
                )
                raise error from None
            except Exception:
                metrics.META_CALLS.labels(method, "transport").inc()
                raise
            metrics.META_CALLS.labels(method, "ok").inc()
            headers = dict(response.headers() or {})
            metrics.record_usage_headers(headers)
            self.usage.record(headers)
            body = response.json()
            return (body if isinstance(body, dict) else {"data": body}), headers

        return self._retry.run(
            once,
            idempotent=idempotent,
            on_retry=self._on_retry,
            sleep=self._sleep,
            describe=f"{method} {'/'.join(parts[-2:]) or '/'}",
        )
