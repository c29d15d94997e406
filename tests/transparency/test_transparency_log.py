"""The log a node keeps: idempotent by key, caught up at start, signed, provable, and refusing to
serve a store that no longer matches what it signed."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from log_builders import ORIGIN, SIGNER, T0, approved, demand, new_log, story

from remit import orders
from remit.api import Node
from remit.errors import StoreError
from remit.location import Locator, StaticSource
from remit.orders import Order
from remit.store import MemoryStore, Store, log_store_for, open_log_store, open_store
from remit.transparency import (
    Checkpoint,
    LogRecord,
    MemoryLogStore,
    TransparencyLog,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from remit.transparency import entries as log_entries


def checkpoint_of(log: TransparencyLog) -> Checkpoint:
    return verify_checkpoint(log.checkpoint(), SIGNER.verifier_key(), origin=ORIGIN)


def test_each_transition_is_logged_once_however_often_it_is_seen() -> None:
    log = new_log()
    order = demand()
    log.order_changed(order)
    log.order_changed(order)
    assert log.size == 1
    later = approved(order)
    log.order_changed(later)
    log.order_changed(later)
    log.order_changed(order)  # an older state, seen late: nothing new
    assert log.size == 3
    kinds = [log_entries.parse_entry(e)["kind"] for e in log.entries(0, 10)]
    assert kinds == ["order.received", "order.transition", "order.transition"]


def test_two_nodes_on_one_store_log_each_transition_once() -> None:
    shared = MemoryLogStore()
    first, second = new_log(shared), new_log(shared)
    order = approved(demand())
    first.order_changed(order)
    second.order_changed(order)
    assert shared.size() == 3
    second.refresh()
    assert first.checkpoint() == second.checkpoint()


def test_a_node_sees_what_other_nodes_appended_before_it_answers() -> None:
    shared = MemoryLogStore()
    first, second = new_log(shared), new_log(shared)
    first.order_changed(approved(demand()))
    assert checkpoint_of(second).size == 3
    assert second.inclusion_proof(2, 3) == first.inclusion_proof(2, 3)


def test_the_checkpoint_is_a_signed_tree_head_kept_in_the_store() -> None:
    store = MemoryLogStore()
    log = new_log(store)
    empty = checkpoint_of(log)
    assert (empty.origin, empty.size) == (ORIGIN, 0)
    log.log_orders(story())
    checkpoint = checkpoint_of(log)
    assert checkpoint.size == store.size() == 11
    assert store.latest_checkpoint() == log.checkpoint()


def test_inclusion_and_consistency_proofs_verify() -> None:
    log = new_log()
    log.log_orders(story()[:2])
    old = checkpoint_of(log)
    log.log_orders(story()[2:])
    new = checkpoint_of(log)
    for index, data in enumerate(log.entries(0, new.size)):
        proof = log.inclusion_proof(index, new.size)
        verify_inclusion(leaf_hash(data), index, new.size, proof, new.root_hash)
    proof = log.consistency_proof(old.size, new.size)
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


def test_bad_proof_requests_name_the_field() -> None:
    log = new_log()
    log.log_orders(story())
    with pytest.raises(ValueError, match="index") as raised:
        log.inclusion_proof(11, 11)
    assert getattr(raised.value, "field", None) == "index"
    with pytest.raises(ValueError, match="size"):
        log.inclusion_proof(0, 12)
    with pytest.raises(ValueError, match="first"):
        log.consistency_proof(0, 3)
    with pytest.raises(ValueError, match="second"):
        log.consistency_proof(3, 99)


def test_entries_are_capped_per_call() -> None:
    log = new_log()
    log.append_records([LogRecord(f"k/{n}", "test", b"%d" % n) for n in range(1500)])
    assert len(log.entries(0, 5000)) == 1000
    assert log.entries(1499, 1600) == [b"1499"]
    assert log.entries(1500, 1600) == []


def test_enforcement_counts_and_appeal_outcomes_are_appended_once() -> None:
    log = new_log()
    day = date(2020, 6, 4)
    first = log.append_enforcement_counts("ord-0001", day, {"CN": {"refused": 2}})
    again = log.append_enforcement_counts("ord-0001", day, {"CN": {"refused": 2}})
    assert first == again == 0
    at = datetime(2020, 7, 1, tzinfo=UTC)
    appeal = log.append_appeal_outcome("ord-0001", "upheld", ["CN"], at=at, appeal_id="a1")
    assert log.append_appeal_outcome("ord-0001", "upheld", ["CN"], at=at, appeal_id="a1") == 1
    assert appeal == 1
    assert log.append_appeal_outcome("ord-0001", "filed", ["CN"]) == 2  # at: the log's clock
    kinds = ["enforcement.counts", "appeal.outcome"]
    assert len(log.entries_of_kind(kinds)) == 3


class FailingOnce(MemoryLogStore):
    """A store whose next append fails, as a database that went away would."""

    fail = False

    def append(self, records: Sequence[LogRecord]) -> list[int]:
        if self.fail:
            self.fail = False
            raise StoreError("the database went away")
        return super().append(records)


def test_an_order_the_store_could_not_take_is_logged_with_the_next_change() -> None:
    store = FailingOnce()
    log = new_log(store)
    store.fail = True
    with pytest.raises(StoreError):
        log.order_changed(demand("ord-0001"))
    log.order_changed(demand("ord-0002"))
    orders = {log_entries.parse_entry(e)["order"] for e in log.entries(0, 10)}
    assert orders == {"ord-0001", "ord-0002"}


def _node(store: MemoryStore, log: TransparencyLog) -> Node:
    return Node(store, Locator(ip_sources=[StaticSource({})]), log=log)


def test_a_node_logs_every_change_and_catches_up_after_a_crash() -> None:
    store = MemoryStore()
    log_store = MemoryLogStore()
    node = _node(store, new_log(log_store))
    node.resync()
    order = demand()
    node.record(order, None)  # stored, but the node crashes before its listeners hear of it
    done = approved(order)
    for step in (2, 3):  # saved by another node, step by step, while this one was down
        store.save_order(replace(done, version=step, transitions=done.transitions[:step]))
    assert log_store.size() == 0
    # The restarted node's first resync hands every order to a log opened on the same store.
    restarted = _node(store, new_log(log_store))
    restarted.resync()
    assert log_store.size() == 3
    changed = restarted.act(
        order.id, lambda o, now: orders.lift(o, actor="bob", now=now, reason="appeal")
    )
    assert changed.status.value == "lifted"
    assert log_store.size() == 4


def _tamper(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def opened() -> Iterator[list[Store]]:
    """The stores a test opened, closed at its end."""
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def _log_on(url: str, opened: list[Store]) -> TransparencyLog:
    store = open_store(url)
    opened.append(store)
    log = TransparencyLog(log_store_for(store), SIGNER, origin=ORIGIN, secret=b"s")
    return log.open()


def test_a_node_refuses_a_log_that_no_longer_matches_its_last_checkpoint(
    database_url: str, opened: list[Store]
) -> None:
    log = _log_on(database_url, opened)
    log.log_orders(story())
    log.checkpoint()
    _log_on(database_url, opened)  # opens fine: nothing changed
    # Entry 3 rewritten (its leaf hash made that of entry 4, 32 bytes as any hash).
    _tamper(
        database_url,
        "UPDATE log_entries SET leaf_hash = "
        "(SELECT e.leaf_hash FROM log_entries e WHERE e.idx = 4) WHERE idx = 3",
    )
    with pytest.raises(StoreError, match="no longer match its last signed checkpoint"):
        _log_on(database_url, opened)
    _tamper(database_url, "UPDATE log_entries SET leaf_hash = data WHERE idx = 3")
    with pytest.raises(StoreError, match="entry 3 has a corrupt leaf hash"):
        _log_on(database_url, opened)


def test_a_node_refuses_a_log_with_entries_removed(database_url: str, opened: list[Store]) -> None:
    log = _log_on(database_url, opened)
    log.log_orders(story())
    log.checkpoint()
    _tamper(database_url, "DELETE FROM log_entries WHERE idx = 10")
    _tamper(database_url, "UPDATE log_sequence SET value = 10")
    with pytest.raises(StoreError, match="entries were removed"):
        _log_on(database_url, opened)
    _tamper(database_url, "DELETE FROM log_entries WHERE idx = 5")
    with pytest.raises(StoreError, match="log entry 5 is missing"):
        _log_on(database_url, opened)


def test_the_stored_log_survives_a_restart(database_url: str, opened: list[Store]) -> None:
    log = _log_on(database_url, opened)
    log.log_orders(story())
    note = log.checkpoint()
    again = _log_on(database_url, opened)
    assert again.size == 11
    assert again.checkpoint() == note
    again.log_orders(story())  # nothing new: every key is known after the restart
    log_store = open_log_store(database_url)
    assert log_store.size() == 11
    log_store.close()


def test_a_log_origin_must_be_a_checkpoint_line() -> None:
    with pytest.raises(ValueError, match="origin"):
        TransparencyLog(MemoryLogStore(), SIGNER, origin="two\nlines", secret=b"s")


def test_leaf_data_is_what_the_entries_endpoint_serves() -> None:
    log = new_log()
    log.order_changed(demand())
    (data,) = log.entries(0, 1)
    assert log.leaf_hash(0) == leaf_hash(data)
    assert base64.b64encode(data)  # bytes, ready for base64 on the wire


def test_times_in_entries_are_utc() -> None:
    order: Order = demand(received_at=T0.astimezone(ZoneInfo("Asia/Shanghai")))
    log = new_log()
    log.order_changed(order)
    assert log_entries.parse_entry(log.entries(0, 1)[0])["received_at"] == "2020-06-01T01:00:00Z"
    assert order.received_at == T0
