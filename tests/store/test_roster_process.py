"""The roster's writer in a process of its own (a node's, ``remit serve``'s): the same answers
as in process, every acknowledged write in the database, on SQLite and on PostgreSQL, and a
child that dies or is stopped loses no acknowledged write and leaves nothing running."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_roster_group_commit import CN, NOW, session

from remit.enforcement import End, Join, Move, Session, SessionStatus
from remit.errors import Conflict, InvalidInput, NotFound, StoreError
from remit.store import RosterProcess, SqlEnforcementStore, open_enforcement_store
from remit.store._roster_sql import RawRoster, write_roster
from remit.store._sql_database import Database
from remit_server import OUTSIDE, RemitServer

#: What a roster's child runs.
ROSTER_CHILD = "remit.store._roster_child"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "remit.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    found: str = request.getfixturevalue("migrated_postgres_url")
    return found


@pytest.fixture
def store(url: str) -> Iterator[SqlEnforcementStore]:
    opened = open_enforcement_store(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def roster(url: str) -> Iterator[RosterProcess]:
    process = RosterProcess(url)
    try:
        yield process
    finally:
        process.close()


def _gone(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (it is this test process's grandchild at most, so
    ``RosterProcess`` reaps it; a zombie counts as gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def test_the_childs_writer_answers_a_batch_as_the_store_does(url: str) -> None:
    """``RawRoster`` (the child's, on a driver connection it holds) and ``write_roster`` (in
    process, through an ORM session) give the same answer to every write of one batch."""
    database = Database.open(url)
    raw = RawRoster(database)
    try:
        for sid in ("s-live", "s-live-2", "s-ended"):
            write_roster(database, [Join(session(sid))])
        write_roster(database, [End("s-ended", SessionStatus.REMOVED, NOW)])
        writes = [
            Join(session("a-new")),
            Join(session("a-new")),  # its id is taken by the one before
            End("s-live", SessionStatus.LEFT, NOW, "zoomish"),
            End("s-ended", SessionStatus.LEFT, NOW, "zoomish"),  # the first end stands
            End("s-nobody", SessionStatus.LEFT, NOW),
            Move("s-live-2", CN, "zoomish"),
            Move("s-live-2", CN, "another"),  # not that platform's session
            End("a-new", SessionStatus.LIVE, NOW),  # a session does not end as live
        ]
        out = raw(writes)
        kinds = [type(o) for o in out]
        assert kinds == [Session, Conflict, Session, Session, NotFound, Session, NotFound,
                         InvalidInput]  # fmt: skip
        assert out[2].status is SessionStatus.LEFT  # type: ignore[union-attr]
        assert out[3].status is SessionStatus.REMOVED  # type: ignore[union-attr]
        assert out[5].location == CN  # type: ignore[union-attr]
        # A failed batch leaves the connection usable (the next batch opens another).
        with pytest.raises(InvalidInput):
            raw([Join(session("a-bad", participant=None))])
        assert isinstance(raw([Join(session("a-after"))])[0], Session)
    finally:
        raw.close()
        database.close()
    store = open_enforcement_store(url)
    try:
        assert store.get_session("a-new").status is SessionStatus.LIVE
        assert store.get_session("a-after").status is SessionStatus.LIVE
        assert store.get_session("s-live-2").location == CN
        with pytest.raises(NotFound):
            store.get_session("a-bad")
    finally:
        store.close()


def test_concurrent_writes_through_the_process_are_each_answered_and_all_there(
    roster: RosterProcess, store: SqlEnforcementStore
) -> None:
    acknowledged: list[str] = []
    left: list[Session] = []
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            for n in range(30):
                written = roster.write_blocking(Join(session(f"s-{number}-{n}")))
                acknowledged.append(written.id)
                if n % 3 == 0:
                    left.append(
                        roster.write_blocking(End(written.id, SessionStatus.LEFT, NOW, "zoomish"))
                    )
        except BaseException as exc:  # the test fails on it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(acknowledged) == 240
    assert all(s.status is SessionStatus.LEFT and s.ended_at == NOW for s in left)
    assert left[0].location == session("x").location  # read back from the database
    live = {s.id for s in store.live_sessions()}
    assert live == set(acknowledged) - {s.id for s in left}
    assert sum(a.count for a in store.attendance_of(["june4"], [], NOW)) == len(left)
    assert roster.stats.latency.count == 240 + len(left)
    assert roster.stats.batches.count < 240 + len(left)  # committed together


def test_refusals_come_back_as_the_store_raises_them(roster: RosterProcess) -> None:
    roster.write_blocking(Join(session("s-1")))
    with pytest.raises(Conflict, match="already exists"):
        roster.write_blocking(Join(session("s-1")))
    with pytest.raises(NotFound):
        roster.write_blocking(End("s-none", SessionStatus.LEFT, NOW))
    with pytest.raises(InvalidInput) as refused:
        roster.write_blocking(End("s-1", SessionStatus.LIVE, NOW))
    assert refused.value.field == "status"
    moved = roster.write_blocking(Move("s-1", CN, "zoomish"))
    assert moved.location == CN
    assert moved.status is SessionStatus.LIVE


def test_coroutines_write_through_the_process_from_an_event_loop(
    roster: RosterProcess, store: SqlEnforcementStore
) -> None:
    async def many() -> list[Session]:
        return await asyncio.gather(*(roster.write(Join(session(f"a-{n}"))) for n in range(50)))

    written = asyncio.run(many())
    assert sorted(s.id for s in written) == sorted(f"a-{n}" for n in range(50))
    assert {s.id for s in store.live_sessions()} == {s.id for s in written}


def test_a_child_that_dies_is_replaced_and_acknowledged_writes_stay(
    roster: RosterProcess, store: SqlEnforcementStore
) -> None:
    roster.write_blocking(Join(session("before")))
    dead = roster.pids
    assert len(dead) == 1
    for pid in dead:
        os.kill(pid, signal.SIGKILL)
    assert all(_gone(pid) for pid in dead)
    deadline = time.monotonic() + 10
    while roster.pids and time.monotonic() < deadline:  # their readers saw them go
        time.sleep(0.01)
    after = roster.write_blocking(Join(session("after")))  # a new child writes it
    assert after.id == "after"
    assert roster.pids
    assert not set(roster.pids) & set(dead)
    assert {s.id for s in store.live_sessions()} == {"before", "after"}


def test_two_children_commit_every_write_between_them(url: str) -> None:
    """Two children (an option, for PostgreSQL) commit concurrent writes: every one is there,
    and both exit when closed."""
    roster = RosterProcess(url, processes=2)
    used: set[int] = set()
    try:
        assert len(roster.pids) == 2

        def worker(number: int) -> None:
            for n in range(20):
                roster.write_blocking(Join(session(f"s-{number}-{n}")))

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        used = set(roster.pids)
        assert roster.stats.latency.count == 160
    finally:
        roster.close()
    store = open_enforcement_store(url)
    try:
        assert len(store.live_sessions()) == 160
    finally:
        store.close()
    assert all(_gone(pid) for pid in used)


def test_the_child_outlives_sigterm_and_exits_when_closed(url: str) -> None:
    """A service manager's SIGTERM to the process group must not take the roster away while
    the node still commits what is waiting; closing the node's end stops it."""
    roster = RosterProcess(url)
    roster.write_blocking(Join(session("s-1")))
    pids = roster.pids
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    assert roster.write_blocking(Join(session("s-2"))).id == "s-2"
    assert roster.pids == pids
    roster.close()
    assert all(_gone(pid) for pid in pids)
    with pytest.raises(StoreError, match="stopping"):
        roster.write_blocking(Join(session("s-3")))


def test_a_child_that_cannot_reach_its_database_refuses_with_a_store_error(
    tmp_path: Path,
) -> None:
    roster = RosterProcess(f"sqlite:///{tmp_path / 'missing' / 'remit.sqlite3'}")
    try:
        with pytest.raises(StoreError):
            roster.write_blocking(Join(session("s-1")))
        assert roster.pids  # still there, for when the database is
    finally:
        roster.close()


def _children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is ``pid``: (pid, command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().split(")")[-1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if parent == pid:
            found.append((int(entry.name), command))
    return found


def test_remit_serve_writes_its_roster_through_one_child_and_leaves_none_behind(
    tmp_path: Path,
) -> None:
    """The node ``remit serve`` builds writes its roster through a child process (not a thread
    of its own), a join it answers 201 is in the database, and stopping it stops the child."""
    server = RemitServer(tmp_path)
    token = server.add_platform("meet", "webhook", {"url": "http://127.0.0.1:9/hooks"})
    server.start()
    try:
        assert server.process is not None
        children = [p for p, command in _children(server.process.pid) if ROSTER_CHILD in command]
        assert len(children) == 1, _children(server.process.pid)
        join = {
            "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
            "participant": {"id": "someone", "ip": OUTSIDE[0]},
        }
        answer = httpx.post(
            f"{server.base}/v1/sessions",
            json=join,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        sid = answer.json()["id"]
    finally:
        server.stop()
    assert _gone(children[0])
    store = open_enforcement_store(server.db)
    try:
        assert store.get_session(sid).participant == "someone"
    finally:
        store.close()
