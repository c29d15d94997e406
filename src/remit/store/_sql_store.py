"""The store on SQLite or PostgreSQL, through SQLAlchemy. ORM rows never leave this module."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from remit._checks import aware, page_size
from remit.errors import Conflict, NotFound, StoreError
from remit.orders import Order, Status
from remit.store import _checks, _sql_codec
from remit.store._interface import AuditEntry, OrderChanges, Store, User
from remit.store._notify import CHANNEL, Listener
from remit.store._sql_bulk_read import read_orders
from remit.store._sql_database import Database
from remit.store._sql_engine import libpq_conninfo
from remit.store._sql_models import (
    AuditRow,
    DocumentRow,
    OrderRow,
    SequenceRow,
    TokenRevocationRow,
    TokenRow,
    TransitionRow,
    UserRow,
)


def open_store(url: str) -> SqlStore:
    """A store on the database at ``url``, which must be migrated (see :func:`upgrade`).

    ``InvalidConfiguration`` for a URL remit cannot use; ``StoreError`` when the database cannot
    be reached or its schema is not the newest.
    """
    return SqlStore(Database.open(url))


class SqlStore:
    """A :class:`~remit.store.Store` on a :class:`Database` (made by :func:`open_store`), which
    it owns: closing the store closes the database, and every store beside it.

    Writes are one transaction each. ``save_order`` is an optimistic lock: its ``UPDATE`` only
    matches the version the order was read at, so of two concurrent saves exactly one wins.
    Reads are snapshots (on PostgreSQL ``REPEATABLE READ``): an order and its transitions, read
    by two statements, always agree.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._postgres = database.postgres
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _session(self, action: str, *, write: bool = False) -> AbstractContextManager[Session]:
        return self._db.transaction(action, write=write, snapshot=True)

    def _next_change_seq(self, session: Session, count: int = 1) -> int:
        # Every write takes its change_seq by raising the one row of order_sequence, inside its
        # own transaction. On PostgreSQL the UPDATE holds that row's lock until commit, so
        # writers run one after another and commit in the order of their numbers: a reader of
        # changes_since(cursor) can never see change n+1 while change n is still to commit, and
        # so never skips one. (A database sequence hands numbers out of commit order.) SQLite
        # has a single writer at a time anyway.
        value = session.scalar(
            update(SequenceRow)
            .where(SequenceRow.id == 1)
            .values(value=SequenceRow.value + count)
            .returning(SequenceRow.value)
        )
        if value is None:
            raise StoreError("the order_sequence table is empty: run `remit db upgrade`")
        return int(value)

    def _notify(self, session: Session, order_id: str) -> None:
        # Sent at commit, and only if the transaction commits.
        if self._postgres:
            session.execute(select(func.pg_notify(CHANNEL, order_id)))

    @staticmethod
    def _orders(session: Session, query: Any) -> list[Order]:
        rows = session.scalars(query.options(selectinload(OrderRow.transitions)))
        return [_sql_codec.order(row) for row in rows]

    # Orders ----------------------------------------------------------------------------------
    def add_order(self, order: Order, document: bytes | None = None) -> None:
        digest = _checks.document_sha256(order, document)
        with self._session(f"store order {order.id}", write=True) as session:
            seq = self._next_change_seq(session)
            if session.get(OrderRow, order.id) is not None:
                raise Conflict(f"order {order.id} already exists")
            columns = _sql_codec.order_columns(order)
            session.add(
                OrderRow(id=order.id, change_seq=seq, created_at=datetime.now(UTC), **columns)
            )
            session.flush()
            session.add_all(_sql_codec.transition_row(order.id, t) for t in order.transitions)
            if document is not None and digest is not None:
                session.add(DocumentRow(order_id=order.id, sha256=digest, content=bytes(document)))
            self._notify(session, order.id)

    def add_orders(self, orders: Sequence[Order]) -> None:
        if not orders:
            return
        ids = [o.id for o in orders]
        if len(set(ids)) != len(ids):
            raise Conflict("add_orders: an order id appears twice")
        with self._session(f"import {len(orders)} orders", write=True) as session:
            # A block of change numbers, taken at once: the last is what the sequence now holds.
            first = self._next_change_seq(session, len(orders)) - len(orders) + 1
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                taken = session.scalar(select(OrderRow.id).where(OrderRow.id.in_(chunk)).limit(1))
                if taken is not None:
                    raise Conflict(f"order {taken} already exists")
            now = datetime.now(UTC)
            session.add_all(
                OrderRow(
                    id=o.id, change_seq=first + n, created_at=now, **_sql_codec.order_columns(o)
                )
                for n, o in enumerate(orders)
            )
            session.flush()
            session.add_all(
                _sql_codec.transition_row(o.id, t) for o in orders for t in o.transitions
            )

    def save_order(self, order: Order) -> None:
        with self._session(f"save order {order.id}", write=True) as session:
            seq = self._next_change_seq(session)
            saved = session.scalar(
                update(OrderRow)
                .where(OrderRow.id == order.id, OrderRow.version == order.version - 1)
                .values(change_seq=seq, **_sql_codec.order_columns(order))
                .returning(OrderRow.id)
            )
            if saved is None:
                if session.get(OrderRow, order.id) is None:
                    raise NotFound(f"no order {order.id}")
                raise Conflict(f"order {order.id} was changed by someone else; reload it")
            stored = session.scalar(
                select(func.max(TransitionRow.sequence)).where(TransitionRow.order_id == order.id)
            )
            new = _checks.new_transitions(order, stored or 0)
            session.add_all(_sql_codec.transition_row(order.id, t) for t in new)
            self._notify(session, order.id)

    def get_order(self, order_id: str) -> Order:
        with self._session(f"read order {order_id}") as session:
            found = self._orders(session, select(OrderRow).where(OrderRow.id == order_id))
        if not found:
            raise NotFound(f"no order {order_id}")
        return found[0]

    def list_orders(
        self,
        *,
        status: Status | None = None,
        jurisdiction: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Order]:
        query = select(OrderRow).order_by(OrderRow.id).limit(page_size(limit))
        if status is not None:
            query = query.where(OrderRow.status == _checks.status(status).value)
        if jurisdiction is not None:
            query = query.where(OrderRow.jurisdiction == jurisdiction)
        if after is not None:
            query = query.where(OrderRow.id > after)
        with self._session("list orders") as session:
            return self._orders(session, query)

    def orders_in(self, statuses: Sequence[Status]) -> list[Order]:
        values = sorted({_checks.status(s).value for s in statuses})
        if not values:
            return []
        query = select(OrderRow).where(OrderRow.status.in_(values)).order_by(OrderRow.id)
        with self._session("list orders") as session:
            return self._orders(session, query)

    def changes_since(self, cursor: int) -> OrderChanges:
        # In bulk (two queries, no ORM rows): a node's start reads every order through here.
        with self._session("read changed orders") as session:
            found = read_orders(session, OrderRow.change_seq > cursor)
        return OrderChanges(tuple(o for o, _ in found), found[-1][1] if found else cursor)

    def get_document(self, order_id: str) -> bytes:
        with self._session(f"read the document of order {order_id}") as session:
            row = session.get(DocumentRow, order_id)
            if row is None:
                if session.get(OrderRow, order_id) is None:
                    raise NotFound(f"no order {order_id}")
                raise NotFound(f"order {order_id} has no document")
            content, digest = bytes(row.content), row.sha256
        if _checks.sha256_hex(content) != digest:
            raise StoreError(f"the document of order {order_id} is corrupt: its SHA-256 differs")
        return content

    def count_orders_by_status(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        query = select(OrderRow.status, func.count()).group_by(OrderRow.status)
        with self._session("count orders") as session:
            for status, count in session.execute(query):
                counts[Status(status)] = count
        return counts

    # Users -----------------------------------------------------------------------------------
    def add_user(self, user: User, token_hash: str) -> None:
        _checks.token_hash(token_hash)
        aware(user.created_at, "created_at")
        with self._session(f"store user {user.name}", write=True) as session:
            existing = session.get(UserRow, user.name)
            if existing is not None:
                raise Conflict(_checks.taken(user.name, existing.disabled))
            if session.get(TokenRow, token_hash) is not None:
                raise Conflict("that token is already in use")
            session.add(_sql_codec.user_row(user))
            session.flush()
            session.add(TokenRow(hash=token_hash, user_name=user.name))

    def add_token(self, name: str, token_hash: str) -> None:
        _checks.token_hash(token_hash)
        with self._session(f"store a token for {name}", write=True) as session:
            if session.get(UserRow, name) is None:
                raise NotFound(f"no user {name}")
            if session.get(TokenRow, token_hash) is not None:
                raise Conflict("that token is already in use")
            session.add(TokenRow(hash=token_hash, user_name=name))

    def user_for_token(self, token_hash: str) -> User | None:
        unexpired = or_(TokenRow.expires_at.is_(None), TokenRow.expires_at > datetime.now(UTC))
        query = (
            select(UserRow)
            .join(TokenRow, TokenRow.user_name == UserRow.name)
            .where(TokenRow.hash == token_hash, UserRow.disabled.is_(False), unexpired)
        )
        with self._session("read a token") as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else _sql_codec.user(row)

    def get_user(self, name: str) -> User:
        with self._session(f"read user {name}") as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound(f"no user {name}")
            return _sql_codec.user(row)

    def list_users(self) -> list[User]:
        with self._session("list users") as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [_sql_codec.user(row) for row in rows]

    def replace_token(
        self, name: str, token_hash: str, *, old_until: datetime | None = None
    ) -> None:
        _checks.token_hash(token_hash)
        now = datetime.now(UTC)
        until = now if old_until is None else max(now, aware(old_until, "old_until"))
        with self._session(f"replace the token of {name}", write=True) as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound(f"no user {name}")
            if row.disabled:
                raise Conflict(f"user {name} was removed")
            if session.get(TokenRow, token_hash) is not None:
                raise Conflict("that token is already in use")
            mine = TokenRow.user_name == name
            if old_until is None:
                session.execute(delete(TokenRow).where(mine))
            else:  # each old token ends at the grace period's end, or sooner if it was to
                session.execute(delete(TokenRow).where(mine, TokenRow.expires_at <= now))
                session.execute(
                    update(TokenRow)
                    .where(mine, or_(TokenRow.expires_at.is_(None), TokenRow.expires_at > until))
                    .values(expires_at=until)
                )
            session.add(TokenRow(hash=token_hash, user_name=name))
            session.add(TokenRevocationRow(user_name=name, effective_at=until))

    def remove_user(self, name: str) -> None:
        with self._session(f"remove user {name}", write=True) as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound(f"no user {name}")
            if row.disabled:
                return
            row.disabled = True
            session.execute(delete(TokenRow).where(TokenRow.user_name == name))
            session.add(TokenRevocationRow(user_name=name, effective_at=datetime.now(UTC)))

    def token_revocations(self, now: datetime) -> int:
        query = select(func.count()).where(TokenRevocationRow.effective_at <= aware(now, "now"))
        with self._session("count token revocations") as session:
            return int(session.scalar(query) or 0)

    # Audit -----------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        aware(entry.at, "at")
        with self._session("append to the audit trail", write=True) as session:
            session.add(_sql_codec.audit_row(entry))

    def audit_trail(self, *, limit: int = 100) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(page_size(limit))
        with self._session("read the audit trail") as session:
            return [_sql_codec.audit_entry(row) for row in session.scalars(query)]

    # Life ------------------------------------------------------------------------------------
    def listen(self, on_change: Callable[[str], None]) -> Callable[[], None]:
        """On PostgreSQL, start a thread that calls ``on_change(order_id)`` for each change any
        node commits, and return once it listens (or after a few seconds if the database cannot
        be reached: it keeps trying). On SQLite, a no-op: poll ``changes_since`` instead.
        """
        self._db.check_open()
        if not self._postgres:
            return _no_op
        listener = Listener(libpq_conninfo(self._db.engine.url), on_change)
        with self._lock:
            self._listeners.append(listener)
        listener.start()

        def stop() -> None:
            listener.stop()
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def close(self) -> None:
        """Stop every listener and close every connection. The store cannot be used again."""
        self._db.close()
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.stop()


def _no_op() -> None:
    """Stop listening: there was nothing to stop."""


if TYPE_CHECKING:

    def _is_a_store(store: SqlStore) -> Store:
        return store  # mypy checks that SqlStore implements the Store protocol
