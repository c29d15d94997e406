"""Group commit for the live roster: joins, leaves and moves from many requests, one transaction.

Every join a platform reports is a write, and a transaction per write makes the roster as slow
as the database's commits (on SQLite one writer at a time, each waiting for its fsync). The
:class:`RosterWriter` has one thread that takes every write waiting when it is free and commits
them together (:meth:`~remit.enforcement._interface.EnforcementStore.write_roster`): while one
batch commits, the next one gathers, so the batches grow with the load and a lone write goes at
once. A caller is answered only once its write is committed: a 201 is never a write that is lost.

A write the store refuses (a session that does not exist, one that has ended) is refused alone:
the store answers each write of a batch. When the whole batch fails (the database is away, or
refuses a value), each write is tried again on its own, so every caller gets its own answer.

The writer's thread spends its time waiting on the database with the GIL released; each time a
commit returns it needs the GIL back from the event loop, and Python hands it over only every
"switch interval" (5 ms by default) while the loop is busy. So the writer, when it starts, lowers
the process's switch interval to :data:`SWITCH_INTERVAL`: measured with ``remit bench joins``
on SQLite, that alone doubled the roster's rate and cut its p99 from ~40 ms to ~15 ms.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from remit.enforcement._model import Session, SessionStatus
from remit.errors import RemitError, StoreError
from remit.location import Location

log = logging.getLogger("remit.roster")

#: The most writes one transaction takes.
MAX_BATCH = 512
#: The GIL switch interval (seconds) a process with a roster writer runs with (see above).
SWITCH_INTERVAL = 0.0005
#: Upper bounds of the batch-size histogram.
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 512)
#: Upper bounds of the write-latency histogram, in seconds (from the request to the commit).
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Join:
    """Put a live session on the roster (``Conflict`` when its id is taken)."""

    session: Session


@dataclass(frozen=True, slots=True)
class End:
    """End a session (left or removed); a session that has ended already stays as it is.

    With ``platform``, only that platform's session: another's is ``NotFound``, as is none.
    """

    session_id: str
    status: SessionStatus
    at: datetime
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """Record a live session's new location (``Conflict`` once it has ended); the address it
    was found from is not kept.

    With ``platform``, only that platform's session: another's is ``NotFound``, as is none.
    """

    session_id: str
    location: Location
    platform: str | None = None


#: One write to the roster.
RosterWrite = Join | End | Move
#: What the store answers for one write: the session as written, or why it was refused.
Outcome = Session | Exception


class Histogram:
    """Counts of observations by upper bound, their sum and count (one writer, many readers)."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last: above every bound
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus buckets: (upper bound, observations at or below it), ending with +Inf."""
        out, running = [], 0
        for bound, count in zip([*map(str, self.bounds), "+Inf"], self.counts, strict=True):
            running += count
            out.append((bound, running))
        return out


class RosterStats:
    """What the writer did: batch sizes, and each write's latency from request to commit."""

    def __init__(self) -> None:
        self.batches = Histogram(BATCH_BUCKETS)
        self.latency = Histogram(LATENCY_BUCKETS)
        #: Batches that failed whole and were written again one write at a time.
        self.retried = 0


@dataclass(slots=True)
class Pending:
    """A write waiting for its commit, and who waits for it: a coroutine (``loop`` is its event
    loop's) or a thread (``loop`` is None)."""

    write: RosterWrite
    future: asyncio.Future[Session] | Future[Session]
    loop: asyncio.AbstractEventLoop | None
    submitted: float


def _settle(settled: list[tuple[asyncio.Future[Session], Outcome]]) -> None:
    for future, outcome in settled:
        if future.done():  # the request went away: its write stands, nobody waits for it
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def resolve(settled: Sequence[tuple[Pending, Outcome]], stats: RosterStats) -> None:
    """Answer each waiting caller with its write's outcome (counting each write's latency), from
    any thread: each event loop is woken once for all of its callers."""
    done = time.perf_counter()
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Session], Outcome]]]
    by_loop = {}
    for pending, outcome in settled:
        stats.latency.observe(done - pending.submitted)
        if pending.loop is None:
            blocking = pending.future
            assert isinstance(blocking, Future)
            if isinstance(outcome, Exception):
                blocking.set_exception(outcome)
            else:
                blocking.set_result(outcome)
        else:
            assert isinstance(pending.future, asyncio.Future)
            by_loop.setdefault(pending.loop, []).append((pending.future, outcome))
    for loop, answered in by_loop.items():
        with suppress(RuntimeError):  # a loop that has closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, answered)


class Roster(Protocol):
    """What a node writes its roster through: :class:`RosterWriter`, or a writer of the store's
    in a process of its own (``remit.store.RosterProcess``)."""

    stats: RosterStats

    async def write(self, change: RosterWrite) -> Session:
        """Commit ``change`` with whatever else is waiting; its session once committed."""

    def write_blocking(self, change: RosterWrite) -> Session:
        """:meth:`write` from a thread that may wait (not the event loop's)."""

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is waiting, then stop; a write after this is refused (``StoreError``)."""


class Submitting:
    """``write`` and ``write_blocking`` of a roster writer, which has only to take each
    :class:`Pending` write (``_submit``) and :func:`resolve` it once committed."""

    def _submit(self, pending: Pending) -> None:
        raise NotImplementedError

    async def write(self, change: RosterWrite) -> Session:
        """Commit ``change`` with whatever else is waiting; its session once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Session] = loop.create_future()
        self._submit(Pending(change, future, loop, time.perf_counter()))
        return await future

    def write_blocking(self, change: RosterWrite) -> Session:
        """:meth:`write` from a thread that may wait (not the event loop's)."""
        future: Future[Session] = Future()
        self._submit(Pending(change, future, None, time.perf_counter()))
        return future.result()


class RosterWriter(Submitting):
    """The group committer in front of a roster store (see the module's description).

    ``write`` is for coroutines, ``write_blocking`` for threads; both return the session as
    written, or raise what refused it. The thread starts with the first write; :meth:`close`
    commits what is waiting and stops it.
    """

    def __init__(
        self,
        write_roster: Callable[[Sequence[RosterWrite]], list[Outcome]],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write_roster = write_roster
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.stats = RosterStats()

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is waiting, then stop; a write after this is refused (``StoreError``)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _submit(self, pending: Pending) -> None:
        if self._thread is None or self._closed:
            with self._lock:
                if self._closed:
                    raise StoreError("the node is stopping: the roster takes no more writes")
                if self._thread is None:
                    # A commit that returns gets the GIL back within this, not 5 ms.
                    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
                    self._thread = threading.Thread(
                        target=self._run, name="remit-roster", daemon=True
                    )
                    self._thread.start()
        self._queue.put(pending)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, last = [first], False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    last = True
                    break
                batch.append(item)
            self._commit(batch)
            if last:
                return

    def _commit(self, batch: list[Pending]) -> None:
        outcomes, retried = write_each(self._write_roster, [p.write for p in batch])
        self.stats.retried += int(retried)
        self.stats.batches.observe(len(batch))
        resolve(list(zip(batch, outcomes, strict=True)), self.stats)


def write_each(
    write_roster: Callable[[Sequence[RosterWrite]], list[Outcome]], writes: Sequence[RosterWrite]
) -> tuple[list[Outcome], bool]:
    """Each write's outcome from one call of ``write_roster``; when that fails whole, from one
    call per write (one write may have failed them all), so every caller gets its own answer.
    Also whether it came to that."""
    try:
        return write_roster(writes), False
    except Exception as exc:
        if len(writes) == 1:
            return [exc], False
        log.warning("%d roster writes failed together (%s); each again", len(writes), exc)
    outcomes: list[Outcome] = []
    for write in writes:
        try:
            outcomes.append(write_roster([write])[0])
        except Exception as exc:
            if not isinstance(exc, RemitError):
                log.exception("a roster write failed")
            outcomes.append(exc)
    return outcomes, True
