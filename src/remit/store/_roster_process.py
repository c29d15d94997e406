"""The roster's group commit in a process of its own, so that it does not share the node's
interpreter lock.

Measured with ``remit bench joins`` (docs/scaling.md): in one process, a batch of some eight
writes that takes 1.4 ms on its own took 5.7 ms beside a busy event loop. Every
statement the writer's thread ran released Python's lock (sqlite3 around each step, psycopg
around each round trip) and then waited for the event loop to hand it back, some 25 times a
batch. Here the writes go down a pipe to a child process, which commits them in one
transaction as they come (every write waiting when it is free, as
:class:`~remit.enforcement.RosterWriter` does), on the other core and without waiting for
anyone; it answers each write only after its commit, so a caller is still answered only once
its write is durable.

In the node, :class:`RosterProcess` takes the place of the ``RosterWriter`` (the same
``write``, ``write_blocking``, ``close`` and ``stats``). A write is sent by the caller itself,
event loop or thread: one small message, no thread to wake. One thread reads the child's
answers (a message per batch: each write's outcome, exactly as
:func:`~remit.store._roster_sql.write_roster` gives it in process) and settles the callers,
each event loop woken once per batch. Writes travel as tuples of plain values
(:mod:`~remit.store._roster_wire`), which pickle some ten times faster than the dataclasses;
a join's answer is "written" (the caller has the session), a leave's or a move's the session
as the database has it.

The child (``python -m remit.store._roster_child``) reads the database URL first (never on
its command line, where ``ps`` would show a password) and opens the database at its first
batch (again at the next batch after a failure). A batch that fails whole is written again one
write at a time, so each write gets its own answer. It exits when its standard input closes:
when the node stops, or dies. It ignores SIGINT and SIGTERM, which a terminal or a service
manager sends the whole process group: the node, which may still be committing what is
waiting, closes it. A child that dies fails the writes it had not answered (``StoreError``:
written or not, nobody can say, as when a database connection drops mid-commit) and the next
write starts a new one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from contextlib import suppress
from datetime import UTC
from typing import Any

from remit.enforcement._checks import session_in_utc
from remit.enforcement._model import Session, SessionStatus
from remit.enforcement._roster import (
    MAX_BATCH,
    SWITCH_INTERVAL,
    Join,
    Outcome,
    Pending,
    RosterStats,
    Submitting,
    resolve,
)
from remit.errors import StoreError
from remit.store._roster_wire import Frames, frame, session_of, wire, write_all

log = logging.getLogger("remit.roster")

#: Seconds :meth:`RosterProcess.close` waits for the child to commit what it has and exit.
CLOSE_TIMEOUT = 10.0
#: The pipe to the child holds this many bytes (some 3,000 writes) before a writer waits.
PIPE_BYTES = 1 << 20


def _as_written(session: Session) -> Session:
    """A join's session as the store wrote it (in UTC): most often the one the node made."""
    if (
        session.joined_at.tzinfo is UTC
        and session.ended_at is None
        and type(session.status) is SessionStatus
    ):
        return session
    return session_in_utc(session)


class _Child:
    """One child process: its pipe, the thread reading its answers, its unanswered writes."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.pending: dict[int, Pending] = {}
        self.reader: threading.Thread | None = None


class RosterProcess(Submitting):
    """The roster's writer in a child process (see the module's description): ``write`` for
    coroutines and ``write_blocking`` for threads return the session as written, or raise
    what refused it; :meth:`close` lets the children commit what they have and stops them.

    With ``processes`` above one, each child commits the writes sent to it, and each write goes
    to the one with the fewest unanswered (writes in flight together are independent: a leave
    is sent once its join was answered). Only worth trying on PostgreSQL, where one child's
    round trips and commit could overlap another's: two measured no better than one here
    (docs/scaling.md), so a node runs one."""

    def __init__(self, url: str, *, max_batch: int = MAX_BATCH, processes: int = 1) -> None:
        self._url = url
        self._max_batch = max_batch
        self.stats = RosterStats()
        self._lock = threading.Lock()
        self._children: list[_Child | None] = [None] * max(1, processes)
        self._next = 0
        self._closed = False
        with self._lock:
            for slot in range(len(self._children)):
                self._start(slot)  # now, so that their imports are done before the first join

    @property
    def pids(self) -> list[int]:
        """The process ids of the children running."""
        return [c.popen.pid for c in self._children if c is not None and c.popen.poll() is None]

    def _start(self, slot: int) -> _Child:
        # The thread that reads the answers gets the interpreter back within this, not 5 ms.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        popen = subprocess.Popen(
            [sys.executable, "-m", "remit.store._roster_child", str(self._max_batch)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            bufsize=0,
        )
        assert popen.stdin is not None
        with suppress(OSError, AttributeError):  # Linux only: a larger pipe before writers wait
            import fcntl

            fcntl.fcntl(popen.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        write_all(popen.stdin.fileno(), frame(self._url))
        child = self._children[slot] = _Child(popen)
        child.reader = threading.Thread(
            target=self._read, args=(slot, child), name="remit-roster", daemon=True
        )
        child.reader.start()
        return child

    def _submit(self, pending: Pending) -> None:
        message = wire(pending.write)
        with self._lock:
            if self._closed:
                raise StoreError("the node is stopping: the roster takes no more writes")
            slot = min(range(len(self._children)), key=self._load)
            child = self._children[slot] or self._start(slot)
            assert child.popen.stdin is not None
            n = self._next
            self._next += 1
            child.pending[n] = pending
            try:
                write_all(child.popen.stdin.fileno(), frame((n, message)))
            except OSError as exc:  # the child is gone: its reader fails what it had
                child.pending.pop(n, None)
                raise StoreError(f"the roster's writer process stopped ({exc})") from exc

    def _load(self, slot: int) -> int:
        child = self._children[slot]
        return 0 if child is None else len(child.pending)

    def _read(self, slot: int, child: _Child) -> None:
        """The answers of ``child``, until it exits; then what it did not answer fails."""
        popen = child.popen
        assert popen.stdout is not None
        frames = Frames(popen.stdout.fileno())
        try:
            while True:
                self._answered(child, *frames.one())
        except (EOFError, OSError):
            pass
        except Exception:
            log.exception("the roster's writer process answered what cannot be read: stopped")
            popen.kill()
        popen.stdout.close()
        popen.wait()
        with self._lock:
            if self._children[slot] is child:
                self._children[slot] = None
            assert popen.stdin is not None
            with suppress(OSError):
                popen.stdin.close()
            lost, child.pending = child.pending, {}
        if lost:
            log.warning("the roster's writer process stopped with %d writes unanswered", len(lost))
        error = StoreError("the roster's writer process stopped before answering")
        resolve([(p, error) for p in lost.values()], self.stats)

    def _answered(
        self, child: _Child, size: int, retried: bool, answers: list[tuple[int, bool, Any]]
    ) -> None:
        self.stats.batches.observe(size)
        if retried:
            self.stats.retried += 1
        settled: list[tuple[Pending, Outcome]] = []
        with self._lock:
            found = [(child.pending.pop(n, None), failed, value) for n, failed, value in answers]
        for pending, failed, value in found:
            if pending is None:
                continue
            write = pending.write
            if failed:
                outcome: Outcome = value
            elif isinstance(write, Join):
                outcome = _as_written(write.session)
            else:
                outcome = session_of(value)
            settled.append((pending, outcome))
        resolve(settled, self.stats)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Let the children commit and answer what they have, then stop them; a write after
        this is refused (``StoreError``)."""
        with self._lock:
            self._closed = True
            children = [c for c in self._children if c is not None]
        for child in children:
            assert child.popen.stdin is not None
            with suppress(OSError):
                child.popen.stdin.close()  # the child answers what it has, then sees the end
        for child in children:
            try:
                child.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the roster's writer process %d did not exit: killed", child.popen.pid)
                child.popen.kill()
            if child.reader is not None:
                child.reader.join(timeout)
