"""Many orders activated at once (a node's start, every sweep): the roster read once for all of
them, deciding each session on the index, with exactly the commands that activating each order
on its own enqueues.

Before, a sweep read the roster once per order in force: over 100,000 orders a node's outbox
thread never stopped sweeping (half an hour a sweep, one core, every 30 s)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from enforcement_builders import BEIJING, HONG_KONG, SHANGHAI, UNKNOWN, Clock, in_force, session

from remit.enforcement import EnforcementStore, Enforcer, MemoryEnforcementStore, Session
from remit.location import Location
from remit.orders import Order, Status, to_active
from remit.policy import PolicyIndex, Target
from remit.store import open_enforcement_store

TAIPEI = Location("TW", None, "static")


def _orders() -> list[Order]:
    """Orders of every kind of target, scope and platform, and one that is not in force."""
    made = [
        in_force(order_id="ord-meeting"),
        in_force(Target("host", "host-us-1"), order_id="ord-host"),
        in_force(Target("meeting", "june4-b"), scope=("CN-BJ",), order_id="ord-beijing"),
        in_force(Target("meeting", "june4-c", "meet"), order_id="ord-meet-only"),
        in_force(Target("meeting", "june4-c", "other"), order_id="ord-other-only"),
        in_force(Target("meeting", "nobody-here"), order_id="ord-empty"),
    ]
    ended = in_force(Target("meeting", "june4-d"), order_id="ord-ended")
    return [*made, replace(ended, status=Status.EXPIRED)]


def _sessions() -> list[Session]:
    places = [BEIJING, SHANGHAI, HONG_KONG, TAIPEI, UNKNOWN]
    out = []
    for n, (meeting, host, platform) in enumerate(
        [
            ("june4-a", "host-us-1", "meet"),
            ("june4-b", "host-hk-1", "meet"),
            ("june4-c", None, "meet"),
            ("june4-c", None, "other"),
            ("june4-d", "host-x", "meet"),
            ("book-club", "someone", "meet"),
        ]
    ):
        for k, place in enumerate(places):
            out.append(session(f"s{n}-{k}", place, meeting=meeting, host=host, platform=platform))
    return out


class _Counting:
    """A roster whose reads of live sessions are counted."""

    def __init__(self, store: EnforcementStore) -> None:
        self._store = store
        self.reads = 0

    def live_sessions(self, **kwargs: Any) -> list[Session]:
        self.reads += 1
        return self._store.live_sessions(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[EnforcementStore, EnforcementStore]]:
    """Two rosters holding the same sessions: one activated order by order, one all at once."""
    if request.param == "memory":
        pair: list[EnforcementStore] = [MemoryEnforcementStore(), MemoryEnforcementStore()]
    else:
        tmp = request.getfixturevalue("tmp_path")
        template = request.getfixturevalue("sqlite_template")

        urls = []
        for name in ("one", "many"):
            shutil.copyfile(template, tmp / f"{name}.sqlite3")
            urls.append(f"sqlite:///{tmp / name}.sqlite3")
        pair = [open_enforcement_store(u) for u in urls]
    for store in pair:
        store.add_sessions(_sessions())
    yield pair[0], pair[1]
    for store in pair:
        store.close()


def _commands(store: EnforcementStore) -> set[tuple[Any, ...]]:
    return {
        (c.key, c.type, c.session_id, c.order_id, repr(sorted(c.data.items())))
        for c in store.list_commands(limit=10_000)
    }


def _enforcer(store: Any, orders: Sequence[Order]) -> Enforcer:
    index = PolicyIndex.compile([to_active(o) for o in orders if o.in_force])
    return Enforcer(
        store,
        {},
        clock=Clock(),
        active_orders=lambda: [o for o in orders if o.in_force],
        snapshot=lambda: (index, [o for o in orders if o.in_force]),
    )


def test_all_at_once_enqueues_what_one_by_one_does(
    stores: tuple[EnforcementStore, EnforcementStore],
) -> None:
    one, many = stores
    orders = _orders()
    by_one = sum(_enforcer(one, orders).activate(o) for o in orders if o.in_force)
    index = PolicyIndex.compile([to_active(o) for o in orders if o.in_force])
    at_once = _enforcer(many, orders).activate_many(orders, index)
    assert by_one == at_once > 0
    assert _commands(one) == _commands(many)
    reached = {c[2] for c in _commands(many) if c[2] is not None}
    assert "s0-0" in reached  # Beijing
    assert "s0-2" not in reached  # Hong Kong
    assert {"s2-0", "s3-0"} <= reached  # each platform's order reaches its own session
    assert not any(s.startswith("s4-") for s in reached), "an expired order removed someone"
    assert _enforcer(many, orders).activate_many(orders, index) == 0, "not idempotent"


def test_a_sweep_reads_the_roster_once_however_many_orders_are_in_force() -> None:
    store = MemoryEnforcementStore()
    store.add_sessions(_sessions())
    counting = _Counting(store)
    orders = [in_force(Target("meeting", f"m-{n}"), order_id=f"ord-{n}") for n in range(300)]
    orders.append(in_force(order_id="ord-june4"))
    enforcer = _enforcer(counting, orders)
    assert enforcer.sweep() > 0
    assert counting.reads == 1
    removed = {c.session_id for c in store.list_commands(limit=10_000)}
    assert {"s0-0", "s0-1"} <= removed


def test_without_a_nodes_index_a_sweep_compiles_one_and_still_reads_the_roster_once() -> None:
    store = MemoryEnforcementStore()
    store.add_sessions(_sessions())
    counting = _Counting(store)
    orders = [in_force(order_id="ord-june4"), in_force(Target("meeting", "x"), order_id="ord-x")]
    roster: Any = counting
    enforcer = Enforcer(roster, {}, clock=Clock(), active_orders=lambda: orders)
    assert enforcer.sweep() > 0
    assert counting.reads == 1
    assert {"s0-0", "s0-1"} <= {c.session_id for c in store.list_commands(limit=10_000)}
