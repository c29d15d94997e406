"""A store in dictionaries, for unit tests: the same answers as the SQL store, no database.

Everything it holds is immutable (frozen dataclasses, tuples, bytes), so values handed in and out
are never shared mutable state. One lock makes every method atomic across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING

from remit._checks import aware, page_size
from remit.errors import Conflict, NotFound, StoreError
from remit.orders import Order, Status
from remit.store import _checks
from remit.store._interface import AuditEntry, OrderChanges, Store, User


class MemoryStore:
    """A :class:`~remit.store.Store` in memory. ``listen`` never calls back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}
        self._change_seq: dict[str, int] = {}
        self._last_seq = 0
        self._documents: dict[str, bytes] = {}
        self._users: dict[str, User] = {}
        self._tokens: dict[str, str] = {}
        self._audit: list[AuditEntry] = []
        self._closed = False

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def _changed(self, order: Order) -> None:
        self._last_seq += 1
        self._orders[order.id] = order
        self._change_seq[order.id] = self._last_seq

    # Orders ----------------------------------------------------------------------------------
    def add_order(self, order: Order, document: bytes | None = None) -> None:
        digest = _checks.document_sha256(order, document)
        stored = _checks.in_utc(order)
        with self._lock:
            self._check_open()
            if order.id in self._orders:
                raise Conflict(f"order {order.id} already exists")
            self._changed(stored)
            if document is not None and digest is not None:
                self._documents[order.id] = bytes(document)

    def add_orders(self, orders: Sequence[Order]) -> None:
        with self._lock:
            self._check_open()
            ids = [o.id for o in orders]
            if len(set(ids)) != len(ids) or any(i in self._orders for i in ids):
                raise Conflict("add_orders: an order id exists already or appears twice")
            for order in orders:
                self._changed(_checks.in_utc(order))

    def save_order(self, order: Order) -> None:
        with self._lock:
            self._check_open()
            stored = self._orders.get(order.id)
            if stored is None:
                raise NotFound(f"no order {order.id}")
            if stored.version != order.version - 1:
                raise Conflict(f"order {order.id} was changed by someone else; reload it")
            last = stored.transitions[-1].sequence if stored.transitions else 0
            appended = _checks.new_transitions(_checks.in_utc(order), last)
            self._changed(replace(_checks.in_utc(order), transitions=stored.transitions + appended))

    def get_order(self, order_id: str) -> Order:
        with self._lock:
            self._check_open()
            try:
                return self._orders[order_id]
            except KeyError:
                raise NotFound(f"no order {order_id}") from None

    def list_orders(
        self,
        *,
        status: Status | None = None,
        jurisdiction: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Order]:
        page_size(limit)
        wanted = None if status is None else _checks.status(status)
        with self._lock:
            self._check_open()
            found = [
                order
                for order_id, order in sorted(self._orders.items())
                if (wanted is None or order.status is wanted)
                and (jurisdiction is None or order.authority.jurisdiction == jurisdiction)
                and (after is None or order_id > after)
            ]
        return found[:limit]

    def orders_in(self, statuses: Sequence[Status]) -> list[Order]:
        wanted = {_checks.status(s) for s in statuses}
        with self._lock:
            self._check_open()
            return [o for _, o in sorted(self._orders.items()) if o.status in wanted]

    def changes_since(self, cursor: int) -> OrderChanges:
        with self._lock:
            self._check_open()
            changed = sorted(
                (seq, order_id) for order_id, seq in self._change_seq.items() if seq > cursor
            )
            orders = tuple(self._orders[order_id] for _, order_id in changed)
        return OrderChanges(orders, changed[-1][0] if changed else cursor)

    def get_document(self, order_id: str) -> bytes:
        with self._lock:
            self._check_open()
            if order_id not in self._orders:
                raise NotFound(f"no order {order_id}")
            try:
                return self._documents[order_id]
            except KeyError:
                raise NotFound(f"order {order_id} has no document") from None

    def count_orders_by_status(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        with self._lock:
            self._check_open()
            for order in self._orders.values():
                counts[order.status] += 1
        return counts

    # Users -----------------------------------------------------------------------------------
    def add_user(self, user: User, token_hash: str) -> None:
        _checks.token_hash(token_hash)
        created = aware(user.created_at, "created_at")
        with self._lock:
            self._check_open()
            if user.name in self._users:
                raise Conflict(f"user {user.name} already exists")
            if token_hash in self._tokens:
                raise Conflict("that token is already in use")
            self._users[user.name] = replace(user, created_at=created)
            self._tokens[token_hash] = user.name

    def add_token(self, name: str, token_hash: str) -> None:
        _checks.token_hash(token_hash)
        with self._lock:
            self._check_open()
            if name not in self._users:
                raise NotFound(f"no user {name}")
            if token_hash in self._tokens:
                raise Conflict("that token is already in use")
            self._tokens[token_hash] = name

    def user_for_token(self, token_hash: str) -> User | None:
        with self._lock:
            self._check_open()
            name = self._tokens.get(token_hash)
            user = None if name is None else self._users[name]
        return None if user is None or user.disabled else user

    def get_user(self, name: str) -> User:
        with self._lock:
            self._check_open()
            try:
                return self._users[name]
            except KeyError:
                raise NotFound(f"no user {name}") from None

    def list_users(self) -> list[User]:
        with self._lock:
            self._check_open()
            return [user for _, user in sorted(self._users.items())]

    # Audit -----------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        at = aware(entry.at, "at")
        with self._lock:
            self._check_open()
            self._audit.append(replace(entry, at=at))

    def audit_trail(self, *, limit: int = 100) -> list[AuditEntry]:
        page_size(limit)
        with self._lock:
            self._check_open()
            return self._audit[: -limit - 1 : -1]

    # Life ------------------------------------------------------------------------------------
    def listen(self, on_change: Callable[[str], None]) -> Callable[[], None]:
        self._check_open()
        return _no_op

    def close(self) -> None:
        self._closed = True


def _no_op() -> None:
    """Stop listening: there was nothing to stop."""


if TYPE_CHECKING:

    def _is_a_store(store: MemoryStore) -> Store:
        return store  # mypy checks that MemoryStore implements the Store protocol
