"""Platforms, the roster and the outbox: the same answers in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import inspect
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from remit.enforcement._interface import EnforcementStore
from remit.enforcement._memory import MemoryEnforcementStore
from remit.enforcement._model import (
    Command,
    CommandStatus,
    CommandType,
    Platform,
    Session,
    SessionStatus,
)
from remit.errors import Conflict, InvalidInput, NotFound, StoreError
from remit.location import Answer, Location
from remit.policy import Resource
from remit.store import (
    MemoryStore,
    SqlEnforcementStore,
    enforcement_store_for,
    open_enforcement_store,
    open_store,
)
from remit.store._enforcement_codec import sqlite_time
from remit.store._sql_models import UTCDateTime

NOW = datetime(2020, 6, 4, 12, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
CN = Location("CN", None, "iptocc")
HK = Location("HK", None, "iptocc")
US = Location("US", None, "maxmind")
LEASE = timedelta(seconds=30)


@dataclass
class Backend:
    """Opens enforcement stores on one set of data; closes them all at the end of the test."""

    name: str
    _open: Callable[[], EnforcementStore]
    opened: list[EnforcementStore] = field(default_factory=list)

    def open(self) -> EnforcementStore:
        store = self._open()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            if isinstance(store, SqlEnforcementStore):
                store.close()


def _sqlite(template: Path, folder: Path) -> Backend:
    path = folder / "remit.sqlite3"
    shutil.copyfile(template, path)
    return Backend("sqlite", lambda: open_enforcement_store(f"sqlite:///{path}"))


def _postgres(url: str) -> Backend:
    return Backend("postgres", lambda: open_enforcement_store(url))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        memory = MemoryEnforcementStore()
        chosen = Backend("memory", lambda: memory)
    elif request.param == "sqlite":
        chosen = _sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        chosen = _postgres(request.getfixturevalue("migrated_postgres_url"))
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture
def store(backend: Backend) -> EnforcementStore:
    return backend.open()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A database that two stores (two nodes) open each on their own engine."""
    if request.param == "sqlite":
        chosen = _sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        chosen = _postgres(request.getfixturevalue("migrated_postgres_url"))
    try:
        yield chosen
    finally:
        chosen.close()


def session(
    sid: str,
    meeting: str = "m1",
    *,
    host: str | None = "alice",
    kind: str = "meeting",
    location: Location = CN,
    joined_at: datetime = NOW,
    **changes: Any,
) -> Session:
    return Session(
        id=sid,
        platform="zoomish",
        resource=Resource(kind, meeting, host),
        participant=f"p-{sid}",
        location=location,
        joined_at=joined_at,
        **changes,
    )


def command(key: str, *, at: datetime = NOW, order_id: str = "ord-1", **changes: Any) -> Command:
    fields: dict[str, Any] = {
        "key": key,
        "platform": "zoomish",
        "type": "participant.remove",
        "data": {"session_id": key, "participant": {"id": "p"}, "notice": {"lang": "zh-Hans"}},
        "order_id": order_id,
        "session_id": key,
        "status": CommandStatus.PENDING,
        "created_at": at,
        "next_attempt_at": at,
        "deadline": at + timedelta(hours=1),
    }
    fields.update(changes)
    return Command(**fields)


def ids(sessions: list[Session]) -> list[str]:
    return [s.id for s in sessions]


def keys(commands: list[Command]) -> list[str]:
    return [c.key for c in commands]


# Platforms -----------------------------------------------------------------------------------
def test_a_platform_is_stored_and_listed_by_name(store: EnforcementStore) -> None:
    b = Platform("zoomish", "webhook", {"url": "https://z.example/hook", "secret": "whsec_x"}, NOW)
    a = Platform("aardvark", "webhook", {"url": "https://a.example/"}, NOW.astimezone(BEIJING))
    store.add_platform(b)
    store.add_platform(a)
    assert store.get_platform("zoomish") == b
    got = store.get_platform("aardvark")
    assert got == a
    assert got.created_at.tzinfo == UTC
    assert store.list_platforms() == [a, b]


def test_a_platform_name_is_taken_once(store: EnforcementStore) -> None:
    store.add_platform(Platform("zoomish", "webhook", {}, NOW))
    with pytest.raises(Conflict):
        store.add_platform(Platform("zoomish", "other", {"x": "y"}, NOW))
    assert store.get_platform("zoomish").connector == "webhook"


def test_a_missing_platform_is_not_found(store: EnforcementStore) -> None:
    with pytest.raises(NotFound):
        store.get_platform("nobody")
    assert store.list_platforms() == []


def test_a_platforms_settings_are_not_shared_with_the_caller(store: EnforcementStore) -> None:
    settings = {"url": "https://z.example/"}
    store.add_platform(Platform("zoomish", "webhook", settings, NOW))
    settings["url"] = "changed"
    store.get_platform("zoomish").settings["url"] = "changed too"
    assert store.get_platform("zoomish").settings == {"url": "https://z.example/"}


# Sessions ------------------------------------------------------------------------------------
def test_a_platforms_settings_are_replaced_and_nothing_else(store: EnforcementStore) -> None:
    store.add_platform(
        Platform("zoomish", "webhook", {"url": "https://z.example/", "secret": "1"}, NOW)
    )
    rotated = {"url": "https://z.example/", "secret": "2", "previous_secret": "1"}
    store.save_platform_settings("zoomish", rotated)
    rotated["secret"] = "not stored"  # the store keeps its own copy
    found = store.get_platform("zoomish")
    assert found.settings == {"url": "https://z.example/", "secret": "2", "previous_secret": "1"}
    assert (found.connector, found.created_at) == ("webhook", NOW)
    with pytest.raises(NotFound):
        store.save_platform_settings("nobody", {})


def test_a_session_is_stored_as_given_in_utc(store: EnforcementStore) -> None:
    full = session(
        "s1",
        joined_at=NOW.astimezone(BEIJING),
        language="zh-Hans",
        location=Location("UA", "UA-43", "static"),
    )
    store.add_session(full)
    got = store.get_session("s1")
    assert got == full
    assert got.joined_at.tzinfo == UTC
    assert got.status is SessionStatus.LIVE
    bare = session("s2", host=None)
    store.add_session(bare)
    assert store.get_session("s2") == bare


DISPUTED = Location(
    None,
    None,
    "disputed",
    (Answer("dbip", "UA", None, "2026-10-08"), Answer("iptocc", "RU", None, "2026-10-27")),
    "sources disagree: dbip UA, iptocc RU",
    frozenset({"RU", "UA"}),
)
AGREED = Location(
    "CN",
    None,
    "agree",
    (Answer("dbip", "CN", None, "2026-10-08"), Answer("iptocc", "CN", None, "2026-10-27")),
    embedded="nat64",
)


def test_a_sessions_location_keeps_its_evidence(store: EnforcementStore) -> None:
    store.add_session(session("s1", location=DISPUTED))
    assert store.add_sessions([session("s2", location=AGREED), session("s3")]) == 2
    assert store.get_session("s1").location == DISPUTED
    assert store.get_session("s2").location == AGREED
    assert store.get_session("s3").location == CN
    moved = store.move_session("s3", AGREED)
    assert moved.location == AGREED
    assert {s.id: s.location for s in store.live_sessions(resource_ids=["m1"])} == {
        "s1": DISPUTED,
        "s2": AGREED,
        "s3": AGREED,
    }


def test_a_session_id_is_taken_once(store: EnforcementStore) -> None:
    store.add_session(session("s1"))
    with pytest.raises(Conflict):
        store.add_session(session("s1", "m2"))
    assert store.get_session("s1").resource.id == "m1"


def test_a_missing_session_is_not_found(store: EnforcementStore) -> None:
    with pytest.raises(NotFound):
        store.get_session("nope")
    with pytest.raises(NotFound):
        store.end_session("nope", SessionStatus.LEFT, NOW)
    with pytest.raises(NotFound):
        store.move_session("nope", US)


def test_a_naive_time_is_refused(store: EnforcementStore) -> None:
    with pytest.raises(InvalidInput):
        store.add_session(session("s1", joined_at=NOW.replace(tzinfo=None)))
    with pytest.raises(InvalidInput):
        store.enqueue([command("k", at=NOW.replace(tzinfo=None))])
    with pytest.raises(InvalidInput):
        store.due_commands(NOW.replace(tzinfo=None), 10)


def test_an_ended_session_leaves_the_live_roster(store: EnforcementStore) -> None:
    store.add_session(session("s1"))
    store.add_session(session("s2"))
    left = store.end_session("s1", SessionStatus.LEFT, NOW + timedelta(minutes=5))
    assert left.status is SessionStatus.LEFT
    assert left.ended_at == NOW + timedelta(minutes=5)
    with pytest.raises(NotFound):  # counted, and no person-level row is left
        store.get_session("s1")
    with pytest.raises(NotFound):  # a second leave finds nothing to end
        store.end_session("s1", SessionStatus.LEFT, NOW + timedelta(minutes=7))
    removed = store.end_session("s2", SessionStatus.REMOVED, NOW + timedelta(minutes=6))
    assert removed.status is SessionStatus.REMOVED
    assert store.get_session("s2") == removed  # a removal keeps its row (appeals, readmissions)
    assert store.live_sessions() == []


def test_a_session_a_removal_names_keeps_its_row_when_it_leaves(store: EnforcementStore) -> None:
    store.add_session(session("s1"))
    store.add_session(session("s2"))
    store.enqueue([command("remove/ord-1/s1", session_id="s1")])
    store.enqueue([command("notice/s2", type="host.notice", session_id="s2")])
    left = store.end_session("s1", SessionStatus.LEFT, NOW)
    assert store.get_session("s1") == left
    store.end_session("s2", SessionStatus.LEFT, NOW)
    with pytest.raises(NotFound):
        store.get_session("s2")


def test_ended_sessions_are_counted_by_resource_day_and_place(store: EnforcementStore) -> None:
    day = NOW - timedelta(days=3)
    for n in range(3):
        store.add_session(session(f"cn{n}"))
    store.add_session(session("us", location=US))
    store.add_session(session("m2", "m2", host="alice"))
    store.add_session(session("bob", "m3", host="bob"))
    store.add_session(session("earlier", location=US))
    store.add_session(session("live"))
    for sid in ("cn0", "cn1", "us", "m2", "bob"):
        store.end_session(sid, SessionStatus.LEFT, day)
    store.end_session("cn2", SessionStatus.REMOVED, day + timedelta(hours=1))
    store.end_session("earlier", SessionStatus.LEFT, NOW - timedelta(days=9))

    counts = store.attendance_of(["m1"], [], NOW - timedelta(days=5))
    assert [(a.resource.id, a.day, a.location, a.count) for a in counts] == [
        ("m1", day.date(), CN, 3),  # a removal is counted too
        ("m1", day.date(), US, 1),
    ]
    assert counts[0].platform == "zoomish"
    assert counts[0].resource == Resource("meeting", "m1", "alice")
    by_host = store.attendance_of([], ["alice"], NOW - timedelta(days=30))
    assert [(a.resource.id, a.day, a.count) for a in by_host] == [
        ("m1", (NOW - timedelta(days=9)).date(), 1),
        ("m1", day.date(), 3),
        ("m1", day.date(), 1),
        ("m2", day.date(), 1),
    ]
    # From the UTC day of ``since`` on: a session that ended earlier that day is in.
    assert sum(a.count for a in store.attendance_of(["m1"], [], day + timedelta(hours=5))) == 4
    assert store.attendance_of(["m1"], [], NOW) == []
    assert store.attendance_of([], [], NOW - timedelta(days=30)) == []


def test_a_session_added_ended_is_counted(store: EnforcementStore) -> None:
    ended = replace(session("s1"), status=SessionStatus.LEFT, ended_at=NOW)
    assert store.add_sessions([ended, replace(ended, id="s2"), session("s3")]) == 3
    store.add_session(replace(ended, id="s4", status=SessionStatus.REMOVED))
    (count,) = store.attendance_of(["m1"], [], NOW)
    assert count.count == 3
    assert ids(store.sessions_of(["m1"], [], NOW)) == ["s3", "s4"]


def test_the_first_end_of_a_session_wins(store: EnforcementStore) -> None:
    store.add_session(session("s1"))
    removed = store.end_session("s1", SessionStatus.REMOVED, NOW)
    again = store.end_session("s1", SessionStatus.LEFT, NOW + timedelta(seconds=3))
    assert again == removed
    assert store.get_session("s1").status is SessionStatus.REMOVED


def test_a_session_cannot_end_as_live(store: EnforcementStore) -> None:
    store.add_session(session("s1"))
    with pytest.raises(InvalidInput):
        store.end_session("s1", SessionStatus.LIVE, NOW)


def test_a_moved_session_has_its_new_location(store: EnforcementStore) -> None:
    store.add_session(session("s1", location=HK))
    moved = store.move_session("s1", CN)
    assert moved.location == CN
    assert store.get_session("s1") == moved
    assert store.live_sessions(resource_ids=["m1"]) == [moved]


def test_an_ended_session_cannot_move(store: EnforcementStore) -> None:
    store.add_session(session("s1", location=HK))
    store.end_session("s1", SessionStatus.REMOVED, NOW)
    with pytest.raises(Conflict):
        store.move_session("s1", CN)
    assert store.get_session("s1").location == HK
    store.add_session(session("s2", location=HK))
    store.end_session("s2", SessionStatus.LEFT, NOW)
    with pytest.raises(NotFound):  # no row left to move
        store.move_session("s2", CN)


@pytest.fixture
def roster(store: EnforcementStore) -> EnforcementStore:
    """Four meetings of two hosts, a recording, a meeting without a host, one session ended."""
    store.add_session(session("a1", "m1", host="alice", joined_at=NOW))
    store.add_session(session("a2", "m1", host="alice", joined_at=NOW + timedelta(seconds=1)))
    store.add_session(session("a3", "m2", host="alice", location=US))
    store.add_session(session("b1", "m3", host="bob"))
    store.add_session(session("b2", "m4", host="bob", location=HK))
    store.add_session(session("r1", "m1", host="alice", kind="recording"))
    store.add_session(session("n1", "m5", host=None))
    store.add_session(session("gone", "m1", host="alice"))
    store.end_session("gone", SessionStatus.LEFT, NOW)
    return store


def test_live_sessions_of_resources(roster: EnforcementStore) -> None:
    assert ids(roster.live_sessions(resource_ids=["m1"])) == ["a1", "r1", "a2"]
    assert ids(roster.live_sessions(resource_type="meeting", resource_ids=["m1", "m3"])) == [
        "a1",
        "b1",
        "a2",
    ]
    assert roster.live_sessions(resource_type="recording", resource_ids=["m3"]) == []
    assert roster.live_sessions(resource_ids=["nothing"]) == []


def test_live_sessions_of_hosts(roster: EnforcementStore) -> None:
    assert ids(roster.live_sessions(hosts=["bob"])) == ["b1", "b2"]
    assert ids(roster.live_sessions(hosts=["alice"])) == ["a1", "a3", "r1", "a2"]
    assert roster.live_sessions(hosts=["carol"]) == []


def test_live_sessions_of_resources_or_hosts_come_once(roster: EnforcementStore) -> None:
    found = roster.live_sessions(resource_type="meeting", resource_ids=["m1", "m5"], hosts=["bob"])
    assert ids(found) == ["a1", "b1", "b2", "n1", "a2"]
    both = roster.live_sessions(resource_ids=["m3"], hosts=["bob"])
    assert ids(both) == ["b1", "b2"]


def test_live_sessions_of_a_type_or_all(roster: EnforcementStore) -> None:
    assert ids(roster.live_sessions(resource_type="recording")) == ["r1"]
    assert ids(roster.live_sessions()) == ["a1", "a3", "b1", "b2", "n1", "r1", "a2"]
    every = roster.live_sessions()
    assert all(s.status is SessionStatus.LIVE for s in every)
    assert every[0] == roster.get_session("a1")


def test_live_sessions_of_many_resources_and_hosts(store: EnforcementStore) -> None:
    for n in range(1300):
        store.add_session(session(f"s{n:04}", f"m{n:04}", host=f"h{n:04}"))
    wanted = [f"m{n:04}" for n in range(0, 1300, 1)][:1200] + [f"absent{n}" for n in range(300)]
    found = store.live_sessions(resource_type="meeting", resource_ids=wanted)
    assert ids(found) == [f"s{n:04}" for n in range(1200)]
    hosts = [f"h{n:04}" for n in range(100, 1300)] + ["h0000"]
    assert len(store.live_sessions(hosts=hosts)) == 1201
    assert len(store.live_sessions(resource_ids=wanted, hosts=hosts)) == 1300


def test_sessions_of_include_the_recently_ended(store: EnforcementStore) -> None:
    store.add_session(session("live", "m1", host="alice"))
    store.add_session(session("old", "m1", host="alice"))
    store.add_session(session("recent", "m2", host="alice"))
    store.add_session(session("removed", "m9", host="bob"))
    store.add_session(session("other", "m7", host="carol"))
    store.end_session("old", SessionStatus.REMOVED, NOW - timedelta(days=2))
    store.end_session("recent", SessionStatus.REMOVED, NOW - timedelta(hours=1))
    store.end_session("removed", SessionStatus.REMOVED, NOW)
    store.add_session(session("left", "m2", host="alice"))
    store.end_session("left", SessionStatus.LEFT, NOW)  # counted: no row
    since = NOW - timedelta(days=1)
    assert ids(store.sessions_of(["m1"], [], since)) == ["live"]
    assert ids(store.sessions_of([], ["alice"], since)) == ["live", "recent"]
    assert ids(store.sessions_of(["m1", "m9"], ["alice"], since)) == ["live", "recent", "removed"]
    assert ids(store.sessions_of(["m1"], [], NOW - timedelta(days=3))) == ["live", "old"]
    assert store.sessions_of([], [], since) == []


# Outbox --------------------------------------------------------------------------------------
def test_a_command_is_stored_once_per_key(store: EnforcementStore) -> None:
    first = command("remove/ord-1/s1", data={"n": 1, "nested": {"list": [1, "two", None]}})
    assert store.enqueue([first]) == 1
    assert store.enqueue([replace(first, data={"n": 2}), command("remove/ord-1/s2")]) == 1
    assert store.enqueue([first, first]) == 0
    assert store.get_command("remove/ord-1/s1") == first
    assert store.get_command("remove/ord-1/s1").type is CommandType.REMOVE
    assert store.get_command("remove/ord-1/s2").data["session_id"] == "remove/ord-1/s2"
    assert store.enqueue([]) == 0


def test_a_key_given_twice_in_one_batch_is_stored_once(store: EnforcementStore) -> None:
    one = command("host/ord-1/m1", data={"first": True})
    assert store.enqueue([one, replace(one, data={"first": False})]) == 1
    assert store.get_command("host/ord-1/m1").data == {"first": True}


def test_a_commands_data_must_be_json(store: EnforcementStore) -> None:
    with pytest.raises(InvalidInput):
        store.enqueue([command("k", data={"when": NOW})])
    with pytest.raises(NotFound):
        store.get_command("k")


def test_a_batch_with_a_bad_command_stores_nothing(store: EnforcementStore) -> None:
    good = command("good")
    with pytest.raises(InvalidInput):
        store.enqueue([good, command("bad", platform=None)])
    with pytest.raises(InvalidInput):
        store.enqueue([good, command("bad", data=["not", "an", "object"])])
    with pytest.raises(InvalidInput):
        store.enqueue([good, command("bad", status="sent")])
    with pytest.raises(InvalidInput, match="type"):
        store.enqueue([good, command("bad", type="account.suspend")])
    with pytest.raises(NotFound):
        store.get_command("good")
    assert store.enqueue([good]) == 1


@pytest.mark.postgres
def test_a_value_postgresql_refuses_is_invalid_input(migrated_postgres_url: str) -> None:
    store = _postgres(migrated_postgres_url).open()
    try:
        with pytest.raises(InvalidInput):
            store.enqueue([command("k" * 2000)])
        with pytest.raises(InvalidInput):
            store.enqueue([command("k", order_id="o" * 300)])
        assert store.list_commands() == []
    finally:
        assert isinstance(store, SqlEnforcementStore)
        store.close()


def test_sqlite_times_are_written_as_sqlalchemy_writes_them() -> None:
    dialect = sqlite_dialect.dialect()
    write = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert write is not None
    for value in (
        NOW,
        NOW.astimezone(BEIJING),
        NOW + timedelta(microseconds=5),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ):
        assert sqlite_time(value) == write(value)


def test_a_commands_data_is_not_shared_with_the_caller(store: EnforcementStore) -> None:
    data: dict[str, Any] = {"list": [1]}
    store.enqueue([command("k", data=data)])
    data["list"].append(2)
    store.get_command("k").data["list"].append(3)
    assert store.get_command("k").data == {"list": [1]}


def test_a_missing_command_is_not_found(store: EnforcementStore) -> None:
    with pytest.raises(NotFound):
        store.get_command("nope")
    with pytest.raises(NotFound):
        store.record_attempt("nope", status=CommandStatus.DELIVERED, at=NOW)


def test_twenty_thousand_commands_are_enqueued_in_one_call(store: EnforcementStore) -> None:
    many = [command(f"remove/ord-1/s{n:05}") for n in range(20_000)]
    started = time.perf_counter()
    assert store.enqueue(many) == 20_000
    assert time.perf_counter() - started < 20
    assert store.enqueue([*many[:100], command("remove/ord-1/extra")]) == 1
    assert len(store.due_commands(NOW, 25_000)) == 20_001


def test_due_commands_come_oldest_first_up_to_the_limit(store: EnforcementStore) -> None:
    store.enqueue(
        [
            command("c", at=NOW - timedelta(seconds=10)),
            command("a", at=NOW - timedelta(seconds=30)),
            command("later", at=NOW + timedelta(seconds=1)),
            command("b", at=NOW - timedelta(seconds=20)),
            command("done", at=NOW - timedelta(hours=1), status=CommandStatus.DELIVERED),
            command("failed", at=NOW - timedelta(hours=1), status=CommandStatus.FAILED),
        ]
    )
    assert keys(store.due_commands(NOW, 2)) == ["a", "b"]
    assert keys(store.due_commands(NOW, 10)) == ["c"]
    assert store.due_commands(NOW, 10) == []
    with pytest.raises(InvalidInput):
        store.due_commands(NOW, 0)


def test_a_claim_lasts_its_lease(store: EnforcementStore) -> None:
    store.enqueue([command("k")])
    claimed = store.due_commands(NOW, 10)
    assert keys(claimed) == ["k"]
    assert claimed[0].next_attempt_at == NOW + LEASE
    assert store.get_command("k").next_attempt_at == NOW + LEASE
    assert store.due_commands(NOW + LEASE - timedelta(seconds=1), 10) == []
    assert keys(store.due_commands(NOW + LEASE, 10)) == ["k"]  # its claimer crashed, say


def test_a_delivered_command_is_not_due_again(store: EnforcementStore) -> None:
    store.enqueue([command("k")])
    store.due_commands(NOW, 10)
    store.record_attempt("k", status=CommandStatus.DELIVERED, at=NOW + timedelta(seconds=1))
    got = store.get_command("k")
    assert got.status is CommandStatus.DELIVERED
    assert got.delivered_at == NOW + timedelta(seconds=1)
    assert got.attempts == 1
    assert got.last_error is None
    assert store.due_commands(NOW + timedelta(days=1), 10) == []


def test_a_retried_command_comes_due_at_its_next_time(store: EnforcementStore) -> None:
    store.enqueue([command("k")])
    store.due_commands(NOW, 10)
    retry = NOW + timedelta(seconds=4)
    store.record_attempt(
        "k", status=CommandStatus.PENDING, at=NOW, next_attempt_at=retry, error="HTTP 503"
    )
    got = store.get_command("k")
    assert (got.status, got.attempts, got.last_error) == (CommandStatus.PENDING, 1, "HTTP 503")
    assert got.next_attempt_at == retry
    assert store.due_commands(retry - timedelta(seconds=1), 10) == []
    again = store.due_commands(retry, 10)
    assert keys(again) == ["k"]
    assert again[0].attempts == 1
    store.record_attempt("k", status=CommandStatus.DELIVERED, at=retry)
    assert store.get_command("k").attempts == 2


def test_a_pending_attempt_needs_its_next_time(store: EnforcementStore) -> None:
    store.enqueue([command("k")])
    with pytest.raises(InvalidInput):
        store.record_attempt("k", status=CommandStatus.PENDING, at=NOW)


def test_a_failed_command_is_kept_with_its_error(store: EnforcementStore) -> None:
    store.enqueue([command("k")])
    store.record_attempt("k", status=CommandStatus.FAILED, at=NOW, error="deadline passed")
    got = store.get_command("k")
    assert (got.status, got.attempts, got.last_error) == (
        CommandStatus.FAILED,
        1,
        "deadline passed",
    )
    assert store.due_commands(NOW + timedelta(days=1), 10) == []
    assert keys(store.list_commands(status=CommandStatus.FAILED)) == ["k"]


def test_a_settled_command_stays_settled(store: EnforcementStore) -> None:
    store.enqueue([command("done"), command("failed")])
    store.record_attempt("done", status=CommandStatus.DELIVERED, at=NOW)
    store.record_attempt("done", status=CommandStatus.FAILED, at=NOW, error="late")
    store.record_attempt(
        "done", status=CommandStatus.PENDING, at=NOW, next_attempt_at=NOW, error="late"
    )
    assert store.get_command("done").status is CommandStatus.DELIVERED
    assert store.get_command("done").attempts == 1
    store.record_attempt("failed", status=CommandStatus.FAILED, at=NOW, error="timeout")
    store.record_attempt(
        "failed", status=CommandStatus.PENDING, at=NOW, next_attempt_at=NOW, error="x"
    )
    assert store.get_command("failed").status is CommandStatus.FAILED
    # A slow node's attempt did get through after all: that is the truth to keep.
    store.record_attempt("failed", status=CommandStatus.DELIVERED, at=NOW + timedelta(seconds=1))
    late = store.get_command("failed")
    assert (late.status, late.delivered_at) == (CommandStatus.DELIVERED, NOW + timedelta(seconds=1))


def test_list_commands_of_one_platform_fill_the_page(store: EnforcementStore) -> None:
    older = [command(f"mine-{n}", at=NOW + timedelta(seconds=n)) for n in range(2)]
    newer = [
        command(f"theirs-{n}", at=NOW + timedelta(seconds=10 + n), platform="other")
        for n in range(3)
    ]
    store.enqueue([*older, *newer])
    assert keys(store.list_commands(platform="zoomish", limit=2)) == ["mine-1", "mine-0"]
    assert keys(store.list_commands(platform="other", limit=2)) == ["theirs-2", "theirs-1"]


def test_list_commands_newest_first_filtered(store: EnforcementStore) -> None:
    store.enqueue(
        [
            command("o1-a", order_id="ord-1", at=NOW),
            command("o1-b", order_id="ord-1", at=NOW + timedelta(seconds=2)),
            command("o2-a", order_id="ord-2", at=NOW + timedelta(seconds=1)),
        ]
    )
    store.record_attempt("o1-b", status=CommandStatus.DELIVERED, at=NOW)
    assert keys(store.list_commands()) == ["o1-b", "o2-a", "o1-a"]
    assert keys(store.list_commands(limit=2)) == ["o1-b", "o2-a"]
    assert keys(store.list_commands(order_id="ord-1")) == ["o1-b", "o1-a"]
    assert keys(store.list_commands(status=CommandStatus.PENDING)) == ["o2-a", "o1-a"]
    assert keys(
        store.list_commands(status=CommandStatus.DELIVERED, order_id="ord-1")
    ) == ["o1-b"]  # fmt: skip
    assert store.list_commands(order_id="ord-3") == []
    with pytest.raises(InvalidInput):
        store.list_commands(limit=0)
    with pytest.raises(InvalidInput):
        store.list_commands(status="sent")  # type: ignore[arg-type]


def test_an_orders_removals_come_in_pages_by_key(store: EnforcementStore) -> None:
    removals = [command(f"remove/ord-1/s-{n:04}", at=NOW + timedelta(seconds=n)) for n in range(25)]
    others = [
        command("host/ord-1/meeting/m1", type="host.notice"),
        command("refused/ord-1/2020-06-04/p", type="participant.refused"),
        command("remove/ord-2/s-0000", order_id="ord-2"),
    ]
    store.enqueue([*reversed(removals), *others])
    pages, after = [], None
    while True:
        page = store.removals_of("ord-1", after=after, limit=10)
        pages.append(keys(page))
        if len(page) < 10:
            break
        after = page[-1].key
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [key for page in pages for key in page] == [c.key for c in removals]
    assert store.removals_of("ord-1", after="remove/ord-1/s-0023") == [
        store.get_command("remove/ord-1/s-0024")
    ]
    assert store.removals_of("ord-3") == []
    with pytest.raises(InvalidInput):
        store.removals_of("ord-1", limit=0)


# Many nodes ----------------------------------------------------------------------------------
def _claim_all(store: EnforcementStore, into: list[str], start: threading.Barrier) -> None:
    start.wait()
    while batch := store.due_commands(NOW, 25):
        into.extend(keys(batch))


def test_two_nodes_never_claim_the_same_command(shared: Backend) -> None:
    a, b = shared.open(), shared.open()
    total = 3000
    a.enqueue([command(f"k{n:05}", at=NOW - timedelta(microseconds=n)) for n in range(total)])
    got_a: list[str] = []
    got_b: list[str] = []
    start = threading.Barrier(2)
    threads = [
        threading.Thread(target=_claim_all, args=(a, got_a, start)),
        threading.Thread(target=_claim_all, args=(b, got_b, start)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not set(got_a) & set(got_b)
    assert len(got_a) + len(got_b) == total
    assert set(got_a) | set(got_b) == {f"k{n:05}" for n in range(total)}
    if shared.name == "postgres":
        assert got_a  # SKIP LOCKED: both nodes worked at once
        assert got_b


@pytest.mark.postgres
def test_a_claim_skips_commands_another_node_holds(migrated_postgres_url: str) -> None:
    backend = _postgres(migrated_postgres_url)
    try:
        store = backend.open()
        store.enqueue([command(f"k{n}", at=NOW - timedelta(seconds=10 - n)) for n in range(6)])
        url = make_url(migrated_postgres_url)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database,
            options=str(url.query["options"]),
        ) as other:  # fmt: skip
            other.execute("SELECT key FROM commands WHERE key IN ('k0', 'k1') FOR UPDATE")
            claimed: list[str] = []
            claimer = threading.Thread(
                target=lambda: claimed.extend(keys(store.due_commands(NOW, 3)))
            )
            claimer.start()
            claimer.join(timeout=10)
            held = claimer.is_alive()
            other.rollback()
        claimer.join()
        assert not held, "the claim waited for the other node's locks"
        assert claimed == ["k2", "k3", "k4"]
    finally:
        backend.close()


# Construction --------------------------------------------------------------------------------
def test_the_enforcement_store_shares_a_sql_stores_database(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "remit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    with open_store(f"sqlite:///{path}") as store:
        beside = enforcement_store_for(store)
        assert isinstance(beside, SqlEnforcementStore)
        beside.add_platform(Platform("zoomish", "webhook", {}, NOW))
    again = open_enforcement_store(f"sqlite:///{path}")
    try:
        assert [p.name for p in again.list_platforms()] == ["zoomish"]
    finally:
        again.close()
    assert isinstance(enforcement_store_for(MemoryStore()), MemoryEnforcementStore)


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not migrated"):
        open_enforcement_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")


def test_a_lease_must_be_positive(sqlite_template: Path) -> None:
    with pytest.raises(InvalidInput):
        MemoryEnforcementStore(lease=timedelta(0))
    with pytest.raises(InvalidInput):
        open_enforcement_store(f"sqlite:///{sqlite_template}", lease=timedelta(seconds=-1))


def test_a_shorter_lease(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "remit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    sql = open_enforcement_store(f"sqlite:///{path}", lease=timedelta(seconds=2))
    try:
        for store in (sql, MemoryEnforcementStore(lease=timedelta(seconds=2))):
            store.enqueue([command("k")])
            assert keys(store.due_commands(NOW, 1)) == ["k"]
            assert store.due_commands(NOW + timedelta(seconds=1), 1) == []
            assert keys(store.due_commands(NOW + timedelta(seconds=2), 1)) == ["k"]
    finally:
        sql.close()


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize("implementation", [MemoryEnforcementStore, SqlEnforcementStore])
def test_a_store_has_every_method_of_the_interface(implementation: type) -> None:
    wanted, found = _methods(EnforcementStore), _methods(implementation)
    assert set(wanted) <= set(found)
    for name, signature in wanted.items():
        assert found[name].parameters.keys() == signature.parameters.keys(), name
