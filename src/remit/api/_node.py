"""A running remit node: the store, the compiled decision index, and what keeps the index current.

Admissions read ``node.snapshot`` (the decision index and the orders in force, one immutable value
swapped whole) and never touch the database. Every order change, made here or on another node,
reaches the index three ways: at once when this node made it, within milliseconds
through the store's notifications (PostgreSQL LISTEN/NOTIFY), and at the latest on the next
resynchronisation (``changes_since``), which also catches anything a notification missed.
A scheduler thread starts approved orders at ``effective_from`` and expires them at
``effective_until`` with no one acting; when two nodes race to do it, the store's version check
lets exactly one win.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Protocol

from remit import orders
from remit.enforcement import Enforcer
from remit.errors import Conflict, InvalidInput, RemitError
from remit.location import Locator
from remit.orders import Order
from remit.policy import PolicyIndex
from remit.store import Role, Store, User

log = logging.getLogger("remit.node")

Clock = Callable[[], datetime]


class OrderListener(Protocol):
    """Told of every order change this node sees, made here or on another node.

    A listener may be told of one change more than once (after a resync, or by several nodes),
    so what it does must be idempotent, keyed by the order id and its last transition.
    """

    def order_changed(self, order: Order) -> None:
        """React to ``order``'s new state; its last transition says what happened."""


@dataclass(frozen=True)
class Snapshot:
    """The decision index and the orders it was compiled from, built together and swapped as one.

    A request reads ``node.snapshot`` once and decides, refuses and notifies from that one value,
    so no answer mixes two states of the orders: every order a decision names is in ``orders``.
    """

    index: PolicyIndex
    #: The full record of every order in force, by id: for notices and refusals, no database read.
    orders: Mapping[str, Order]
    #: When it was built (``time.monotonic()``).
    built: float


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_PREFIX = "remit_"


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A time-sortable id: 48 bits of milliseconds and 80 random bits, Crockford base32."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
    return f"{prefix}_{chars}"


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex. Tokens are never stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(store: Store, name: str, roles: Iterable[str], *, now: datetime) -> str:
    """Add a user with ``roles`` and return their new API token (shown once, stored hashed)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or name != name.strip():
        raise InvalidInput(
            "name: must be a non-empty name without surrounding spaces", field="name"
        )
    try:
        role_set = frozenset(Role(r) for r in roles)
    except ValueError as exc:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role: must be one of {known}", field="role") from exc
    if not role_set:
        raise InvalidInput("role: give at least one role", field="role")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_user(User(name=name, roles=role_set, created_at=now), hash_token(token))
    return token


class Node:
    """One remit node. ``start`` loads the index and starts following changes; ``stop`` ends it."""

    def __init__(
        self,
        store: Store,
        locator: Locator,
        *,
        clock: Clock = utcnow,
        resync_seconds: float = 30.0,
        tick_seconds: float = 1.0,
        token_ttl_seconds: float = 30.0,
        listeners: Sequence[OrderListener] = (),
    ) -> None:
        self.store = store
        self.listeners = list(listeners)
        self.locator = locator
        self.clock = clock
        self.resync_seconds = resync_seconds
        self.tick_seconds = tick_seconds
        self.token_ttl_seconds = token_ttl_seconds
        #: The decision index and the orders in force: read it once per request.
        self.snapshot = Snapshot(PolicyIndex.compile(()), MappingProxyType({}), time.monotonic())
        #: Live enforcement, when this node runs it (``remit serve`` wires it in).
        self.enforcer: Enforcer | None = None
        self._lock = threading.Lock()
        self._cursor = 0
        self._scheduled: dict[str, datetime] = {}
        self._versions: dict[str, int] = {}  # the last version of each order applied here
        # Tokens that name a user, and tokens that name none, kept apart: a stream of made-up
        # tokens fills (and flushes) only the second, never pushing a platform's token out and
        # its admissions back onto the database.
        self._tokens: dict[str, tuple[User | None, float]] = {}
        self._unknown_tokens: dict[str, tuple[User | None, float]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unlisten: Callable[[], None] = lambda: None

    # Life ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Build the index from the store and start following changes."""
        self.resync()
        self._unlisten = self.store.listen(self._on_notify)
        thread = threading.Thread(target=self._run, name="remit-scheduler", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop following changes and release the store."""
        self._stop.set()
        self._unlisten()
        for thread in self._threads:
            thread.join(timeout=5)
        self.store.close()

    def _run(self) -> None:
        last_resync = time.monotonic()
        while not self._stop.wait(self.tick_seconds):
            try:
                self.advance_due()
                if time.monotonic() - last_resync >= self.resync_seconds:
                    self.resync()
                    last_resync = time.monotonic()
            except RemitError as exc:  # the database may be away for a while: keep trying
                log.warning("scheduler: %s", exc)

    def _on_notify(self, order_id: str) -> None:
        try:
            self.refresh([order_id])
        except RemitError as exc:
            log.warning("could not refresh order %s after a notification: %s", order_id, exc)

    # Index -----------------------------------------------------------------------------------
    def resync(self) -> None:
        """Apply every order change since the last resynchronisation."""
        changes = self.store.changes_since(self._cursor)
        self._apply(changes.orders)
        self._cursor = max(self._cursor, changes.cursor)

    def refresh(self, order_ids: Iterable[str]) -> None:
        """Reload these orders from the store into the index."""
        self._apply([self.store.get_order(i) for i in order_ids])

    def _apply(self, changed: Iterable[Order]) -> None:
        with self._lock:
            # Only what is newer than what this node applied: a notification's read may finish
            # after a later change to the same order was applied here, and must not undo it.
            fresh: dict[str, Order] = {}
            for order in changed:
                if order.version >= self._versions.get(order.id, -1):
                    self._versions[order.id] = order.version
                    fresh[order.id] = order
            if not fresh:
                return
            latest = list(fresh.values())
            now = self.snapshot
            in_force = dict(now.orders)
            for order in latest:
                if order.in_force:
                    in_force[order.id] = order
                else:
                    in_force.pop(order.id, None)
            index = now.index.replace(
                upsert=[orders.to_active(o) for o in latest if o.in_force],
                remove=[o.id for o in latest if not o.in_force],
            )
            # One assignment: a reader sees the old snapshot or the new one, never half of each.
            self.snapshot = Snapshot(index, MappingProxyType(in_force), time.monotonic())
            for order in latest:
                due = orders.next_change(order)
                if due is None:
                    self._scheduled.pop(order.id, None)
                else:
                    self._scheduled[order.id] = due
        for order in latest:
            for listener in self.listeners:
                try:
                    listener.order_changed(order)
                except RemitError as exc:  # retried on the next resync or notification
                    log.warning("listener %r failed on order %s: %s", listener, order.id, exc)

    def advance_due(self) -> None:
        """Start and expire the orders whose time has come."""
        now = self.clock()
        for order_id in [i for i, due in list(self._scheduled.items()) if due <= now]:
            order = self.store.get_order(order_id)
            nxt = orders.advance(order, now)
            if nxt is None:
                self._apply([order])
                continue
            try:
                self.store.save_order(nxt)
            except Conflict:
                nxt = self.store.get_order(order_id)  # another node did it first
            self._apply([nxt])

    # Orders ----------------------------------------------------------------------------------
    def record(self, order: Order, document: bytes | None) -> Order:
        """Store a newly recorded order."""
        self.store.add_order(order, document)
        return order

    def act(self, order_id: str, step: Callable[[Order, datetime], Order]) -> Order:
        """Apply one lifecycle step and store it; a concurrent change makes this a ``Conflict``."""
        current = self.store.get_order(order_id)
        changed = step(current, self.clock())
        self.store.save_order(changed)
        self._apply([changed])
        return changed

    # Users -----------------------------------------------------------------------------------
    def user_for_token(self, token: str) -> User | None:
        """The user holding ``token``, cached for a while so that admissions stay in memory."""
        # By the token itself: no hashing on the hot path.
        cached = self._tokens.get(token) or self._unknown_tokens.get(token)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        user = self.store.user_for_token(hash_token(token))
        cache = self._tokens if user is not None else self._unknown_tokens
        if len(cache) > 10_000:
            cache.clear()
        cache[token] = (user, now + self.token_ttl_seconds)
        return user
