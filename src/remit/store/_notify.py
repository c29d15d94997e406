"""Order changes from other nodes, through PostgreSQL's LISTEN/NOTIFY.

Every write to an order sends ``NOTIFY remit_orders, '<order id>'`` inside its transaction, so
the notice goes out when, and only if, the change commits. A :class:`Listener` holds its own
connection (autocommit, ``LISTEN remit_orders``) on a daemon thread and calls back with each
order id. When the connection drops it reconnects with backoff; notices sent while it was away
are lost, which the periodic ``changes_since`` resync covers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

CHANNEL = "remit_orders"

log = logging.getLogger("remit.store")

#: How often the thread looks up from waiting to see whether it was stopped, in seconds.
POLL_S = 0.1
#: How long ``start`` waits for the first LISTEN before returning anyway, in seconds.
READY_S = 5.0
#: Backoff between reconnection attempts, in seconds.
FIRST_RETRY_S = 0.1
LAST_RETRY_S = 10.0
CONNECT_TIMEOUT_S = 5


class Listener:
    """Calls ``on_change(order_id)`` for every order change committed by any node."""

    def __init__(self, conninfo: str, on_change: Callable[[str], None]) -> None:
        self._conninfo = conninfo
        self._on_change = on_change
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="remit-listen", daemon=True)

    def start(self) -> None:
        """Start listening; return once the first LISTEN holds, or after ``READY_S``."""
        self._thread.start()
        self._ready.wait(READY_S)

    def stop(self) -> None:
        """Stop listening and close the connection. Safe to call more than once."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(CONNECT_TIMEOUT_S + 1)

    @property
    def listening(self) -> bool:
        return self._ready.is_set() and not self._stopped.is_set()

    def _run(self) -> None:
        delay = FIRST_RETRY_S
        while not self._stopped.is_set():
            try:
                self._listen()
                delay = FIRST_RETRY_S
            except psycopg.Error as exc:
                log.warning(
                    "listening for order changes failed (%s); retrying in %.1fs", exc, delay
                )
                self._stopped.wait(delay)
                delay = min(delay * 2, LAST_RETRY_S)

    def _listen(self) -> None:
        with psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="remit-listen",
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self._ready.set()
            while not self._stopped.is_set():
                for notice in connection.notifies(timeout=POLL_S):
                    self._deliver(notice.payload)

    def _deliver(self, order_id: str) -> None:
        try:
            self._on_change(order_id)
        except Exception:
            # A failing callback must not stop the notices that follow.
            log.exception("the order-change callback failed for order %s", order_id)
