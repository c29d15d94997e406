"""What every store promises, checked on each backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from store_builders import NOW, T0, Backend, document_for, new_order

from remit.errors import Conflict, FourEyesViolation, InvalidInput, NotFound, StoreError
from remit.orders import (
    Order,
    Status,
    answer,
    approve,
    clarify,
    lift,
    reject,
    start_review,
)
from remit.store import AuditEntry, Role, Store, User

LATER = NOW + timedelta(hours=1)
TOKEN_A = "a" * 64
TOKEN_B = "b" * 64


def approved(store: Store, order_id: str = "ord-0001") -> Order:
    """An order recorded by intake, reviewed and approved by a reviewer, stored at each step."""
    order = new_order(order_id)
    store.add_order(order)
    order = start_review(order, actor="reviewer", now=NOW)
    store.save_order(order)
    order = approve(order, actor="reviewer", now=LATER, justification="lawful, narrowed to CN")
    store.save_order(order)
    return order


# Orders ------------------------------------------------------------------------------------------
def test_an_order_comes_back_as_it_was_stored(store: Store) -> None:
    order = new_order()
    store.add_order(order)
    assert store.get_order(order.id) == order


def test_an_unknown_order_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_order("ord-none")


def test_an_order_id_is_stored_once(store: Store) -> None:
    store.add_order(new_order())
    with pytest.raises(Conflict):
        store.add_order(new_order())


def test_datetimes_come_back_aware_and_in_utc(store: Store) -> None:
    order = new_order(effective_from=T0, effective_until=T0 + timedelta(days=30))
    store.add_order(order)
    stored = store.get_order(order.id)
    moments = [stored.received_at, stored.effective_from, stored.effective_until]
    moments += [t.at for t in stored.transitions]
    for moment in moments:
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)
    assert stored.received_at == T0
    assert stored.effective_until == T0 + timedelta(days=30)


def test_the_lifecycle_is_stored_step_by_step(store: Store) -> None:
    order = approved(store)
    with pytest.raises(FourEyesViolation):
        approve(new_order("ord-0002"), actor="intake", now=NOW, justification="mine")
    order = lift(order, actor="reviewer2", now=LATER + timedelta(days=1), reason="court annulled")
    store.save_order(order)

    stored = store.get_order(order.id)
    assert stored == order
    assert stored.status is Status.LIFTED
    assert stored.version == 4
    assert stored.approved_by == "reviewer"
    assert stored.scope == ("CN",)
    assert [(t.sequence, t.action, t.actor) for t in stored.transitions] == [
        (1, "record", "intake"),
        (2, "review", "reviewer"),
        (3, "approve", "reviewer"),
        (4, "lift", "reviewer2"),
    ]
    assert stored.transitions[2].checklist is not None
    assert stored.transitions[2].scope == ("CN",)


def test_clarification_and_rejection_are_stored(store: Store) -> None:
    order = new_order()
    store.add_order(order)
    for step in (
        lambda o: clarify(o, actor="reviewer", now=NOW, question="Which law?"),
        lambda o: answer(o, actor="intake", now=LATER, answer="Article 12."),
        lambda o: reject(o, actor="reviewer", now=LATER, reason="overbroad"),
    ):
        order = step(order)
        store.save_order(order)
        assert store.get_order(order.id) == order
    assert [t.to_status for t in store.get_order(order.id).transitions] == [
        Status.RECEIVED,
        Status.CLARIFICATION_REQUESTED,
        Status.IN_REVIEW,
        Status.REJECTED,
    ]


def test_saving_an_unknown_order_is_not_found(store: Store) -> None:
    order = start_review(new_order(), actor="reviewer", now=NOW)
    with pytest.raises(NotFound):
        store.save_order(order)


def test_a_stale_version_loses_with_conflict(store: Store) -> None:
    order = new_order()
    store.add_order(order)
    first = approve(order, actor="reviewer", now=NOW, justification="lawful")
    second = reject(order, actor="reviewer2", now=NOW, reason="overbroad")
    store.save_order(first)
    with pytest.raises(Conflict, match="changed by someone else; reload it"):
        store.save_order(second)
    with pytest.raises(Conflict):
        store.save_order(first)  # the same version twice
    assert store.get_order(order.id) == first


def race(stores: list[Store], candidates: list[Order]) -> list[str]:
    """Save one candidate from each store at the same moment; how each save ended."""
    outcomes = [""] * len(stores)
    start = threading.Barrier(len(stores))

    def save(i: int) -> None:
        start.wait()
        try:
            stores[i].save_order(candidates[i])
            outcomes[i] = "saved"
        except Conflict:
            outcomes[i] = "conflict"

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_of_two_concurrent_saves_exactly_one_wins(backend: Backend) -> None:
    setup = backend.open()
    nodes = [backend.open(), backend.open()]
    for round_ in range(3):
        order = new_order(f"ord-race-{round_}")
        setup.add_order(order)
        candidates = [
            approve(order, actor="reviewer", now=NOW, justification="lawful"),
            reject(order, actor="reviewer2", now=NOW, reason="overbroad"),
        ]
        outcomes = race(nodes, candidates)
        assert sorted(outcomes) == ["conflict", "saved"]
        assert setup.get_order(order.id) == candidates[outcomes.index("saved")]


def test_stored_transitions_are_never_edited(store: Store) -> None:
    order = new_order()
    store.add_order(order)
    original = order.transitions[0]
    reviewed = start_review(order, actor="reviewer", now=NOW)
    tampered = replace(
        reviewed, transitions=(replace(original, reason="rewritten"), *reviewed.transitions[1:])
    )
    store.save_order(tampered)
    stored = store.get_order(order.id)
    assert stored.transitions == (original, reviewed.transitions[1])


def test_orders_are_listed_by_id_with_filters_and_pages(store: Store) -> None:
    store.add_order(new_order("ord-0003"))
    store.add_order(new_order("ord-0001"))
    store.add_order(
        new_order("ord-0002", authority=replace(new_order().authority, jurisdiction="HK"))
    )
    approved(store, "ord-0004")

    assert [o.id for o in store.list_orders()] == ["ord-0001", "ord-0002", "ord-0003", "ord-0004"]
    assert [o.id for o in store.list_orders(limit=2)] == ["ord-0001", "ord-0002"]
    assert [o.id for o in store.list_orders(limit=2, after="ord-0002")] == ["ord-0003", "ord-0004"]
    assert store.list_orders(after="ord-0004") == []
    assert [o.id for o in store.list_orders(status=Status.ACTIVE)] == ["ord-0004"]
    assert [o.id for o in store.list_orders(jurisdiction="HK")] == ["ord-0002"]
    assert [o.id for o in store.list_orders(jurisdiction="CN", status=Status.RECEIVED)] == [
        "ord-0001",
        "ord-0003",
    ]
    assert store.list_orders(status=Status.LIFTED) == []
    listed = store.list_orders(status=Status.ACTIVE)[0]
    assert listed == store.get_order("ord-0004")
    with pytest.raises(InvalidInput):
        store.list_orders(limit=0)


def test_orders_in_returns_every_order_in_those_statuses(store: Store) -> None:
    store.add_order(new_order("ord-0001"))
    active = approved(store, "ord-0002")
    store.add_order(new_order("ord-0003"))
    assert store.orders_in([Status.ACTIVE]) == [active]
    assert [o.id for o in store.orders_in([Status.ACTIVE, Status.RECEIVED])] == [
        "ord-0001",
        "ord-0002",
        "ord-0003",
    ]
    assert store.orders_in([]) == []


def test_changes_since_returns_what_changed_after_the_cursor(store: Store) -> None:
    empty = store.changes_since(0)
    assert empty.orders == ()
    store.add_order(new_order("ord-0001"))
    store.add_order(new_order("ord-0002"))
    everything = store.changes_since(empty.cursor)
    assert [o.id for o in everything.orders] == ["ord-0001", "ord-0002"]
    assert everything.cursor > empty.cursor

    nothing = store.changes_since(everything.cursor)
    assert nothing == type(nothing)((), everything.cursor)

    reviewed = start_review(store.get_order("ord-0001"), actor="reviewer", now=NOW)
    store.save_order(reviewed)
    store.add_order(new_order("ord-0003"))
    changed = store.changes_since(everything.cursor)
    assert [o.id for o in changed.orders] == ["ord-0001", "ord-0003"]
    assert changed.orders[0] == reviewed
    assert changed.cursor > everything.cursor
    assert [o.id for o in store.changes_since(0).orders] == ["ord-0002", "ord-0001", "ord-0003"]


def test_changes_since_never_misses_a_change_made_while_polling(backend: Backend) -> None:
    writers, reader = [backend.open() for _ in range(4)], backend.open()
    done = threading.Event()
    seen: set[str] = set()

    def write(node: int) -> None:
        for i in range(10):
            writers[node].add_order(new_order(f"ord-{node}-{i:02}"))

    def poll() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            changes = reader.changes_since(cursor)
            seen.update(order.id for order in changes.orders)
            cursor = changes.cursor
            if finished:
                return
            # A node polls on notifications or a timer, never flat out. A reader spinning in
            # Python holds the GIL, so each SQLite writer waits for it at every call while
            # holding the write lock (the convoy effect), and the others pass their busy timeout.
            time.sleep(0.001)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    polling = threading.Thread(target=poll)
    polling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done.set()
    polling.join(30)
    assert seen == {f"ord-{n}-{i:02}" for n in range(4) for i in range(10)}


def test_a_failed_save_is_not_a_change(store: Store) -> None:
    order = new_order()
    store.add_order(order)
    cursor = store.changes_since(0).cursor
    with pytest.raises(Conflict):
        store.save_order(replace(start_review(order, actor="r", now=NOW), version=5))
    assert store.changes_since(cursor).orders == ()


def test_orders_are_counted_by_status(store: Store) -> None:
    assert set(store.count_orders_by_status().values()) == {0}
    store.add_order(new_order("ord-0001"))
    store.add_order(new_order("ord-0002"))
    approved(store, "ord-0003")
    counts = store.count_orders_by_status()
    assert counts[Status.RECEIVED] == 2
    assert counts[Status.ACTIVE] == 1
    assert counts[Status.REJECTED] == 0
    assert set(counts) == set(Status)


# Documents ---------------------------------------------------------------------------------------
def test_a_document_comes_back_byte_for_byte(store: Store) -> None:
    content = b"%PDF-1.7\n\x00\xff demand \x00" * 1000
    order = new_order(document=document_for(content))
    store.add_order(order, content)
    assert store.get_document(order.id) == content
    stored = store.get_order(order.id)
    assert stored.document == order.document


def test_a_missing_document_is_not_found(store: Store) -> None:
    store.add_order(new_order())
    with pytest.raises(NotFound, match="has no document"):
        store.get_document("ord-0001")
    with pytest.raises(NotFound):
        store.get_document("ord-none")


def test_a_document_must_match_its_recorded_hash(store: Store) -> None:
    order = new_order(document=document_for(b"the original"))
    with pytest.raises(InvalidInput, match="SHA-256"):
        store.add_order(order, b"something else")
    with pytest.raises(NotFound):
        store.get_order(order.id)


# Users -------------------------------------------------------------------------------------------
def _user(name: str, *roles: Role, disabled: bool = False) -> User:
    return User(name, frozenset(roles), NOW + timedelta(hours=8), disabled)


def test_users_are_found_by_name_and_by_token(store: Store) -> None:
    alice = _user("alice", Role.REVIEWER, Role.AUDITOR)
    store.add_user(alice, TOKEN_A)
    assert store.get_user("alice") == alice
    assert store.user_for_token(TOKEN_A) == alice
    assert store.get_user("alice").created_at.utcoffset() == timedelta(0)
    store.add_token("alice", TOKEN_B)
    assert store.user_for_token(TOKEN_B) == alice


def test_users_are_listed_by_name(store: Store) -> None:
    store.add_user(_user("zoe", Role.INTAKE), "1" * 64)
    store.add_user(_user("adam", Role.ADMIN), "2" * 64)
    assert [u.name for u in store.list_users()] == ["adam", "zoe"]
    assert store.list_users()[0].roles == {Role.ADMIN}


def test_unknown_tokens_and_users(store: Store) -> None:
    assert store.user_for_token(TOKEN_A) is None
    with pytest.raises(NotFound):
        store.get_user("nobody")
    with pytest.raises(NotFound):
        store.add_token("nobody", TOKEN_A)


def test_duplicate_users_and_tokens_conflict(store: Store) -> None:
    store.add_user(_user("alice", Role.INTAKE), TOKEN_A)
    with pytest.raises(Conflict):
        store.add_user(_user("alice", Role.ADMIN), TOKEN_B)
    with pytest.raises(Conflict):
        store.add_user(_user("bob", Role.ADMIN), TOKEN_A)
    with pytest.raises(Conflict):
        store.add_token("alice", TOKEN_A)
    assert [u.name for u in store.list_users()] == ["alice"]


def test_a_disabled_user_is_not_found_by_token(store: Store) -> None:
    store.add_user(_user("mallory", Role.ADMIN, disabled=True), TOKEN_A)
    assert store.user_for_token(TOKEN_A) is None
    assert store.get_user("mallory").disabled


def test_a_token_hash_must_be_sha256_hex(store: Store) -> None:
    with pytest.raises(InvalidInput):
        store.add_user(_user("alice", Role.INTAKE), "not-a-hash")


# Audit -------------------------------------------------------------------------------------------
def test_the_audit_trail_reads_newest_first(store: Store) -> None:
    entries = [
        AuditEntry("intake", "record", f"ord-000{i}", NOW + timedelta(minutes=i), "201")
        for i in range(5)
    ]
    for entry in entries:
        store.audit(entry)
    assert store.audit_trail() == entries[::-1]
    assert store.audit_trail(limit=2) == [entries[4], entries[3]]
    assert all(e.at.utcoffset() == timedelta(0) for e in store.audit_trail())


def test_a_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput):
        store.audit(AuditEntry("a", "b", "c", datetime(2020, 1, 1), "ok"))
    assert store.audit_trail() == []


# Life --------------------------------------------------------------------------------------------
def test_listen_returns_a_stop_function(store: Store) -> None:
    stop = store.listen(lambda order_id: None)
    stop()
    stop()


def test_a_closed_store_raises_store_error(backend: Backend) -> None:
    store = backend.open()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_order("ord-0001")
    with pytest.raises(StoreError):
        store.add_order(new_order())
    store.close()


def test_datetimes_keep_their_instant_across_zones(store: Store) -> None:
    order = new_order(received_at=datetime(2020, 6, 1, 1, 0, tzinfo=UTC))
    store.add_order(order)
    assert store.get_order(order.id).received_at == T0


def test_an_import_stores_every_order_in_its_state_or_none(store: Store) -> None:
    active = approved(store, "ord-0001")
    imported = [
        replace(active, id=f"imp-{n:03d}", transitions=active.transitions) for n in range(120)
    ]
    cursor = store.changes_since(0).cursor
    store.add_orders(imported)
    assert store.get_order("imp-042") == replace(active, id="imp-042")
    assert {o.id for o in store.orders_in([Status.ACTIVE])} >= {o.id for o in imported}
    changed = store.changes_since(cursor)
    assert {o.id for o in changed.orders} == {o.id for o in imported}
    with pytest.raises(Conflict):
        store.add_orders([replace(active, id="imp-new"), replace(active, id="imp-007")])
    with pytest.raises(NotFound):
        store.get_order("imp-new")
