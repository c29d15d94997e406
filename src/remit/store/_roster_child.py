"""The roster's process (``python -m remit.store._roster_child``), started by
:class:`~remit.store._roster_process.RosterProcess`: it reads the database URL, then writes
until its standard input closes, every write waiting when it is free committed in one
transaction and each answered after the commit (see :mod:`~remit.store._roster_process`)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from remit.enforcement._roster import MAX_BATCH, Join, Outcome, RosterWrite, write_each
from remit.errors import InvalidInput, RemitError
from remit.store._roster_wire import Frames, frame, portable, session_wire, unwire, write_all

log = logging.getLogger("remit.roster")


def _serve(commands: int, answers: int, max_batch: int) -> None:
    """The child's loop: writes in, each batch committed and answered, until EOF."""
    from remit.store._roster_sql import RawRoster
    from remit.store._sql_database import Database

    frames = Frames(commands)
    url = frames.one()
    database: Database | None = None
    roster: RawRoster | None = None

    def write(writes: Sequence[RosterWrite]) -> list[Outcome]:
        nonlocal database, roster
        if database is None or roster is None:
            database = Database.open(url)
            roster = RawRoster(database)
        try:
            return roster(writes)
        except Exception as exc:
            if not isinstance(exc, RemitError):
                log.exception("a batch of %d roster writes failed", len(writes))
                roster.close()
                database.close()  # whatever went wrong, the next batch starts afresh
                database = roster = None
            raise

    while True:
        try:
            batch = frames.waiting(max_batch)
        except EOFError:
            break
        replies: list[tuple[int, bool, Any]] = []
        numbers, writes = [], []
        for n, sent in batch:
            try:
                writes.append(unwire(sent))
                numbers.append(n)
            except Exception as exc:  # a value that cannot be one: refused alone
                refused = exc if isinstance(exc, RemitError) else InvalidInput(str(exc))
                replies.append((n, True, refused))
        outcomes, retried = write_each(write, writes) if writes else ([], False)
        for n, change, outcome in zip(numbers, writes, outcomes, strict=True):
            if isinstance(outcome, Exception):
                replies.append((n, True, portable(outcome)))
            else:  # a join is answered "written": the node has its session
                back = None if isinstance(change, Join) else session_wire(outcome)
                replies.append((n, False, back))
        try:
            write_all(answers, frame((len(batch), retried, replies)))
        except BrokenPipeError:
            break
    if roster is not None:
        roster.close()
    if database is not None:
        database.close()


def main() -> None:
    """The child: answers on the standard output it was given, prints nothing else there."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    max_batch = int(sys.argv[1]) if len(sys.argv) > 1 else MAX_BATCH
    answers = os.dup(1)
    os.dup2(2, 1)  # anything printed by mistake goes to the log, never into the answers
    _serve(0, answers, max_batch)


if __name__ == "__main__":
    main()
