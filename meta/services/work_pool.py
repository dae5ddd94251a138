"""The creation workers, shared fairly between requesters and paced by Meta's usage per account.

A creation is I/O-bound: a worker spends its time waiting for Slack and Meta, and after the
change that parks a creation while Meta processes its video, it holds a worker only while it
actually calls someone. So the pool is sized for waiting (``WORKER_THREADS``, default 32), and
what bounds how much runs at once is what the platforms allow:

* **fair lanes.** Work is queued in a lane per requester (or per bulk batch); a free worker
  serves the lanes in turn, one item each. A bulk of 50 from one person is one lane, so a
  colleague's single campaign submitted after it waits for at most one item of the bulk, never
  for the whole bulk. Within a lane, a creation coming back from Meta's video processing goes
  first (``first=True``): it is minutes closer to its Approve card than a new one.
* **Meta's usage per ad account.** An item names the ad account it will spend calls in; while
  that account's usage as Meta reports it (``meta.graph.usage.AccountUsage``) is at or above
  ``ceiling`` percent (half of the limit by default, as issue 14 asks: "staying under half of
  the ad account's rate-limit score"), its items wait and the workers serve other accounts.
  Work already under way (a resumed creation, one back from processing) goes on; it is new work
  that waits, so a burst slows itself down before Meta throttles it.

The pool is an ``Executor`` (``submit`` puts work in a shared lane), so code written for a
``ThreadPoolExecutor`` keeps working.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

SHARED_LANE = "shared"
# Half of the account's limit: Meta blocks the account at 100 %, for a minute or more.
DEFAULT_CEILING_PERCENT = 50.0

# How long an account over its ceiling has to wait (0: go), given its ad account id.
AdmitFn = Callable[[str], float]


@dataclass
class _Item:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    account: str | None = None


class FairPool(Executor):
    """A thread pool whose queue is one lane per requester, served in turn."""

    def __init__(
        self,
        max_workers: int,
        *,
        admit: AdmitFn | None = None,
        thread_name_prefix: str = "adbee-work",
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max = max_workers
        self._admit = admit
        self._prefix = thread_name_prefix
        self._cond = threading.Condition()
        self._lanes: OrderedDict[str, deque[_Item]] = OrderedDict()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._running = 0
        self._shutdown = False
        self.held = 0  # how many times an item waited for its account's usage (for the bench)

    @property
    def max_workers(self) -> int:
        return self._max

    # ------------------------------------------------------------------ Executor
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_to(SHARED_LANE, fn, *args, **kwargs)

    def submit_to(
        self,
        lane: str,
        fn: Callable[..., Any],
        /,
        *args: Any,
        account: str | None = None,
        first: bool = False,
        **kwargs: Any,
    ) -> Future[Any]:
        """Queue ``fn(*args, **kwargs)`` in ``lane``; ``account``: the ad account it calls Meta
        for (its usage decides when it may start); ``first``: ahead of the lane's other work."""
        future: Future[Any] = Future()
        item = _Item(future, fn, args, kwargs, account)
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            queue = self._lanes.get(lane)
            if queue is None:  # a new lane joins the end of the round
                queue = self._lanes[lane] = deque()
            if first:
                queue.appendleft(item)
            else:
                queue.append(item)
            if self._idle == 0 and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._prefix}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._cond.notify()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                for queue in self._lanes.values():
                    for item in queue:
                        item.future.cancel()
                self._lanes.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()

    # ------------------------------------------------------------------ what runs next
    def queued(self) -> dict[str, int]:
        """Items waiting per lane."""
        with self._cond:
            return {lane: len(queue) for lane, queue in self._lanes.items()}

    def running(self) -> int:
        with self._cond:
            return self._running

    def _take(self) -> tuple[_Item | None, float | None]:
        """The next item, lanes in turn (under the lock); else how long until one may start."""
        soonest: float | None = None
        for lane, queue in list(self._lanes.items()):
            for item in queue:
                wait = self._admit(item.account) if self._admit and item.account else 0.0
                if wait > 0:
                    soonest = wait if soonest is None else min(soonest, wait)
                    continue
                queue.remove(item)
                if queue:
                    self._lanes.move_to_end(lane)  # served: its next item waits for the others
                else:
                    del self._lanes[lane]
                return item, None
        if soonest is not None:
            self.held += 1
        return None, soonest

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    item, wait = self._take()
                    if item is not None:
                        break
                    if self._shutdown and not self._lanes:
                        return
                    self._idle += 1
                    self._cond.wait(timeout=wait)  # an account that was over is asked again
                    self._idle -= 1
                self._running += 1
            try:
                if item.future.set_running_or_notify_cancel():
                    try:
                        result = item.fn(*item.args, **item.kwargs)
                    except BaseException as exc:
                        item.future.set_exception(exc)
                    else:
                        item.future.set_result(result)
            finally:
                with self._cond:
                    self._running -= 1
                del item
