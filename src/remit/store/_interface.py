"""What remit needs from storage, as a narrow interface. Domain objects in, domain objects out.

Two implementations: :class:`~remit.store.MemoryStore` for fast unit tests and
:class:`~remit.store.SqlStore` (SQLite by default, PostgreSQL at scale). ORM rows never leave
the SQL store. Every method raises only remit errors: ``NotFound``, ``Conflict`` (a lost race on
an order's version, a duplicate), ``InvalidInput`` (a value no store can keep, such as a naive
datetime or a page size of 0), ``StoreError`` (the database failed, or the store was closed).
Datetimes come back timezone-aware, in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from remit.orders import Order, Status


class Role(StrEnum):
    """What a user may do."""

    INTAKE = "intake"  # records demands
    REVIEWER = "reviewer"  # approves, rejects, narrows, lifts, asks for clarification
    AUDITOR = "auditor"  # reads everything, changes nothing
    PLATFORM = "platform"  # asks for admissions, reports sessions
    ADMIN = "admin"  # manages users; may do anything


@dataclass(frozen=True, slots=True)
class User:
    """A person or a platform that holds an API token. The token itself is never stored.

    ``disabled``: removed (``remit user remove``). A removed user holds no token and cannot sign
    in, and the name is never given to anyone else, so that every record naming it (orders,
    transitions, the audit trail) keeps naming one person.
    """

    name: str
    roles: frozenset[Role]
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One mutating call: who did what, when, and how it ended."""

    actor: str
    action: str
    subject: str
    at: datetime
    outcome: str


@dataclass(frozen=True, slots=True)
class OrderChanges:
    """Orders changed since a cursor, and the cursor to ask from next time."""

    orders: tuple[Order, ...]
    cursor: int


class Store(Protocol):
    """Orders, their documents, users and the audit trail."""

    # Orders ----------------------------------------------------------------------------------
    def add_order(self, order: Order, document: bytes | None = None) -> None:
        """Store a new order (version 1) and, when given, its original document's bytes.

        ``Conflict`` when the id exists; ``InvalidInput`` when the document's SHA-256 differs
        from ``order.document.sha256``.
        """

    def add_orders(self, orders: Sequence[Order]) -> None:
        """Store many new orders, in whatever state they are, in one transaction (an import).

        ``Conflict`` when any id exists already; then none is stored.
        """

    def save_order(self, order: Order) -> None:
        """Store the next state of an order. Optimistic lock: the stored version must be
        ``order.version - 1``, else ``Conflict`` (someone else changed it first); ``NotFound``
        when there is no such order. The order's new transitions (those after the stored ones)
        are appended; stored transitions are never changed.
        """

    def get_order(self, order_id: str) -> Order:
        """The order with its transitions, or ``NotFound``."""

    def list_orders(
        self,
        *,
        status: Status | None = None,
        jurisdiction: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Order]:
        """Orders by id order (ids sort by creation), filtered, ``limit`` from after ``after``.

        ``jurisdiction`` is the authority's canonical code, as stored (``CN``, ``UA-43``, ``EU``);
        ``limit`` is at least 1, else ``InvalidInput``.
        """

    def orders_in(self, statuses: Sequence[Status]) -> list[Order]:
        """Every order in one of ``statuses`` (for the decision index and the scheduler), by id."""

    def changes_since(self, cursor: int) -> OrderChanges:
        """Orders added or changed after ``cursor`` (0: all). For resynchronising an index.

        Each order appears once, in its latest state, in the order of the changes; ``cursor`` is
        the one to ask from next time (the same one when nothing changed). No change committed
        after a call is ever missed by the next one.
        """

    def get_document(self, order_id: str) -> bytes:
        """The original document of an order, or ``NotFound`` (no order, or no document)."""

    def count_orders_by_status(self) -> dict[Status, int]:
        """How many orders are in each status: every status is a key, 0 included."""

    # Users -----------------------------------------------------------------------------------
    def add_user(self, user: User, token_hash: str) -> None:
        """Store a user with the SHA-256 hex of their token. ``Conflict`` when the name exists.

        ``Conflict`` too when the token is already someone's; ``InvalidInput`` when
        ``token_hash`` is not 64 lower-case hex digits.
        """

    def add_token(self, name: str, token_hash: str) -> None:
        """Give an existing user another token (``NotFound`` when there is no such user)."""

    def user_for_token(self, token_hash: str) -> User | None:
        """The enabled user holding the token with this hash, or None (also once it expired)."""

    def get_user(self, name: str) -> User:
        """A user by name, or ``NotFound``."""

    def list_users(self) -> list[User]:
        """Every user, by name (removed ones too)."""

    def replace_token(
        self, name: str, token_hash: str, *, old_until: datetime | None = None
    ) -> None:
        """Give a user a new token in place of every one they hold. The old ones stop working
        at once, or at ``old_until`` (a grace period, for a platform that must deploy the new
        one first); either way a revocation is recorded (see :meth:`token_revocations`).

        ``NotFound`` when there is no such user; ``Conflict`` when the user was removed, or the
        token is already someone's.
        """

    def remove_user(self, name: str) -> None:
        """Remove a user: every token of theirs is revoked at once and they can no longer sign
        in (they become ``disabled``); the name stays taken. ``NotFound`` when there is no such
        user; removing a removed user again changes nothing.
        """

    def token_revocations(self, now: datetime) -> int:
        """How many token revocations have taken effect by ``now``: a count that only grows.
        A node that caches tokens drops its cache whenever this changes."""

    # Audit -----------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit trail."""

    def audit_trail(self, *, limit: int = 100) -> list[AuditEntry]:
        """The latest entries, newest (last appended) first."""

    # Life ------------------------------------------------------------------------------------
    def listen(self, on_change: Callable[[str], None]) -> Callable[[], None]:
        """Call ``on_change(order_id)`` when any node changes an order; returns a stop function.

        PostgreSQL delivers these through LISTEN/NOTIFY, on a thread of the store's, once the
        change commits; stores without notifications call nothing (a periodic ``changes_since``
        covers them, and covers notices lost while the listening connection reconnects).
        """

    def close(self) -> None:
        """Stop listening and release connections. Safe to call again; the store is then
        unusable (``StoreError``).
        """
