"""The console's store: passwords and sessions, alike in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from remit.errors import Conflict, InvalidInput, NotFound
from remit.store import (
    ConsoleSession,
    ConsoleStore,
    MemoryStore,
    Role,
    User,
    console_store_for,
    open_store,
)

NOW = datetime(2026, 6, 4, 12, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConsoleStore]:
    if request.param == "memory":
        base = MemoryStore()
    else:
        url = str(request.getfixturevalue(f"migrated_{request.param}_url"))
        base = open_store(url)
    base.add_user(User("ana", frozenset({Role.REVIEWER}), NOW), hashlib.sha256(b"t").hexdigest())
    try:
        yield console_store_for(base)
    finally:
        base.close()


def _session(n: int, user: str = "ana", hours: float = 8) -> ConsoleSession:
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    return ConsoleSession(digest, user, f"csrf-{n}", NOW, NOW + timedelta(hours=hours))


def test_a_password_hash_is_kept_and_replaced(store: ConsoleStore) -> None:
    assert store.password_hash("ana") is None
    store.set_password("ana", "scrypt$1", NOW)
    store.set_password("ana", "scrypt$2", NOW)
    assert store.password_hash("ana") == "scrypt$2"
    with pytest.raises(NotFound):
        store.set_password("nobody", "scrypt$1", NOW)


def test_sessions_start_end_and_expire(store: ConsoleStore) -> None:
    store.add_session(_session(1))
    store.add_session(_session(2, hours=1))
    assert store.get_session(_session(1).id_hash) == _session(1)
    with pytest.raises(Conflict):
        store.add_session(_session(1))
    assert store.end_expired(NOW + timedelta(hours=2)) == 1
    assert store.get_session(_session(2).id_hash) is None
    store.end_session(_session(1).id_hash)
    store.end_session(_session(1).id_hash)  # again: nothing happens
    assert store.get_session(_session(1).id_hash) is None


def test_a_new_password_ends_the_users_sessions(store: ConsoleStore) -> None:
    store.add_session(_session(1))
    store.set_password("ana", "scrypt$new", NOW)
    assert store.get_session(_session(1).id_hash) is None


def test_a_session_the_store_cannot_keep_is_refused(store: ConsoleStore) -> None:
    with pytest.raises(InvalidInput):
        store.add_session(ConsoleSession("not-a-hash", "ana", "c", NOW, NOW))
    naive = datetime(2026, 6, 4, 12)
    with pytest.raises(InvalidInput):
        store.add_session(ConsoleSession(_session(3).id_hash, "ana", "c", naive, naive))


def test_failed_sign_ins_are_counted_per_key_and_taken_back(store: ConsoleStore) -> None:
    later = NOW + timedelta(minutes=1)
    store.add_signin_attempt("a1", {"user": "ana", "address": "192.0.2.1"}, NOW)
    store.add_signin_attempt("a2", {"user": "Ana", "address": "192.0.2.2"}, later)
    store.add_signin_attempt("a3", {"address": "192.0.2.1"}, later)
    with pytest.raises(Conflict):
        store.add_signin_attempt("a1", {"address": "192.0.2.9"}, later)
    assert store.signin_failures("user", "ana", NOW) == [("a1", NOW), ("a2", later)]
    assert store.signin_failures("address", "192.0.2.1", NOW) == [("a1", NOW), ("a3", later)]
    assert store.signin_failures("address", "192.0.2.1", later) == [("a3", later)]
    assert store.signin_failures("user", "nobody", NOW) == []
    store.forget_signin_attempt("a3")
    store.forget_signin_attempt("a3")  # again: nothing happens
    assert store.signin_failures("address", "192.0.2.1", NOW) == [("a1", NOW)]
    store.clear_signin_failures("user", "ANA")
    assert store.signin_failures("user", "ana", NOW) == []
    assert store.signin_failures("address", "192.0.2.2", NOW) == [("a2", later)]
    assert store.end_signin_failures(later) == 1
    assert store.signin_failures("address", "192.0.2.1", NOW) == []


def test_a_new_password_clears_the_users_failed_sign_ins(store: ConsoleStore) -> None:
    store.add_signin_attempt("a1", {"user": "ana", "address": "192.0.2.1"}, NOW)
    store.set_password("ana", "scrypt$new", NOW)
    assert store.signin_failures("user", "ana", NOW) == []
    assert store.signin_failures("address", "192.0.2.1", NOW) == [("a1", NOW)]


def test_a_sign_in_attempt_the_store_cannot_keep_is_refused(store: ConsoleStore) -> None:
    naive = datetime(2026, 6, 4, 12)
    for attempt, keys, at in (
        ("a1", {"user": "ana"}, naive),
        ("", {"user": "ana"}, NOW),
        ("a" * 65, {"user": "ana"}, NOW),
        ("a1", {}, NOW),
        ("a1", {"password": "x"}, NOW),
    ):
        with pytest.raises(InvalidInput):
            store.add_signin_attempt(attempt, keys, at)
    assert store.signin_failures("user", "ana", NOW - timedelta(days=1)) == []
