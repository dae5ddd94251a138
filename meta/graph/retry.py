"""When and how long to wait before calling Meta again.

Shared by the chunked video uploader and the Graph client (SDK calls), so the rules live in one
place (meta-api.md §5):

* a clean Meta error marked transient (``is_transient``, codes 1/2, bare HTTP 5xx) is retried with
  exponential backoff: Meta answered, so we know the call did not take effect;
* a throttle (codes 4, 17, 32, 341, 613, 80000-80014, HTTP 429) or a temporary block (368) is
  retried only after the wait Meta asks for in its rate-limit headers (or a default wait), because
  calling again early extends the block; if that is longer than we are willing to sleep
  in-process we give up and let the caller reschedule;
* 100/1487390 ("try again later" on ``adcreatives``) is not flagged transient by Meta but often
  works on an unchanged retry, so it gets ``unchanged_retries`` backoff retries, no more;
* a transport failure (connection dropped, timeout) leaves the outcome of a write unknown, so it is
  retried only for idempotent calls (a video chunk is offset-addressed, a GET is harmless); for a
  create we raise ``MetaTransportError`` and let the caller reconcile instead of double-creating.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from meta.domain.errors import MetaApiError, MetaTransportError
from meta.graph.headers import json_header, positive, retry_after_seconds
from meta.graph.throttles import Throttle, classify
from meta.telemetry import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")

# Exceptions meaning "the network failed", as opposed to "Meta answered with an error".
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ConnectionError,
    TimeoutError,
    MetaTransportError,
)

_SECRET_PARAM = re.compile(
    r"(access_token|input_token|appsecret_proof|client_secret)=[^&\s'\"]+", re.I
)


def redact_secrets(text: str) -> str:
    """Hide token-like query parameters: ``requests`` puts the full URL in its exception text."""
    return _SECRET_PARAM.sub(r"\1=<redacted>", text)


def throttle_wait_seconds(
    headers: Mapping[str, str] | None, *, account_id: str | None = None
) -> float | None:
    """Seconds Meta asks us to wait, read from its rate-limit headers; None if it says nothing.

    Meaningful after a throttle error (the usage headers are also sent on healthy calls, where a
    ``reset_time_duration`` only tells when the window rolls over). Sources, longest wins:

    * ``X-Business-Use-Case-Usage``: ``{"<id>": [{"type", "estimated_time_to_regain_access" (min)}]}``;
      with ``account_id`` (``act_`` prefix optional) only that account's entries count, if present;
    * ``X-Ad-Account-Usage``: ``{"reset_time_duration": <seconds>}``;
    * ``Retry-After``: seconds or an HTTP date.
    """
    waits: list[float] = []

    buc = json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        entries: list[Any] = []
        wanted = account_id.removeprefix("act_") if account_id else None
        if wanted is not None and wanted in buc:
            entries = buc[wanted] if isinstance(buc[wanted], list) else []
        else:
            for value in buc.values():
                if isinstance(value, list):
                    entries.extend(value)
        for entry in entries:
            if isinstance(entry, dict):
                minutes = positive(entry.get("estimated_time_to_regain_access"))
                if minutes is not None:
                    waits.append(minutes * 60.0)

    account_usage = json_header(headers, "X-Ad-Account-Usage")
    if isinstance(account_usage, dict):
        seconds = positive(account_usage.get("reset_time_duration"))
        if seconds is not None:
            waits.append(seconds)

    asked = retry_after_seconds(headers)
    if asked is not None:
        waits.append(asked)

    return max(waits) if waits else None


def _surely_not_sent(exc: BaseException) -> bool:
    """True when the request never left this machine (connect refused/timed out, DNS failure).

    Then even a create is safe to retry: Meta cannot have acted on it.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, NewConnectionError)
    return False


ThrottleListener = Callable[[MetaApiError, float], None]
_listener: contextvars.ContextVar[ThrottleListener | None] = contextvars.ContextVar(
    "adbee_throttle_listener", default=None
)


@contextlib.contextmanager
def throttle_listener(listener: ThrottleListener) -> Iterator[None]:
    """Call ``listener(error, seconds)`` for each throttle wait inside the ``with`` body.

    A throttle wait happens deep inside a Graph call; the one who started the work (a creation
    with a start time) binds a listener so that a long wait is told where the people are, not
    only logged. The wait is reported before it is slept, and also when it is too long to sleep
    (the error is raised right after). ``contextvars`` keep threads apart.
    """
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def _tell_listener(error: MetaApiError, seconds: float) -> None:
    listener = _listener.get()
    if listener is None:
        return
    try:
        listener(error, seconds)
    except Exception:  # telling people must never change what happens in Meta
        log.warning("throttle listener failed", exc_info=True)


def is_throttle(error: MetaApiError) -> bool:
    """Meta's throttle codes, plus a bare HTTP 429 from a proxy in front of it."""
    return error.is_throttle or error.http_status == 429


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: exponential backoff for hiccups, Meta's own wait for throttles.

    ``max_attempts`` counts the first call too. Throttle waits longer than ``max_throttle_wait``
    are not slept through: the error is raised with ``retry_after_seconds`` set so a job scheduler
    can come back later instead of holding a worker (and Meta says early calls extend the block).
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.2  # +/- fraction applied to backoff delays; throttle waits only get longer
    default_throttle_wait: float = 60.0  # when a throttle error carries no usable header
    # Meta's per-second mutation limit (613/5044001): seconds, doubling per retry, capped.
    mutation_wait: float = 1.0
    max_mutation_wait: float = 16.0
    max_throttle_wait: float = 300.0
    unchanged_retries: int = 3  # for Meta's "try again later" errors not flagged transient
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def backoff(self, retry_number: int) -> float:
        """Delay before retry number ``retry_number`` (1-based): base * 2^(n-1), capped, jittered."""
        delay = min(self.max_delay, self.base_delay * 2 ** max(0, retry_number - 1))
        if self.jitter:
            delay *= 1 + self.jitter * (2 * self.rng() - 1)
        return max(0.0, delay)

    def delay_for(self, error: MetaApiError, retry_number: int) -> float | None:
        """How long to wait before retrying after ``error``; None when it must not be retried."""
        if is_throttle(error) or error.is_temporary_block:
            wait = error.retry_after_seconds or self._default_wait(error, retry_number)
            if wait > self.max_throttle_wait:
                return None
            return wait * (1 + self.jitter * self.rng()) if self.jitter else wait
        if error.is_transient:
            delay = self.backoff(retry_number)
            asked = error.retry_after_seconds  # e.g. a 503 with Retry-After
            if asked is not None and asked > delay:
                return asked if asked <= self.max_throttle_wait else None
            return delay
        if error.is_retry_unchanged and retry_number <= self.unchanged_retries:
            return self.backoff(retry_number)
        return None

    def _default_wait(self, error: MetaApiError, retry_number: int) -> float:
        """A throttle that said nothing about its wait: seconds for the per-second limit."""
        if classify(error.code, error.subcode) is Throttle.MUTATION_RATE:
            return min(self.mutation_wait * 2 ** max(0, retry_number - 1), self.max_mutation_wait)
        return self.default_throttle_wait

    def run(
        self,
        fn: Callable[[], T],
        *,
        idempotent: bool,
        on_retry: Callable[[MetaApiError | Exception, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        describe: str = "the call to Meta",
    ) -> T:
        """Call ``fn`` until it succeeds, a non-retryable error occurs or attempts run out.

        ``fn`` raises ``MetaApiError`` for Meta's answers and ``requests``/socket errors (or
        ``MetaTransportError``) for network failures. ``describe`` completes messages such as
        "Lost the connection to Meta during <describe>".
        """
        attempt = 1
        while True:
            try:
                return fn()
            except MetaApiError as err:
                delay = self.delay_for(err, attempt)
                if delay is None or attempt >= self.max_attempts:
                    if is_throttle(err) and err.retry_after_seconds:
                        _tell_listener(err, err.retry_after_seconds)
                    raise
                failure: MetaApiError | Exception = err
            except TRANSPORT_ERRORS as exc:
                detail = redact_secrets(f"{type(exc).__name__}: {exc}")
                if not idempotent and not _surely_not_sent(exc):
                    if isinstance(exc, MetaTransportError):
                        raise
                    raise MetaTransportError(
                        f"Lost the connection to Meta during {describe}, so it is unknown whether "
                        f"Meta acted on it ({detail})."
                    ) from None
                if attempt >= self.max_attempts:
                    raise MetaTransportError(
                        f"Could not reach Meta for {describe} after {attempt} attempts ({detail})."
                    ) from None
                delay = self.backoff(attempt)
                failure = exc
            if isinstance(failure, MetaApiError) and is_throttle(failure):
                metrics.META_THROTTLE_WAIT.observe(delay)
                _tell_listener(failure, delay)
            if on_retry is not None:
                on_retry(failure, delay)
            sleep(delay)
            attempt += 1


# Insights answers carry their own load header (marketing-api/insights/best-practices, meta-api.md
# §5): ``x-fb-ads-insights-throttle: {"app_id_util_pct": .., "acc_id_util_pct": ..}``; at 100 Meta
# throttles insights calls (80000 / 4+1504022). Reading it on healthy answers lets a reader slow down
# before the wall instead of after it.
INSIGHTS_THROTTLE_HEADER = "x-fb-ads-insights-throttle"
INSIGHTS_SLOWDOWN_PCT = 75.0


def insights_utilisation(headers: Mapping[str, str] | None) -> float | None:
    """The higher of ``app_id_util_pct`` and ``acc_id_util_pct``; None when not sent."""
    data = json_header(headers, INSIGHTS_THROTTLE_HEADER)
    if not isinstance(data, dict):
        return None
    values = [positive(data.get(k)) or 0.0 for k in ("app_id_util_pct", "acc_id_util_pct")]
    return max(values)


def insights_pause_seconds(headers: Mapping[str, str] | None, policy: RetryPolicy) -> float:
    """How long to wait before the next insights call, given the last answer's headers.

    Below ``INSIGHTS_SLOWDOWN_PCT`` no wait; from there to 100 % a wait growing linearly up to the
    policy's ``default_throttle_wait`` (what a throttle without a usable header gets); at 100 % that
    full wait, capped by ``max_throttle_wait`` like every other throttle wait.
    """
    pct = insights_utilisation(headers)
    if pct is None or pct < INSIGHTS_SLOWDOWN_PCT:
        return 0.0
    share = min(1.0, (pct - INSIGHTS_SLOWDOWN_PCT) / (100.0 - INSIGHTS_SLOWDOWN_PCT))
    return min(policy.max_throttle_wait, policy.default_throttle_wait * share)
