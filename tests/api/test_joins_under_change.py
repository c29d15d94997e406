"""Joins decided while orders change: no 500, and no join decided against a half-applied change.

Several threads hammer ``POST /v1/sessions`` (mainland joins, refused while an order is in
force) and ``POST /v1/admissions`` while another records, approves and lifts orders on the same
meeting as fast as it can. Every answer must be a 201, a 200 or a 451; every refusal must name,
in its notice, the order its decision names; and every order a decision names must have been in
force at some moment of that request (approved before it ended, not lifted before it began).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from api_helpers import PLACES, Api, demand, running_api

from remit.api import (
    STEP_BODIES,
    Node,
    OrderIn,
    Settings,
    record_order,
    step_for,
)
from remit.enforcement._memory import MemoryEnforcementStore
from remit.location import Locator, StaticSource
from remit.orders import Order
from remit.store import MemoryStore

MEETING = {"type": "meeting", "id": "june4-a", "host": "host-us-1"}
JOINERS = 4
SECONDS = 4.0


@pytest.fixture
def fine_switching() -> Iterator[None]:
    """Threads switch every few microseconds, so that a window between two statements of an
    order change is met by joins many times in a run."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.fixture
def memory_api() -> Iterator[Api]:
    locator = Locator(ip_sources=[StaticSource(PLACES)])
    with running_api(MemoryStore(), MemoryEnforcementStore(), locator) as running:
        yield running


class History:
    """When each order came into force and went out of it (monotonic seconds)."""

    def __init__(self) -> None:
        self.approved: dict[str, float] = {}  # the approval was sent (at the latest in force)
        self.lifted: dict[str, float] = {}  # the lift had been answered (out of force)
        self.case: dict[str, str] = {}

    def in_force_during(self, order_id: str, start: float, end: float) -> bool:
        came = self.approved.get(order_id)
        went = self.lifted.get(order_id)
        return came is not None and came <= end and (went is None or went >= start)


def _change_orders(api: Api, history: History, stop: threading.Event, errors: list[str]) -> None:
    """Record, approve and lift orders on the meeting: through the node's own calls (those the
    API's handlers make), so that orders change as fast as they can."""
    approve = msgspec.convert({"justification": "ok"}, STEP_BODIES["approve"])
    lift = msgspec.convert({"reason": "done"}, STEP_BODIES["lift"])
    live: list[str] = []
    n = 0
    try:
        while not stop.is_set():
            n += 1
            body = msgspec.convert(demand(case_id=f"case-{n}"), OrderIn)
            order_id = record_order(api.node, Settings(), body, "intake").id
            history.case[order_id] = f"case-{n}"
            history.approved[order_id] = time.monotonic()
            api.node.act(order_id, step_for("approve", approve, "reviewer"))
            live.append(order_id)
            # Two in force at most; every tenth turn none, for a moment, so joins are let in.
            while len(live) > (0 if n % 10 == 0 else 1):
                gone = live.pop(0)
                api.node.act(gone, step_for("lift", lift, "reviewer"))
                history.lifted[gone] = time.monotonic()
            if not live:
                time.sleep(0.002)
    except Exception as exc:  # the test fails on it
        errors.append(repr(exc))


def _join(api: Api, n: int) -> tuple[str, float, float, Any]:
    body = {"resource": MEETING, "participant": {"id": f"p{n}", "ip": "127.0.0.10"}}
    path = "/v1/sessions" if n % 2 else "/v1/admissions"
    start = time.monotonic()
    answer = api.call("POST", path, "platform", json=body)
    return path, start, time.monotonic(), answer


def _check(history: History, path: str, start: float, end: float, answer: Any) -> str | None:
    """What is wrong with one answer, or None."""
    ok = {"/v1/sessions": (201, 451), "/v1/admissions": (200,)}[path]
    if answer.status_code not in ok:
        return f"{path}: {answer.status_code} {answer.text[:300]}"
    body = answer.json()
    decision = body["decision"] if answer.status_code == 451 else body.get("admission", body)
    named = decision["orders"]
    if decision["decision"] == "deny" and not named:
        return f"{path}: a denial naming no order"
    if answer.status_code == 451:
        if body["order_id"] != named[0]:
            return f"the notice is about {body['order_id']}, the decision about {named[0]}"
        if body["case_id"] != history.case.get(named[0]):
            return f"the notice of {named[0]} cites case {body['case_id']}"
    for order_id in named:
        if not history.in_force_during(order_id, start, end):
            return f"{path}: decided on {order_id}, not in force during the request"
    return None


def test_joins_while_orders_change_never_fail_nor_see_half_a_change(
    api: Api, fine_switching: None
) -> None:
    _hammer(api)


def test_the_same_on_the_memory_stores_where_orders_change_fastest(
    memory_api: Api, fine_switching: None
) -> None:
    _hammer(memory_api)


def _hammer(api: Api) -> None:
    history, stop, errors = History(), threading.Event(), []
    answers: list[tuple[str, float, float, Any]] = []
    changer = threading.Thread(target=_change_orders, args=(api, history, stop, errors))

    def hammer(first: int) -> None:
        n = first
        while not stop.is_set():
            answers.append(_join(api, n))
            n += JOINERS

    joiners = [threading.Thread(target=hammer, args=(i,)) for i in range(JOINERS)]
    changer.start()
    for thread in joiners:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in [changer, *joiners]:
        thread.join(timeout=60)
    assert not errors, errors[:5]
    problems = [p for p in (_check(history, *a) for a in answers) if p is not None]
    assert not problems, f"{len(problems)} of {len(answers)} answers: {problems[:5]}"
    refused = sum(1 for _, _, _, a in answers if a.status_code == 451)
    admitted = sum(
        1 for path, _, _, a in answers if path == "/v1/sessions" and a.status_code == 201
    )
    lifted = len(history.lifted)
    assert refused, "no join was refused"
    assert admitted, "no join was let in"
    assert lifted >= 3, f"only {lifted} orders were lifted"


class StaleRead(MemoryStore):
    """A store whose next read of an order returns what it held before: a notification's read
    that began before a later change and ends after this node applied it."""

    stale: Order | None = None

    def get_order(self, order_id: str) -> Order:
        if self.stale is not None and self.stale.id == order_id:
            found, self.stale = self.stale, None
            return found
        return super().get_order(order_id)


def test_a_stale_read_of_an_order_never_undoes_a_later_change() -> None:
    store = StaleRead()
    node = Node(store, Locator(ip_sources=[StaticSource(PLACES)]))
    body = msgspec.convert(demand(), OrderIn)
    order_id = record_order(node, Settings(), body, "intake").id
    approve = msgspec.convert({"justification": "ok"}, STEP_BODIES["approve"])
    node.act(order_id, step_for("approve", approve, "reviewer"))
    active = store.get_order(order_id)
    lift = msgspec.convert({"reason": "done"}, STEP_BODIES["lift"])
    node.act(order_id, step_for("lift", lift, "reviewer"))
    assert order_id not in node.snapshot.orders
    store.stale = active
    node.refresh([order_id])  # reads the active version, after the lift was applied
    assert order_id not in node.snapshot.orders
    assert len(node.snapshot.index) == 0
    node.refresh([order_id])  # a fresh read: the lifted version, again
    assert order_id not in node.snapshot.orders
