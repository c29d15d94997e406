"""The roster and the outbox in bulk, as activation and delivery use them: loading sessions
(``add_sessions``), reading only the sessions inside a scope (``live_sessions(places=…)``) and
recording a round of delivery attempts (``record_attempts``). The same answers in memory, on
SQLite and on PostgreSQL, and the same as doing it one by one."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from remit.enforcement._interface import EnforcementStore
from remit.enforcement._memory import MemoryEnforcementStore
from remit.enforcement._model import Attempt, Command, CommandStatus, Session, SessionStatus
from remit.errors import InvalidInput, NotFound
from remit.location import UNKNOWN, Location
from remit.policy import Resource
from remit.store import SqlEnforcementStore, open_enforcement_store

NOW = datetime(2020, 6, 4, 12, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
CN = Location("CN", None, "iptocc")
BJ = Location("CN", "CN-BJ", "maxmind")
HK = Location("HK", None, "phone")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def opener(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], EnforcementStore]]:
    """Opens enforcement stores on one set of data (the memory store is one and the same)."""
    opened: list[EnforcementStore] = []
    if request.param == "memory":
        memory = MemoryEnforcementStore()

        def open_memory() -> EnforcementStore:
            return memory

        yield open_memory
        return
    if request.param == "sqlite":
        path = tmp_path / "remit.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = str(request.getfixturevalue("migrated_postgres_url"))

    def open_sql() -> EnforcementStore:
        store = open_enforcement_store(url)
        opened.append(store)
        return store

    try:
        yield open_sql
    finally:
        for store in opened:
            if isinstance(store, SqlEnforcementStore):
                store.close()


@pytest.fixture
def store(opener: Callable[[], EnforcementStore]) -> EnforcementStore:
    return opener()


def session(sid: str, meeting: str = "m1", host: str | None = "alice", **changes: Any) -> Session:
    fields: dict[str, Any] = {
        "id": sid,
        "platform": "zoomish",
        "resource": Resource("meeting", meeting, host),
        "participant": f"p-{sid}",
        "location": CN,
        "joined_at": NOW,
    }
    fields.update(changes)
    return Session(**fields)


def test_a_bulk_load_is_read_back_as_added_one_by_one(
    opener: Callable[[], EnforcementStore],
) -> None:
    varied = [
        session("s1", language="zh-CN"),
        session("s2", "m2", None, location=BJ),
        session("s3", "m3", "bob", location=UNKNOWN, joined_at=NOW.astimezone(BEIJING)),
        session("s4", location=HK, status=SessionStatus.REMOVED, ended_at=NOW + timedelta(hours=1)),
    ]
    bulk = opener()
    assert bulk.add_sessions(varied) == 4
    expected = [
        session("s1", language="zh-CN"),
        session("s2", "m2", None, location=BJ),
        session("s3", "m3", "bob", location=UNKNOWN, joined_at=NOW),
        session("s4", location=HK, status=SessionStatus.REMOVED, ended_at=NOW + timedelta(hours=1)),
    ]
    reader = opener()  # another node on the same database sees the committed roster
    for want in expected:
        got = reader.get_session(want.id)
        assert got == want
        assert got.joined_at.tzinfo is not None
        assert got.joined_at.utcoffset() == timedelta(0)
    assert [s.id for s in reader.live_sessions()] == ["s1", "s2", "s3"]
    assert [s.id for s in reader.live_sessions(hosts=["bob"])] == ["s3"]
    assert [s.id for s in reader.sessions_of(["m1"], [], NOW)] == ["s1", "s4"]
    assert [(a.location, a.count) for a in reader.attendance_of(["m1"], [], NOW)] == [(HK, 1)]


def test_a_stored_id_is_left_as_it_is(store: EnforcementStore) -> None:
    store.add_session(session("s1", location=HK))
    assert store.add_sessions([session("s1"), session("s2"), session("s2", location=HK)]) == 1
    assert store.get_session("s1").location == HK  # not replaced
    assert store.get_session("s2").location == CN  # the first in the batch won
    assert store.add_sessions([session("s1"), session("s2")]) == 0
    assert store.add_sessions([]) == 0


def test_a_refused_session_stores_nothing_of_its_batch(store: EnforcementStore) -> None:
    naive = session("bad", joined_at=datetime(2020, 6, 4, 12, 0))
    with pytest.raises(InvalidInput, match="joined_at"):
        store.add_sessions([session("ok"), naive])
    with pytest.raises(InvalidInput, match="status"):
        store.add_sessions([session("ok"), session("worse", status="dancing")])
    assert store.live_sessions() == []


def test_many_sessions_load_and_are_found_by_their_meetings(store: EnforcementStore) -> None:
    sessions = [
        session(f"s{n:05d}", f"m{n % 700}", f"h{n % 70}", location=CN if n % 10 == 0 else HK)
        for n in range(7000)
    ]
    assert store.add_sessions(sessions) == 7000
    found = store.live_sessions(resource_ids=[f"m{n}" for n in range(0, 700, 2)])
    assert len(found) == 3500
    assert [s.id for s in found] == sorted(s.id for s in found)
    assert sum(s.location == CN for s in found) == 700
    assert len(store.live_sessions(hosts=["h1", "h2"])) == 200


def test_live_sessions_inside_places(store: EnforcementStore) -> None:
    store.add_sessions(
        [
            session("cn", location=CN),
            session("bj", location=BJ),
            session("hk", location=HK),
            session("nowhere", location=UNKNOWN),
            session("gone", location=CN, status=SessionStatus.LEFT, ended_at=NOW),
            session("elsewhere", "m9", "zed", location=CN),
        ]
    )
    ids = lambda found: [s.id for s in found]  # noqa: E731
    assert ids(store.live_sessions(hosts=["alice"], places=["CN"])) == ["bj", "cn"]
    assert ids(store.live_sessions(hosts=["alice"], places=["CN-BJ"])) == ["bj"]
    assert ids(store.live_sessions(resource_ids=["m1"], places=["HK", "CN-BJ"])) == ["bj", "hk"]
    assert ids(store.live_sessions(places=["CN"])) == ["bj", "cn", "elsewhere"]
    assert ids(store.live_sessions(hosts=["alice"], places=["TW"])) == []
    assert len(store.live_sessions(hosts=["alice"])) == 4  # no places: every place, and unknown


def command(key: str, **changes: Any) -> Command:
    fields: dict[str, Any] = {
        "key": key,
        "platform": "zoomish",
        "type": "participant.remove",
        "data": {"session_id": key, "notice": {"title": "此会议在您所在的地区不可用"}},
        "order_id": "ord-1",
        "session_id": key,
        "status": CommandStatus.PENDING,
        "created_at": NOW,
        "next_attempt_at": NOW,
        "deadline": NOW + timedelta(hours=1),
    }
    fields.update(changes)
    return Command(**fields)


def test_a_round_of_attempts_is_recorded_as_one_by_one(
    opener: Callable[[], EnforcementStore],
) -> None:
    store = opener()
    store.enqueue([command(k) for k in ("a", "b", "c", "d", "e")])
    later = NOW + timedelta(minutes=1)
    store.record_attempts(
        [
            Attempt("a", CommandStatus.DELIVERED, NOW.astimezone(BEIJING)),
            Attempt("b", CommandStatus.PENDING, NOW, next_attempt_at=later, error="503"),
            Attempt("c", CommandStatus.FAILED, NOW, error="deadline passed"),
            Attempt("d", CommandStatus.PENDING, NOW, next_attempt_at=later, error="timeout"),
            Attempt("d", CommandStatus.DELIVERED, later),  # in order: the retry got through
            Attempt("e", CommandStatus.DELIVERED, NOW),
            Attempt("e", CommandStatus.FAILED, later, error="late"),  # delivered stays delivered
        ]
    )
    reader = opener()
    a, b, c, d, e = (reader.get_command(k) for k in "abcde")
    assert (a.status, a.attempts, a.delivered_at, a.last_error) == (
        CommandStatus.DELIVERED, 1, NOW, None,
    )  # fmt: skip
    assert (b.status, b.attempts, b.next_attempt_at, b.last_error) == (
        CommandStatus.PENDING, 1, later, "503",
    )  # fmt: skip
    assert (c.status, c.attempts, c.delivered_at, c.last_error) == (
        CommandStatus.FAILED, 1, None, "deadline passed",
    )  # fmt: skip
    assert (d.status, d.attempts, d.delivered_at, d.last_error) == (
        CommandStatus.DELIVERED, 2, later, None,
    )  # fmt: skip
    assert (e.status, e.attempts, e.delivered_at) == (CommandStatus.DELIVERED, 1, NOW)
    assert a.data == {"session_id": "a", "notice": {"title": "此会议在您所在的地区不可用"}}
    # a failed command changes only when a late attempt did deliver it
    store.record_attempts([Attempt("c", CommandStatus.DELIVERED, later)])
    assert reader.get_command("c").status is CommandStatus.DELIVERED
    store.record_attempts([])


def test_a_round_with_an_unknown_key_records_nothing(store: EnforcementStore) -> None:
    store.enqueue([command("a")])
    with pytest.raises(NotFound, match="nope"):
        store.record_attempts(
            [
                Attempt("a", CommandStatus.DELIVERED, NOW),
                Attempt("nope", CommandStatus.DELIVERED, NOW),
            ]
        )
    assert store.get_command("a").status is CommandStatus.PENDING
    with pytest.raises(InvalidInput, match="next_attempt_at"):
        store.record_attempts([Attempt("a", CommandStatus.PENDING, NOW)])
    assert store.get_command("a").attempts == 0
