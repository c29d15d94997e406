"""The log store: gap-free indexes, each key once, even with appends racing from two nodes.

Every test runs in memory, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from remit.errors import InvalidInput, StoreError
from remit.store import (
    MemoryStore,
    SqlLogStore,
    log_store_for,
    open_log_store,
    open_store,
)
from remit.transparency import LogRecord, LogStore, MemoryLogStore, leaf_hash


def record(n: int, kind: str = "order.transition") -> LogRecord:
    return LogRecord(f"key/{n}", kind, f'{{"n":{n}}}'.encode())


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for the memory store, else a migrated database."""
    if request.param == "memory":
        return None
    return str(request.getfixturevalue(f"migrated_{request.param}_url"))


@pytest.fixture
def log_store(url: str | None) -> Iterator[LogStore]:
    if url is None:
        yield MemoryLogStore()
        return
    opened = open_log_store(url)
    try:
        yield opened
    finally:
        opened.close()


def test_appends_are_numbered_from_zero_without_gaps(log_store: LogStore) -> None:
    assert log_store.size() == 0
    assert log_store.append([record(0), record(1)]) == [0, 1]
    assert log_store.append([record(2)]) == [2]
    assert log_store.size() == 3
    assert log_store.entries(0, 10) == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert [leaf.index for leaf in log_store.leaves(1, 3)] == [1, 2]
    assert log_store.leaves(0, 1)[0].leaf_hash == leaf_hash(b'{"n":0}')
    assert log_store.leaves(0, 1)[0].key == "key/0"


def test_a_key_is_stored_once(log_store: LogStore) -> None:
    assert log_store.append([record(0), record(1)]) == [0, 1]
    # Again, mixed with a new one and with itself: the known keys keep their index.
    assert log_store.append([record(1), record(2), record(2), record(0)]) == [1, 2, 2, 0]
    assert log_store.size() == 3
    assert log_store.append([]) == []


def test_entries_of_kind_come_in_log_order(log_store: LogStore) -> None:
    log_store.append([record(0, "a.kind"), record(1, "b.kind"), record(2, "a.kind")])
    assert log_store.entries_of_kind(["a.kind"]) == [b'{"n":0}', b'{"n":2}']
    assert log_store.entries_of_kind([]) == []


def test_ranges_are_checked(log_store: LogStore) -> None:
    log_store.append([record(0)])
    assert log_store.entries(1, 5) == []
    with pytest.raises(InvalidInput) as raised:
        log_store.entries(-1, 2)
    assert raised.value.field == "start"
    with pytest.raises(InvalidInput) as raised:
        log_store.leaves(2, 1)
    assert raised.value.field == "end"


def test_checkpoints_keep_the_first_per_size_and_give_the_latest(log_store: LogStore) -> None:
    assert log_store.latest_checkpoint() is None
    log_store.append([record(0), record(1)])
    log_store.save_checkpoint(1, "one")
    log_store.save_checkpoint(2, "two")
    log_store.save_checkpoint(2, "two again")
    assert log_store.latest_checkpoint() == "two"


def test_a_record_is_checked() -> None:
    with pytest.raises(InvalidInput):
        LogRecord("", "kind", b"")
    with pytest.raises(InvalidInput):
        LogRecord("k" * 401, "kind", b"")
    with pytest.raises(InvalidInput):
        LogRecord("key", "k" * 33, b"")


def test_racing_appends_from_two_nodes_stay_gap_free(url: str | None) -> None:
    """Two nodes (two engines) append overlapping batches at once: every key once, no gap."""
    if url is None:
        stores: list[LogStore] = [MemoryLogStore()] * 2
    else:
        stores = [open_log_store(url), open_log_store(url)]
    errors: list[BaseException] = []

    def node(store: LogStore, offset: int) -> None:
        try:
            for start in range(0, 200, 10):
                # Both nodes log the same keys (the same order changes), in other batches.
                store.append([record(n) for n in range(start + offset, start + offset + 15)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=node, args=(s, k * 5)) for k, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        size = stores[0].size()
        assert size == 210  # keys 0..209
        leaves = stores[1].leaves(0, size)
        assert [leaf.index for leaf in leaves] == list(range(size))
        assert sorted(leaf.key for leaf in leaves) == sorted(f"key/{n}" for n in range(size))
    finally:
        for store in stores:
            if isinstance(store, SqlLogStore):
                store.close()


def test_a_missing_entry_is_an_error_not_a_short_answer(database_url: str) -> None:
    import sqlalchemy as sa

    store = open_log_store(database_url)
    try:
        store.append([record(n) for n in range(5)])
        engine = sa.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM log_entries WHERE idx IN (2, 4)"))
        engine.dispose()
        with pytest.raises(StoreError, match="log entry 2 is missing"):
            store.entries(0, 5)
        with pytest.raises(StoreError, match="log entry 4 is missing"):
            store.entries(3, 5)
    finally:
        store.close()


def test_the_log_store_beside_a_store(database_url: str) -> None:
    store = open_store(database_url)
    try:
        beside = log_store_for(store)
        assert isinstance(beside, SqlLogStore)
        beside.append([record(0)])
        assert beside.size() == 1
    finally:
        store.close()
    assert isinstance(log_store_for(MemoryStore()), MemoryLogStore)
