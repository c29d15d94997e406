"""The roster's group commit: many joins, leaves and moves in one transaction, each answered on
its own, in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from remit.enforcement import (
    End,
    EnforcementStore,
    Join,
    MemoryEnforcementStore,
    Move,
    RosterWrite,
    RosterWriter,
    Session,
    SessionStatus,
)
from remit.enforcement._roster import Outcome
from remit.errors import Conflict, InvalidInput, NotFound, StoreError
from remit.location import Location
from remit.policy import Resource
from remit.store import SqlEnforcementStore, open_enforcement_store

NOW = datetime(2020, 6, 4, 12, 0, tzinfo=UTC)
CN = Location("CN", None, "iptocc")
US = Location("US", None, "maxmind")


def session(sid: str, *, platform: str = "zoomish", participant: str | None = "") -> Session:
    """A session of ``sid``; ``participant=None`` makes one a database refuses (NOT NULL)."""
    return Session(
        id=sid,
        platform=platform,
        resource=Resource("meeting", "june4", "alice"),
        participant=f"p-{sid}" if participant == "" else participant,  # type: ignore[arg-type]
        location=US,
        joined_at=NOW,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[EnforcementStore]:
    if request.param == "memory":
        yield MemoryEnforcementStore()
        return
    if request.param == "sqlite":
        path = tmp_path / "remit.sqlite3"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("migrated_postgres_url")
    opened: SqlEnforcementStore = open_enforcement_store(url)
    try:
        yield opened
    finally:
        opened.close()


def test_one_batch_answers_each_write_and_writes_every_one_it_accepts(
    store: EnforcementStore,
) -> None:
    store.add_session(session("s-ended"))
    store.end_session("s-ended", SessionStatus.REMOVED, NOW)  # a removal: its row stays
    store.add_session(session("s-gone"))
    store.end_session("s-gone", SessionStatus.LEFT, NOW)  # counted: no row stays
    store.add_session(session("s-live"))
    store.add_session(session("s-theirs", platform="other"))
    writes: list[RosterWrite] = [
        Join(session("s-new-1")),
        Join(session("s-new-1", participant="someone else")),  # the id is taken by the first
        Join(session("s-new-2")),
        End("s-live", SessionStatus.LEFT, NOW, "zoomish"),
        End("s-ended", SessionStatus.LEFT, NOW, "zoomish"),  # ended already: stays as it was
        End("s-nobody", SessionStatus.LEFT, NOW, "zoomish"),
        End("s-theirs", SessionStatus.LEFT, NOW, "zoomish"),  # another platform's
        Move("s-new-2", CN, "zoomish"),
        Move("s-ended", CN, "zoomish"),
        Move("s-theirs", CN, None),  # an admin's: anyone's session
        End("s-new-1", SessionStatus.LIVE, NOW),  # a session does not end as live
        End("s-gone", SessionStatus.LEFT, NOW, "zoomish"),
        Move("s-gone", CN, "zoomish"),
    ]
    out = store.write_roster(writes)
    assert len(out) == len(writes)
    assert isinstance(out[0], Session)
    assert out[0].id == "s-new-1"
    assert isinstance(out[1], Conflict)
    assert isinstance(out[2], Session)
    assert isinstance(out[3], Session)
    assert out[3].status is SessionStatus.LEFT
    assert isinstance(out[4], Session)
    assert out[4].status is SessionStatus.REMOVED
    assert isinstance(out[5], NotFound)
    assert isinstance(out[6], NotFound)
    assert isinstance(out[7], Session)
    assert out[7].location == CN
    assert isinstance(out[8], Conflict)
    assert isinstance(out[9], Session)
    assert out[9].platform == "other"
    assert isinstance(out[10], InvalidInput)
    assert isinstance(out[11], NotFound)
    assert isinstance(out[12], NotFound)
    # What was written is there, as the answers said; what was refused changed nothing.
    assert store.get_session("s-new-1").participant == "p-s-new-1"
    assert store.get_session("s-new-1").status is SessionStatus.LIVE
    assert store.get_session("s-new-2").location == CN
    with pytest.raises(NotFound):  # it left: counted, and its row deleted
        store.get_session("s-live")
    counted = store.attendance_of(["june4"], [], NOW)
    assert sum(a.count for a in counted) == 3  # s-ended, s-gone and s-live
    assert store.get_session("s-theirs").status is SessionStatus.LIVE
    assert store.get_session("s-theirs").location == CN
    with pytest.raises(NotFound):
        store.get_session("s-nobody")


def test_concurrent_joins_are_committed_together_and_every_acknowledged_one_is_there(
    store: EnforcementStore,
) -> None:
    writer = RosterWriter(store.write_roster)
    acknowledged: list[str] = []
    errors: list[BaseException] = []

    def joins(worker: int) -> None:
        try:
            for n in range(40):
                written = writer.write_blocking(Join(session(f"s-{worker}-{n}")))
                acknowledged.append(written.id)
        except BaseException as exc:  # the test fails on it
            errors.append(exc)

    threads = [threading.Thread(target=joins, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert errors == []
    assert len(acknowledged) == 320
    live = {s.id for s in store.live_sessions()}
    assert set(acknowledged) <= live
    # Fewer transactions than writes: they were committed together.
    assert writer.stats.batches.count < 320
    assert writer.stats.latency.count == 320


def test_a_batch_the_database_refuses_is_written_again_one_by_one(
    store: EnforcementStore,
) -> None:
    """A join with no participant fails the whole transaction on a database (NOT NULL); the
    others of its batch are still written, and only its caller is refused."""
    gate = threading.Event()
    calls: list[int] = []

    def held(writes: Sequence[RosterWrite]) -> list[Outcome]:
        calls.append(len(writes))
        gate.wait(10)  # the first write waits, so the others gather into one batch
        return store.write_roster(writes)

    writer = RosterWriter(held)
    answers: dict[str, object] = {}

    def join(sid: str, participant: str | None) -> None:
        try:
            answers[sid] = writer.write_blocking(Join(session(sid, participant=participant)))
        except Exception as exc:
            answers[sid] = exc

    first = threading.Thread(target=join, args=("s-first", None))
    first.start()
    while not calls:
        threading.Event().wait(0.005)
    others = [
        threading.Thread(target=join, args=(f"s-{n}", None if n == 3 else "")) for n in range(6)
    ]
    for thread in others:
        thread.start()
    while writer._queue.qsize() < 6:  # every other write is waiting behind the first
        threading.Event().wait(0.005)
    gate.set()
    for thread in [first, *others]:
        thread.join()
    writer.close()
    if isinstance(store, MemoryEnforcementStore):
        return  # no database to refuse a missing participant: nothing more to see
    assert isinstance(answers["s-first"], InvalidInput)
    assert isinstance(answers["s-3"], InvalidInput)
    for n in (0, 1, 2, 4, 5):
        assert isinstance(answers[f"s-{n}"], Session), answers[f"s-{n}"]
        assert store.get_session(f"s-{n}").status is SessionStatus.LIVE
    with pytest.raises(NotFound):
        store.get_session("s-3")
    assert calls[1] == 6  # the six that gathered went as one batch, then each again alone
    assert writer.stats.retried == 1


def test_when_the_database_fails_a_batch_each_caller_gets_its_own_answer() -> None:
    """The whole batch fails once (the database away for a moment): each write is tried again
    alone, and those the store then accepts are acknowledged."""
    memory = MemoryEnforcementStore()
    fail = {"next": True}
    gate = threading.Event()
    taken: list[int] = []  # the size of each batch the writer has taken, held at the gate

    def flaky(writes: Sequence[RosterWrite]) -> list[Outcome]:
        taken.append(len(writes))
        gate.wait(10)
        if len(writes) > 1 and fail["next"]:
            fail["next"] = False
            raise StoreError("could not write 5 roster changes: server closed the connection")
        return memory.write_roster(writes)

    writer = RosterWriter(flaky)
    results: dict[str, object] = {}

    def join(sid: str) -> None:
        try:
            results[sid] = writer.write_blocking(Join(session(sid)))
        except Exception as exc:
            results[sid] = exc

    memory.add_session(session("s-taken"))
    threads = [threading.Thread(target=join, args=(sid,)) for sid in ("a", "b", "s-taken", "c")]
    for thread in threads:
        thread.start()
    # Every write is either held at the gate in the writer's first batch or waiting behind it
    # (the writer may have taken one or several at once), so the rest go as one batch >1.
    deadline = time.monotonic() + 10
    while sum(taken) + writer._queue.qsize() < len(threads) and time.monotonic() < deadline:
        threading.Event().wait(0.005)
    gate.set()
    for thread in threads:
        thread.join()
    writer.close()
    assert isinstance(results["s-taken"], Conflict)
    assert {sid for sid, r in results.items() if isinstance(r, Session)} == {"a", "b", "c"}
    assert {s.id for s in memory.live_sessions()} == {"a", "b", "c", "s-taken"}


def test_a_closed_writer_refuses_writes_rather_than_lose_them() -> None:
    writer = RosterWriter(MemoryEnforcementStore().write_roster)
    writer.write_blocking(Join(session("s-1")))
    writer.close()
    with pytest.raises(StoreError, match="stopping"):
        writer.write_blocking(Join(session("s-2")))
