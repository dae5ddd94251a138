"""Creates made at the same moment by several creations, sent to Meta as one batch request.

A bulk of 20 rows makes 20 campaigns, 20 ad sets, 20 creatives and 20 ads, and its rows reach
each step within milliseconds of each other (they wait on one shared video). ``BatchedCreates``
is the ``GraphApi`` a creation's pipeline posts through: a create (``POST act_<id>/campaigns``,
``adsets``, ``adcreatives``, ``ads``) waits ``window`` seconds for the creates of other creations,
and what has gathered goes as one Graph batch request (``meta.graph.batch.run_batch``, at most
50 operations each). Only while creates come together does one wait: a create with no other
within ``together`` seconds before it goes at once as the plain call it always was (a single
campaign pays nothing), and so does one alone after the window. Everything else (reads, status
writes, deletes, uploads) passes straight through.

Meta counts each operation of a batch against the rate limits as its own call ("Batch
Requests", Limitations), so a batch saves HTTP requests and their latency, not score points.

Each create keeps the outcome it would have had alone, so the pipeline's exactly-once rules
hold per object (``CampaignPipeline._create``: the step's marker is committed before the post;
a lost answer is looked up by name before posting again):

* an answer: the caller gets Meta's body (the new object's id);
* Meta refused it: the caller gets that error; one refused create fails only its own campaign;
* throttled: Meta did nothing, so the create is sent again on its own through the wrapped client,
  whose retries wait as the throttle asks and tell the campaign's thread about a wait past its
  start (``meta.graph.retry.throttle_listener``);
* no answer (the batch request's connection dropped, Meta answered ``null`` for it) or a
  transient error: whether Meta made the object is unknown, so the caller gets
  ``MetaTransportError``, exactly as for a single lost create, and looks before posting again.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.domain.ports import GraphApi
from meta.graph.batch import MAX_OPERATIONS, Operation, run_batch
from meta.graph.retry import RetryPolicy

# The edges a creation's pipeline creates on (meta.graph.payloads).
CREATE_PATH = re.compile(r"^act_\d+/(campaigns|adsets|adcreatives|ads)$")
# Long enough for rows that reach a step together (a shared video's rows wake within a few ms of
# each other), short beside a create's own round trip (300 ms in the benches, more at Meta).
WINDOW_SECONDS = 0.02
# Creates closer together than this are a burst (a bulk's rows); a create with none before it
# this recently is taken to be alone and waits for nobody.
TOGETHER_SECONDS = 0.1
# Every operation's answer goes back to its caller: retries are the caller's (see above).
_ANSWER_ONCE = RetryPolicy(max_attempts=1)


@dataclass
class _Waiting:
    operation: Operation
    answer: Future[dict[str, Any]] = field(default_factory=Future)
    alone: bool = False  # sent as the plain call: its outcome is final (the client retried)


class BatchedCreates:
    """A ``GraphApi`` whose creates at the same moment share one Graph batch request."""

    def __init__(
        self,
        graph: GraphApi,
        *,
        window: float = WINDOW_SECONDS,
        together: float = TOGETHER_SECONDS,
        on_headers: Callable[[Mapping[str, str]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph = graph
        self._window = window
        self._together = together
        self._clock = clock
        self._last_create = float("-inf")
        self._on_headers = on_headers
        self._sleep = sleep
        self._lock = threading.Lock()
        self._gathering: list[_Waiting] | None = None  # the creates the next batch will carry
        self.batches = 0  # batch requests sent (for tests and the bench)

    @property
    def wrapped(self) -> GraphApi:
        """The client every call goes through."""
        return self._graph

    def gathered(self) -> int:
        """Creates waiting for the next batch request (for tests)."""
        with self._lock:
            return len(self._gathering or [])

    # ------------------------------------------------------------------ GraphApi
    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict:
        if idempotent or not CREATE_PATH.match(path):
            return self._graph.post(path, params, idempotent=idempotent)
        with self._lock:
            now, before = self._clock(), self._last_create
            self._last_create = now
            if self._gathering is None and now - before > self._together:
                gathered = None  # no create came just before: alone, it waits for nobody
            else:
                leads = self._gathering is None
                if self._gathering is None:
                    self._gathering = []
                gathered = self._gathering
                waiting = _Waiting(Operation.post(path, dict(params), idempotent=False))
                gathered.append(waiting)
                full = len(gathered) >= MAX_OPERATIONS
        if gathered is None:
            return self._graph.post(path, params)
        if leads:
            self._lead()
        elif full:
            self._send(self._take())  # a full batch goes at once; its leader sends the rest
        return self._outcome(waiting)

    def post_file(
        self, path: str, params: dict[str, Any], *, field: str, filename: str, content: bytes
    ) -> dict:
        return self._graph.post_file(path, params, field=field, filename=filename, content=content)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._graph.get(path, params)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._graph.delete(path, params)

    # ------------------------------------------------------------------ batching
    def _lead(self) -> None:
        """The first create of a moment: wait for the others, then send what has gathered."""
        self._sleep(self._window)
        self._send(self._take())

    def _take(self) -> list[_Waiting]:
        with self._lock:
            gathered, self._gathering = self._gathering or [], None
        return gathered

    def _send(self, gathered: list[_Waiting]) -> None:
        if not gathered:
            return
        if len(gathered) == 1:  # alone: the plain call, with the client's own retries
            (only,) = gathered
            only.alone = True
            try:
                only.answer.set_result(
                    self._graph.post(only.operation.path, dict(only.operation.params))
                )
            except BaseException as exc:
                only.answer.set_exception(exc)
            return
        try:
            results = run_batch(
                self._graph,
                [w.operation for w in gathered],
                policy=_ANSWER_ONCE,
                on_headers=self._on_headers,
            )
        except BaseException as exc:  # not a Meta answer (a bug, a stop): every caller hears it
            for w in gathered:
                w.answer.set_exception(exc)
            return
        self.batches += 1
        for w, result in zip(gathered, results, strict=True):
            if isinstance(result, AdBeeError):
                w.answer.set_exception(result)
            else:
                w.answer.set_result(result)

    def _outcome(self, waiting: _Waiting) -> dict:
        try:
            return waiting.answer.result()
        except MetaApiError as exc:
            if waiting.alone:
                raise
            if exc.is_throttle or exc.is_temporary_block:
                # Meta did nothing: send it alone, waiting as the throttle asks.
                return self._graph.post(waiting.operation.path, dict(waiting.operation.params))
            if exc.is_transient:
                raise MetaTransportError(
                    f"Meta answered a create inside a batch with a passing error ({exc.message}), "
                    "so it is unknown whether it made the object."
                ) from exc
            raise
