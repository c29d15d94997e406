"""Many nodes on one PostgreSQL: order changes reach every node through LISTEN/NOTIFY."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url
from store_builders import NOW, new_order

from remit.errors import Conflict, InvalidInput
from remit.orders import approve, reject, start_review
from remit.store import SqlStore, open_store, upgrade

pytestmark = pytest.mark.postgres

#: How long a notice may take to reach another node.
DELIVERY_S = 1.0


@pytest.fixture
def nodes(postgres_url: str) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two nodes, each with its own store on the same database."""
    upgrade(postgres_url)
    a, b = open_store(postgres_url), open_store(postgres_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _quiet(heard: queue.Queue[str], seconds: float = 0.3) -> bool:
    try:
        heard.get(timeout=seconds)
    except queue.Empty:
        return True
    return False


def _admin(postgres_url: str) -> psycopg.Connection[tuple[object, ...]]:
    database = make_url(postgres_url).database
    return psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True)


def _listener_pids(postgres_url: str) -> set[int]:
    """The backends of the connections that have run LISTEN (``query`` is their last one)."""
    with _admin(postgres_url) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'remit-listen' "
            "AND datname = current_database() AND query LIKE 'LISTEN %'"
        ).fetchall()
    return {int(str(row[0])) for row in rows}


def _settles(postgres_url: str, check: Callable[[set[int]], bool], seconds: float = 5) -> bool:
    """Whether the listening connections come to pass ``check`` (backends exit asynchronously)."""
    deadline = time.monotonic() + seconds
    while not check(_listener_pids(postgres_url)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_change_on_one_node_reaches_the_other_within_a_second(
    nodes: tuple[SqlStore, SqlStore],
) -> None:
    a, b = nodes
    heard: queue.Queue[str] = queue.Queue()
    stop = b.listen(heard.put)
    try:
        order = new_order()
        a.add_order(order)
        assert heard.get(timeout=DELIVERY_S) == order.id
        a.save_order(start_review(order, actor="reviewer", now=NOW))
        assert heard.get(timeout=DELIVERY_S) == order.id
    finally:
        stop()


def test_a_change_that_loses_its_race_is_not_announced(nodes: tuple[SqlStore, SqlStore]) -> None:
    a, b = nodes
    order = new_order()
    a.add_order(order)
    a.save_order(approve(order, actor="reviewer", now=NOW, justification="lawful"))
    heard: queue.Queue[str] = queue.Queue()
    stop = b.listen(heard.put)
    try:
        with pytest.raises(Conflict):
            b.save_order(reject(order, actor="reviewer2", now=NOW, reason="overbroad"))
        assert _quiet(heard)
    finally:
        stop()


def test_stopping_closes_the_listening_connection(
    nodes: tuple[SqlStore, SqlStore], postgres_url: str
) -> None:
    a, b = nodes
    heard: queue.Queue[str] = queue.Queue()
    stop = b.listen(heard.put)
    assert len(_listener_pids(postgres_url)) == 1
    stop()
    stop()
    assert _settles(postgres_url, lambda pids: not pids)
    a.add_order(new_order())
    assert _quiet(heard)


def test_closing_the_store_stops_its_listeners(
    nodes: tuple[SqlStore, SqlStore], postgres_url: str
) -> None:
    _, b = nodes
    b.listen(lambda order_id: None)
    b.listen(lambda order_id: None)
    assert len(_listener_pids(postgres_url)) == 2
    b.close()
    assert _settles(postgres_url, lambda pids: not pids)


def test_the_listener_reconnects_when_its_connection_drops(
    nodes: tuple[SqlStore, SqlStore], postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    heard: queue.Queue[str] = queue.Queue()
    stop = b.listen(heard.put)
    try:
        (dropped,) = _listener_pids(postgres_url)
        with _admin(postgres_url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (dropped,))
        assert _settles(postgres_url, lambda pids: len(pids) == 1 and dropped not in pids)
        order = new_order()
        a.add_order(order)
        assert heard.get(timeout=DELIVERY_S) == order.id
    finally:
        stop()
    assert "retrying" in caplog.text


def test_a_failing_callback_does_not_stop_the_notices(
    nodes: tuple[SqlStore, SqlStore], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = nodes
    heard: queue.Queue[str] = queue.Queue()

    def fussy(order_id: str) -> None:
        heard.put(order_id)
        if order_id == "ord-0001":
            raise RuntimeError("the index could not be rebuilt")

    stop = b.listen(fussy)
    try:
        with caplog.at_level(logging.ERROR, logger="remit.store"):
            a.add_order(new_order("ord-0001"))
            a.add_order(new_order("ord-0002"))
            assert heard.get(timeout=DELIVERY_S) == "ord-0001"
            assert heard.get(timeout=DELIVERY_S) == "ord-0002"
    finally:
        stop()
    assert "callback failed for order ord-0001" in caplog.text


def test_a_value_postgresql_refuses_is_invalid_input(nodes: tuple[SqlStore, SqlStore]) -> None:
    a, _ = nodes
    with pytest.raises(InvalidInput, match="too long"):
        a.add_order(new_order(actor="x" * 500))
    with pytest.raises(InvalidInput):
        a.add_order(new_order(actor="nul \x00 byte"))
    assert a.list_orders() == []
