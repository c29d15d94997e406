"""/healthz says what state the node is in: starting (503) until its decision index is loaded,
degraded (200, and why) while its database cannot be reached, else ok; /metrics counts the
roster's writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from api_helpers import PLACES, Api
from starlette.testclient import TestClient

from remit.api import Node, create_app, create_user
from remit.errors import StoreError
from remit.location import Locator, StaticSource
from remit.store import MemoryStore

JOIN = {
    "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
    "participant": {"id": "p1", "ip": "127.0.0.50"},
}


class FlakyStore(MemoryStore):
    """A store whose database can be taken away, and whose first load can be held."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.hold = threading.Event()
        self.hold.set()

    def _reach(self) -> None:
        if self.down:
            raise StoreError("could not read token revocations: connection refused")

    def token_revocations(self, now: datetime) -> int:
        self._reach()
        return super().token_revocations(now)

    def changes_since(self, cursor: int) -> Any:
        self.hold.wait(30)
        self._reach()
        return super().changes_since(cursor)


def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def _client(store: FlakyStore) -> tuple[Node, TestClient, dict[str, str]]:
    token = create_user(store, "meet", ["platform"], now=datetime.now(UTC))
    node = Node(store, Locator(ip_sources=[StaticSource(PLACES)]), tick_seconds=0.02)
    return node, TestClient(create_app(node)), {"Authorization": f"Bearer {token}"}


def test_degraded_while_the_database_is_unreachable_and_admissions_go_on() -> None:
    store = FlakyStore()
    node, client, auth = _client(store)
    node.start()
    try:
        assert client.post("/v1/admissions", json=JOIN, headers=auth).status_code == 200
        health = client.get("/healthz")
        assert (health.status_code, health.json()["status"], health.json()["problems"]) == (
            200,
            "ok",
            [],
        )
        store.down = True
        _until(lambda: client.get("/healthz").json()["status"] == "degraded")
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["problems"] == ["could not read token revocations: connection refused"]
        # Decided from memory, as before: the database is not on the admission's path.
        admitted = client.post("/v1/admissions", json=JOIN, headers=auth)
        assert admitted.status_code == 200
        assert admitted.json()["decision"] == "allow"
        store.down = False
        _until(lambda: client.get("/healthz").json()["status"] == "ok")
    finally:
        node.stop()


def test_starting_until_the_index_is_loaded_and_no_decision_meanwhile() -> None:
    store = FlakyStore()
    store.hold.clear()  # the first load waits
    node, client, auth = _client(store)
    node.start(wait=False)
    try:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "starting"
        assert health.json()["problems"] == ["the decision index is loading"]
        refused = client.post("/v1/admissions", json=JOIN, headers=auth)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert "starting" in refused.json()["detail"]
        store.hold.set()
        _until(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.post("/v1/admissions", json=JOIN, headers=auth).status_code == 200
    finally:
        node.stop()


def test_a_start_while_the_database_is_away_is_starting_with_why_then_loads() -> None:
    store = FlakyStore()
    store.down = True
    node, client, _ = _client(store)
    node.start(wait=False)
    try:
        _until(lambda: len(client.get("/healthz").json()["problems"]) == 2)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["problems"][1].endswith("connection refused")
        store.down = False
        _until(lambda: client.get("/healthz").status_code == 200)
    finally:
        node.stop()


def test_metrics_count_roster_writes_and_their_batches(api: Api) -> None:
    joined = api.call("POST", "/v1/sessions", "platform", json=JOIN)
    assert joined.status_code == 201
    api.call("DELETE", f"/v1/sessions/{joined.json()['id']}", "platform")
    text = api.client.get("/metrics").text
    assert "remit_roster_write_seconds_count 2.0" in text
    assert 'remit_roster_write_seconds_bucket{le="+Inf"} 2.0' in text
    assert 'remit_roster_batch_writes_bucket{le="1"}' in text
    assert "remit_roster_batch_writes_sum 2.0" in text
    assert "remit_roster_batches_retried_total 0.0" in text


def test_the_node_decides_once_its_index_is_built_before_the_catch_up_ends() -> None:
    """What follows every order at start (the log's entries, the enforcer's removals) runs
    after the index serves: however long it takes, the node is not starting meanwhile."""
    import random

    from remit.bench._workload import make_domain_orders

    store = FlakyStore()
    store.add_orders(make_domain_orders(50, random.Random(1)))
    release, seen = threading.Event(), []

    class SlowListener:
        def order_changed(self, order: Any) -> None:
            seen.append(order.id)
            release.wait(30)

    token = create_user(store, "meet", ["platform"], now=datetime.now(UTC))
    node = Node(store, Locator(ip_sources=[StaticSource(PLACES)]), listeners=[SlowListener()])
    client = TestClient(create_app(node))
    node.start(wait=False)
    try:
        _until(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/healthz").json()["orders_in_force"] == 50
        assert len(seen) == 1  # the catch-up is at its first order, held
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post("/v1/admissions", json=JOIN, headers=auth).status_code == 200
    finally:
        release.set()
        node.stop()
    assert len(seen) == 50


def test_the_log_opens_after_the_index_serves_and_a_log_that_cannot_is_degraded() -> None:
    """The transparency log's rebuild and catch-up run after the index serves: a log that cannot
    be opened leaves admissions going, makes the node degraded with why, and is tried again."""
    import random

    from remit.bench._workload import make_domain_orders
    from remit.transparency import MemoryLogStore, Signer, TransparencyLog

    class BrokenLogStore(MemoryLogStore):
        broken = True

        def size(self) -> int:
            if self.broken:
                raise StoreError("could not read the log's size: connection refused")
            return super().size()

    store = FlakyStore()
    store.add_orders(make_domain_orders(20, random.Random(1)))
    entries = BrokenLogStore()
    origin = "remit.test/log"
    log = TransparencyLog(entries, Signer.from_seed(origin, bytes(32)), origin=origin, secret=b"s")
    token = create_user(store, "meet", ["platform"], now=datetime.now(UTC))
    locator = Locator(ip_sources=[StaticSource(PLACES)])
    node = Node(store, locator, log=log, tick_seconds=0.02, resync_seconds=0.05)
    client = TestClient(create_app(node))
    node.start(wait=False)
    try:
        _until(lambda: client.get("/healthz").status_code == 200)
        health = client.get("/healthz").json()
        assert health["orders_in_force"] == 20
        assert health["status"] == "degraded"
        assert any("transparency log" in p and "refused" in p for p in health["problems"])
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post("/v1/admissions", json=JOIN, headers=auth).status_code == 200
        assert not log.opened
        entries.broken = False
        _until(lambda: client.get("/healthz").json()["status"] == "ok")
        assert log.opened
        assert log.size == 40  # every order's two transitions: recorded, approved
    finally:
        node.stop()
