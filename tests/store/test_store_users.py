"""Replacing a token and removing a user, on every backend: what is revoked, when, and what every
node sharing the database can tell from it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from store_builders import Backend

from remit.errors import Conflict, InvalidInput, NotFound
from remit.store import Role, Store, User

OLD, NEW, NEWER = "a" * 64, "b" * 64, "c" * 64


def _now() -> datetime:
    return datetime.now(UTC)


def _with_alice(store: Store) -> None:
    store.add_user(User("alice", frozenset({Role.INTAKE}), _now()), OLD)
    store.add_token("alice", "d" * 64)  # a second token of hers: replaced as well


def test_a_new_token_revokes_the_old_ones_at_once(store: Store) -> None:
    _with_alice(store)
    before = store.token_revocations(_now())
    store.replace_token("alice", NEW)
    assert store.user_for_token(OLD) is None
    assert store.user_for_token("d" * 64) is None
    found = store.user_for_token(NEW)
    assert found is not None
    assert found.name == "alice"
    assert store.token_revocations(_now()) == before + 1


def test_a_grace_period_keeps_the_old_token_until_it_ends(store: Store) -> None:
    _with_alice(store)
    ends = _now() + timedelta(seconds=1.5)
    store.replace_token("alice", NEW, old_until=ends)
    assert store.user_for_token(OLD) is not None  # still in its grace period
    assert store.user_for_token(NEW) is not None
    assert store.token_revocations(_now()) == 0  # takes effect when the period ends
    assert store.token_revocations(ends) == 1
    time.sleep(max(0.0, (ends - _now()).total_seconds()) + 0.1)
    assert store.user_for_token(OLD) is None
    assert store.user_for_token(NEW) is not None
    assert store.token_revocations(_now()) == 1


def test_a_second_rotation_ends_the_first_ones_old_token_no_later(store: Store) -> None:
    _with_alice(store)
    store.replace_token("alice", NEW, old_until=_now() + timedelta(hours=24))
    store.replace_token("alice", NEWER, old_until=_now() + timedelta(hours=1))
    for token in (OLD, NEW, NEWER):
        assert store.user_for_token(token) is not None, token
    store.replace_token("alice", "e" * 64)  # at once: every earlier one ends now
    assert [store.user_for_token(t) for t in (OLD, NEW, NEWER)] == [None, None, None]


def test_replacing_checks_the_user_and_the_token(store: Store) -> None:
    _with_alice(store)
    store.add_user(User("bo", frozenset({Role.REVIEWER}), _now()), NEW)
    with pytest.raises(NotFound):
        store.replace_token("nobody", NEWER)
    with pytest.raises(Conflict):
        store.replace_token("alice", NEW)  # bo's
    with pytest.raises(InvalidInput):
        store.replace_token("alice", "not hex")
    with pytest.raises(InvalidInput):
        store.replace_token("alice", NEWER, old_until=datetime(2030, 1, 1))  # naive
    assert store.user_for_token(OLD) is not None  # nothing changed


def test_a_removed_user_holds_no_token_and_keeps_the_name(store: Store) -> None:
    _with_alice(store)
    before = store.token_revocations(_now())
    store.remove_user("alice")
    assert store.user_for_token(OLD) is None
    assert store.get_user("alice").disabled
    assert [u.name for u in store.list_users()] == ["alice"]
    assert store.token_revocations(_now()) == before + 1
    store.remove_user("alice")  # again: nothing more happens
    assert store.token_revocations(_now()) == before + 1
    with pytest.raises(Conflict, match="was removed"):
        store.add_user(User("alice", frozenset({Role.ADMIN}), _now()), NEW)
    with pytest.raises(Conflict, match="was removed"):
        store.replace_token("alice", NEW)
    with pytest.raises(NotFound):
        store.remove_user("nobody")


def test_another_node_on_the_same_database_sees_each_revocation(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    _with_alice(first)
    seen = second.token_revocations(_now())
    first.replace_token("alice", NEW)
    assert second.token_revocations(_now()) == seen + 1
    assert second.user_for_token(OLD) is None
