"""Graph batch requests: many Graph operations in one HTTP request, each answered on its own.

For anything that touches many objects at once (arming or activating a burst of campaigns, their
read-backs, rollbacks; the status sync's reads may use it too): ``run_batch(graph, operations)``
returns one result per operation, in order: the operation's JSON body, or the ``AdBeeError`` that
ended it. One refused operation fails only itself (and the operations that ``depends_on`` it).

What Meta documents and this module relies on (Graph API "Batch Requests",
developers.facebook.com/docs/graph-api/batch-requests; emulators/docs/platform-facts.md §6):

* ``POST /<version>/`` with ``batch=[{method, relative_url, body?, name?, depends_on?}, ...]``,
  at most 50 operations per request (``MAX_OPERATIONS``); longer lists are sent in chunks;
* the answer is an array in request order of ``{code, headers?, body}``, ``body`` a JSON
  *string*; ``include_headers=true`` keeps each operation's headers, which carry the rate-limit
  usage a throttle's wait is read from (``meta.graph.throttles``);
* every operation counts against the rate limits as its own call (a batch of 50 status writes is
  50 mutations for Meta's per-second mutation limit): ``mutations_per_second`` paces them;
* an operation Meta did not finish (the batch timed out, a connection dropped inside) answers
  ``null``: its outcome is unknown. Idempotent operations (reads, status writes, deletes) are
  sent again, like the SDK's ``FacebookAdsApiBatch`` re-queues them; a create is not: its caller
  gets ``MetaTransportError`` and looks the object up by name before posting again, as it does for
  a single lost create (``meta.services.lost_objects``);
* ``depends_on`` (the name of an earlier operation of the same request) runs an operation only
  after that one succeeded; a dependency that failed fails its dependents without running them.
  A chain is always sent in one request, so order-sensitive switches (a campaign's ad before its
  ad set before its campaign) stay in order even though Meta runs independent operations in
  parallel.

Retries follow ``meta.graph.retry.RetryPolicy`` per operation: a throttled or transient
operation is sent again (with its chain) after the wait its own error asks for; the others
finish at once. The request itself goes through ``GraphApi.post`` (the Graph client's own
retries for the request as a whole: idempotent only when every operation in it is).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.domain.ports import GraphApi
from meta.graph.errors import error_from_response
from meta.graph.retry import RetryPolicy

log = logging.getLogger(__name__)

MAX_OPERATIONS = 50  # Meta's limit per batch request ("Batch Requests", Limitations)
# Meta's real-time limit on mutations is about 100 per second per app and ad account
# (meta.graph.throttles); AdBee stays below it so a colleague's single campaign still fits.
DEFAULT_MUTATIONS_PER_SECOND = 80.0
READ_CONCURRENCY = 4  # batch requests of reads in flight at once

Method = Literal["GET", "POST", "DELETE"]
Result = dict[str, Any] | AdBeeError


class NotSentError(AdBeeError):
    """The operation was not run: an operation it depends on failed (Meta changed nothing)."""


@dataclass(frozen=True)
class Operation:
    """One Graph call inside a batch: ``path`` as for ``GraphApi`` (``<id>``, ``act_1/ads``).

    ``idempotent``: sending it twice does no harm (a read, a status write, a delete), so a lost
    answer is sent again; False for creates. ``name`` lets later operations ``depends_on`` it.
    """

    method: Method
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    idempotent: bool = True
    name: str | None = None
    depends_on: str | None = None

    @classmethod
    def get(cls, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Operation:
        return cls("GET", path, dict(params or {}), **kw)

    @classmethod
    def post(cls, path: str, params: Mapping[str, Any], **kw: Any) -> Operation:
        return cls("POST", path, dict(params), **kw)

    @classmethod
    def delete(cls, path: str, **kw: Any) -> Operation:
        return cls("DELETE", path, {}, **kw)

    @property
    def is_mutation(self) -> bool:
        return self.method != "GET"

    def wire(self) -> dict[str, Any]:
        """The operation as Meta's batch array holds it (parameters encoded as the SDK does)."""
        encoded = urlencode({k: _encode(v) for k, v in self.params.items()})
        item: dict[str, Any] = {"method": self.method, "relative_url": self.path.strip("/")}
        if self.method == "POST":
            if encoded:
                item["body"] = encoded
        elif encoded:
            item["relative_url"] += "?" + encoded
        if self.name:
            item["name"] = self.name
            # Keep the answer of an operation others depend on (Meta leaves it out by default).
            item["omit_response_on_success"] = False
        if self.depends_on:
            item["depends_on"] = self.depends_on
        return item


def _encode(value: Any) -> str:
    """The SDK's top-level parameter encoding (``api._top_level_param_json_encode``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | Sequence | bool):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


class MutationPacer:
    """At most ``per_second`` mutations sent in any one second, shared by every caller.

    One per Graph client in the composition root would be ideal; a module-level default serves
    every batch of the process, which is what Meta counts (per app and ad account).
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        """Wait until ``count`` more mutations fit in the last second, then count them."""
        if count <= 0 or self.per_second <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0][0] <= now - 1.0:
                    self._sent.popleft()
                used = sum(n for _, n in self._sent)
                if used + count <= self.per_second or not self._sent:  # a lone chain may exceed
                    self._sent.append((now, count))
                    return
                wait = self._sent[0][0] + 1.0 - now
            self._sleep(max(wait, 0.01))


_default_pacer = MutationPacer(DEFAULT_MUTATIONS_PER_SECOND)


@dataclass
class _Slot:
    operation: Operation
    attempt: int = 1
    result: Result | None = None


def run_batch(
    graph: GraphApi,
    operations: Sequence[Operation],
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    pacer: MutationPacer | None = None,
    on_headers: Callable[[Mapping[str, str]], None] | None = None,
) -> list[Result]:
    """Send ``operations`` in as few batch requests as Meta allows; one result per operation.

    Operation names must be unique within the call; an operation's ``depends_on`` names an
    earlier one. Results are bodies (``dict``) or the error that ended the operation.
    ``on_headers`` gets each operation's answer headers: the ad account's rate-limit usage is in
    them, not in the batch request's own answer (which names no ad account).
    """
    policy = policy or RetryPolicy()
    pacer = pacer or _default_pacer
    slots = [_Slot(op) for op in operations]
    chains = _chains(operations)
    pending = list(range(len(chains)))
    size = MAX_OPERATIONS
    if pacer.per_second > 0 and any(op.is_mutation for op in operations):
        size = max(1, min(MAX_OPERATIONS, int(pacer.per_second)))  # one second's mutations
    reads_only = not any(op.is_mutation for op in operations)
    while pending:
        retry: list[int] = []
        delay = 0.0
        chunks = _chunks([chains[i] for i in pending], pending, size)
        parallel = reads_only and len(chunks) > 1
        if parallel:
            # Reads are not paced: up to READ_CONCURRENCY requests at once (each operation still
            # counts against the ad account's score, one point per read).
            with ThreadPoolExecutor(min(READ_CONCURRENCY, len(chunks))) as pool:
                list(
                    pool.map(
                        lambda c: _send(graph, [slots[i] for i in _flat(chains, c)], on_headers),
                        chunks,
                    )
                )
        for chunk in chunks:
            indices = _flat(chains, chunk)
            if not parallel:
                pacer.take(sum(1 for i in indices if slots[i].operation.is_mutation))
                _send(graph, [slots[i] for i in indices], on_headers)
            for chain_index in chunk:
                wait = _settle_chain(slots, chains[chain_index], policy)
                if wait is not None:
                    retry.append(chain_index)
                    delay = max(delay, wait)
        if retry:
            log.info("batch: %d operation chain(s) sent again in %.1fs", len(retry), delay)
            sleep(delay)
        pending = retry
    return [slot.result if slot.result is not None else _unknown(slot.operation) for slot in slots]


def _flat(chains: list[list[int]], chunk: list[int]) -> list[int]:
    return [i for chain_index in chunk for i in chains[chain_index]]


def _chains(operations: Sequence[Operation]) -> list[list[int]]:
    """Operations grouped by ``depends_on`` (each chain in order; independent ones alone)."""
    chain_of: dict[str, int] = {}
    chains: list[list[int]] = []
    for index, op in enumerate(operations):
        if op.depends_on is not None:
            if op.depends_on not in chain_of:
                raise ValueError(f"{op.path}: depends_on {op.depends_on!r} names no earlier one")
            chain = chain_of[op.depends_on]
            chains[chain].append(index)
        else:
            chain = len(chains)
            chains.append([index])
        if op.name is not None:
            if op.name in chain_of:
                raise ValueError(f"operation name {op.name!r} used twice")
            chain_of[op.name] = chain
    if any(len(chain) > MAX_OPERATIONS for chain in chains):
        raise ValueError(f"a dependency chain is longer than {MAX_OPERATIONS} operations")
    return chains


def _chunks(chains: list[list[int]], ids: list[int], limit: int) -> list[list[int]]:
    """Chain ids packed into requests of at most ``limit`` operations (a longer chain alone)."""
    chunks: list[list[int]] = []
    size = 0
    for chain_id, chain in zip(ids, chains, strict=True):
        if not chunks or size + len(chain) > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(chain_id)
        size += len(chain)
    return chunks


def _send(
    graph: GraphApi,
    slots: list[_Slot],
    on_headers: Callable[[Mapping[str, str]], None] | None = None,
) -> None:
    """One batch request; each slot's ``result`` is its answer, or None when it came back null."""
    idempotent = all(slot.operation.idempotent for slot in slots)
    params = {
        "batch": json.dumps([slot.operation.wire() for slot in slots], separators=(",", ":")),
        "include_headers": "true",
    }
    try:
        answer = graph.post("", params, idempotent=idempotent)
    except AdBeeError as exc:  # the request as a whole failed (after the client's own retries)
        for slot in slots:
            slot.result = _whole_request_failed(exc, slot.operation)
        return
    items = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(items, list) or len(items) != len(slots):
        for slot in slots:
            slot.result = None  # unreadable: as if nothing came back
        return
    for slot, item in zip(slots, items, strict=True):
        slot.result = _item_result(item)
        if on_headers is not None and isinstance(item, Mapping):
            on_headers(_headers_of(item))


def _whole_request_failed(exc: AdBeeError, op: Operation) -> AdBeeError:
    if isinstance(exc, MetaTransportError) and not op.idempotent:
        return MetaTransportError(
            f"Lost the connection to Meta during a batch with {op.method} {op.path}, so it is "
            f"unknown whether Meta acted on it ({exc.message})."
        )
    return exc


def _item_result(item: Any) -> Result | None:
    if not isinstance(item, Mapping):
        return None  # null: Meta did not finish it
    code = int(item.get("code") or 0)
    headers = _headers_of(item)
    text = item.get("body")
    text = text if isinstance(text, str) else json.dumps(text) if text is not None else ""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = None
    if code == 200 and isinstance(body, dict) and "error" not in body:
        return body
    return error_from_response(code or 500, headers, text)


def _headers_of(item: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(h.get("name")): str(h.get("value"))
        for h in item.get("headers") or []
        if isinstance(h, Mapping)
    }


def _settle_chain(slots: list[_Slot], chain: list[int], policy: RetryPolicy) -> float | None:
    """Decide a sent chain: None when every operation in it is final, else the wait before resending.

    A chain is resent from its first operation that did not succeed; operations before it keep
    their answers (a status write that succeeded is not sent twice).
    """
    for position, index in enumerate(chain):
        slot = slots[index]
        result = slot.result
        if isinstance(result, dict):
            continue
        wait = _retry_wait(slot, policy)
        if wait is not None:
            for later in chain[position:]:
                slots[later].result = None
                slots[later].attempt += 1
            chain[:] = chain[position:]
            _drop_dependency(slots, chain)
            return wait
        if result is None:  # lost and not to be sent again
            slot.result = _unknown(slot.operation)
        for later in chain[position + 1 :]:
            if not isinstance(slots[later].result, dict):
                slots[later].result = NotSentError(
                    f"Not sent: {slots[later].operation.path} waits for {slot.operation.path}, "
                    "which failed."
                )
        return None
    return None


def _drop_dependency(slots: list[_Slot], chain: list[int]) -> None:
    """A resent chain starts at an operation whose dependency already succeeded: send it alone."""
    head = slots[chain[0]]
    if head.operation.depends_on is not None:
        head.operation = _without_dependency(head.operation)


def _without_dependency(op: Operation) -> Operation:
    return Operation(op.method, op.path, op.params, op.idempotent, op.name, None)


def _retry_wait(slot: _Slot, policy: RetryPolicy) -> float | None:
    """Seconds before sending ``slot`` again, or None when its result is final."""
    if slot.attempt >= policy.max_attempts:
        return None
    result = slot.result
    if result is None:
        return policy.backoff(slot.attempt) if slot.operation.idempotent else None
    if isinstance(result, MetaApiError):
        if not slot.operation.idempotent and not (result.is_throttle or result.is_transient):
            return None
        return policy.delay_for(result, slot.attempt)
    return None


def _unknown(op: Operation) -> MetaTransportError:
    return MetaTransportError(
        f"Meta did not answer {op.method} {op.path} inside a batch, so it is unknown whether it "
        "acted on it."
    )
