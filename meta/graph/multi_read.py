"""Many nodes read in one request: a Graph batch of GETs (``meta.graph.batch``).

Graph's own multiple-ID read (``GET /?ids=a,b``) is refused on the root node from v26.0, the
version AdBee speaks (emulators/docs/platform-facts.md; the Graph emulator answers it so), so
reads of many unrelated nodes go as one batch request of up to 50 GET operations (Graph API
"Batch Requests"). Every operation counts against the rate limits as its own call, but the
round trip is one. A node that is gone (deleted, or never existed) fails only its own
operation and reads as None; an operation refused otherwise is left out (unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from meta.domain.errors import AdBeeError, MetaApiError
from meta.domain.ports import GraphApi
from meta.graph.batch import Operation, run_batch
from meta.graph.retry import RetryPolicy

# One try per read: a caller that polls (the processing watch) reads again at its next round
# instead of waiting inside a round.
_ONE_TRY = RetryPolicy(max_attempts=1, max_throttle_wait=0.0)


def read_many(
    graph: GraphApi, ids: Iterable[str], *, fields: str
) -> dict[str, dict[str, Any] | None]:
    """``fields`` of each node in ``ids`` keyed by id, None for a node that is gone (100/33);
    a node whose read failed otherwise is left out (unknown this time). Raises the failure when
    no read succeeded at all (Meta or the connection is away)."""
    wanted = list(dict.fromkeys(str(i) for i in ids))
    results = run_batch(
        graph, [Operation.get(node_id, {"fields": fields}) for node_id in wanted], policy=_ONE_TRY
    )
    found: dict[str, dict[str, Any] | None] = {}
    failure: AdBeeError | None = None
    for node_id, result in zip(wanted, results, strict=True):
        if isinstance(result, dict):
            found[node_id] = result
        elif isinstance(result, MetaApiError) and result.code == 100 and result.subcode == 33:
            found[node_id] = None
        else:
            failure = failure or result
    if failure is not None and not found:
        raise failure
    return found


def _key(path: str, params: Mapping[str, Any] | None) -> tuple[str, str]:
    return path.strip("/"), json.dumps(dict(params or {}), sort_keys=True, default=str)


class Prefetched:
    """A ``GraphApi`` whose reads named up front were all sent as one batch request.

    Code that reads several things one ``get`` after another (the approval card's previews,
    Advantage+ state and creative read-back: six reads, about two seconds at Meta's latency)
    keeps its shape and gets the answers the batch brought; a refused read raises its own error,
    and anything not prefetched (or not answered) goes to Meta as usual. Writes pass through.
    """

    def __init__(self, graph: GraphApi, reads: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        self._graph = graph
        wanted = list(reads)
        results = run_batch(graph, [Operation.get(p, q) for p, q in wanted], policy=_ONE_TRY)
        self._answers: dict[tuple[str, str], dict[str, Any] | AdBeeError] = {
            _key(p, q): r for (p, q), r in zip(wanted, results, strict=True)
        }

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        answer = self._answers.get(_key(path, params))
        if isinstance(answer, dict):
            return answer
        if isinstance(answer, MetaApiError) and not answer.is_retryable:
            raise answer  # Meta's refusal of this very read
        return self._graph.get(path, params)

    def post(self, path: str, params: dict[str, Any], *, idempotent: bool = False) -> dict:
        return self._graph.post(path, params, idempotent=idempotent)

    def post_file(
        self, path: str, params: dict[str, Any], *, field: str, filename: str, content: bytes
    ) -> dict:
        return self._graph.post_file(path, params, field=field, filename=filename, content=content)

    def delete(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._graph.delete(path, params)
