"""A running remit node: the store, the compiled decision index, what keeps the index current,
and everything else the node runs, started and stopped with it.

Admissions read ``node.snapshot`` (the decision index and the orders in force, one immutable value
swapped whole) and never touch the database. Every order change, made here or on another node,
reaches the index three ways: at once when this node made it, within milliseconds
through the store's notifications (PostgreSQL LISTEN/NOTIFY), and at the latest on the next
resynchronisation (``changes_since``), which also catches anything a notification missed.
A scheduler thread starts approved orders at ``effective_from`` and expires them at
``effective_until`` with no one acting; when two nodes race to do it, the store's version check
lets exactly one win.

A node is built with what it runs: its transparency log, its live enforcement and connectors'
periodic tasks. :meth:`Node.start` starts them all and :meth:`Node.stop` stops them in reverse and
releases what the node was given (stores, locator): ``remit serve`` and the tests do no more.

Why one module of some 500 lines: the node is one object with one lifecycle (start, the index
loaded before the catch-up, health while starting or degraded, the token cache, stop), and its
parts share its lock and its snapshot; the pieces that stand alone (the scheduler's steps, the
metrics, the status page) live in their own modules already.
"""

from __future__ import annotations

import gc
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Protocol

from remit import orders
from remit.api._users import hash_token
from remit.enforcement import Connector, EnforcementStore, Enforcer, Policy, Roster
from remit.errors import Conflict, RemitError
from remit.location import Locator
from remit.orders import Order
from remit.policy import PolicyIndex
from remit.store import Store, User
from remit.transparency import TransparencyLog

logger = logging.getLogger("remit.node")
task_logger = logging.getLogger("remit.tasks")

#: The shortest pause between two runs of a task, whatever it asks for.
MIN_INTERVAL_S = 0.05

Clock = Callable[[], datetime]


class OrderListener(Protocol):
    """Told of every order change this node sees, made here or on another node.

    A listener may be told of one change more than once (after a resync, or by several nodes),
    so what it does must be idempotent, keyed by the order id and its last transition.
    """

    def order_changed(self, order: Order) -> None:
        """React to ``order``'s new state; its last transition says what happened."""


class Task(Protocol):
    """Periodic work a connector runs with the node (see ``remit_tasks`` in
    :mod:`remit.connectors._hooks`): at once when the node starts, then every ``interval_s``
    seconds on a thread of its own until it stops. A run that raises is logged and the task runs
    again at its next turn: one bad run never stops it, nor another task."""

    @property
    def name(self) -> str:
        """What the log calls it."""

    @property
    def interval_s(self) -> float:
        """Seconds between the end of one run and the start of the next; read again after
        every run, so a task may change it (from its platforms' settings, say)."""

    def run(self, node: Node) -> None:
        """Do the work once. An exception is logged; the task runs again at its next turn."""


@dataclass(frozen=True)
class Enforcement:
    """The live enforcement a node runs: the roster and outbox, the connectors, the policy.

    The node builds its :class:`~remit.enforcement.Enforcer` from these with its own clock, its
    orders in force and its log (for the daily counts), so nothing is wired in afterwards.
    """

    store: EnforcementStore
    connectors: Mapping[str, Connector]
    policy: Policy = field(default_factory=Policy)
    #: What the roster is written through; by default a writer thread on ``store``. A node run
    #: by ``remit serve`` has one in a process of its own (``remit.store.RosterProcess``).
    roster: Roster | None = None
    #: Whether the node runs the delivery loop and its sweeps (:meth:`Enforcer.start`). A test
    #: that steps them by hand (``deliver_due()``, ``sweep()``) on a clock it moves says False.
    background: bool = True


#: Up to this many orders changed at once, each is activated on its own (a read of the roster
#: narrowed to its targets); more, and the whole roster is read once for all of them.
ACTIVATE_ONE_BY_ONE = 16


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


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A time-sortable id: 48 bits of milliseconds and 80 random bits, Crockford base32."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
    return f"{prefix}_{chars}"


#: From how many orders read a start moves what it built out of the cycle collector's way.
FREEZE_FROM = 10_000


@contextmanager
def _collector_paused() -> Iterator[list[int]]:
    """Pause Python's cycle collector while the start reads and compiles every order; when the
    caller puts a count of at least :data:`FREEZE_FROM` in the list it is given, move what was
    built out of the collector's way (``gc.freeze``).

    The load allocates millions of acyclic objects that live as long as the index; the collector
    would walk them all several times meanwhile and find nothing (it took about three quarters
    of building the index over 100,000 orders), and again at every later full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    read: list[int] = []
    try:
        yield read
    finally:
        if read and read[0] >= FREEZE_FROM:
            gc.freeze()
        if was_enabled:
            gc.enable()


class Node:
    """One remit node: build it with what it runs, ``start`` it, ``stop`` it.

    ``log`` is the transparency log it keeps (told of every order change, and of enforcement's
    daily counts); ``enforcement`` is its live enforcement (see :class:`Enforcement`; the built
    :class:`~remit.enforcement.Enforcer` is :attr:`enforcer`); ``tasks`` are connectors'
    periodic work. Without a log or enforcement, the operations that need them answer 503.
    ``listeners`` are told of order changes after the log and the enforcer.
    """

    def __init__(
        self,
        store: Store,
        locator: Locator,
        *,
        log: TransparencyLog | None = None,
        enforcement: Enforcement | None = None,
        tasks: Sequence[Task] = (),
        clock: Clock = utcnow,
        resync_seconds: float = 30.0,
        tick_seconds: float = 1.0,
        token_ttl_seconds: float = 30.0,
        listeners: Sequence[OrderListener] = (),
    ) -> None:
        self.store = store
        self.locator = locator
        self.clock = clock
        self.resync_seconds = resync_seconds
        self.tick_seconds = tick_seconds
        self.token_ttl_seconds = token_ttl_seconds
        #: The transparency log this node keeps, or None.
        self.log = log
        #: Live enforcement, when this node runs it.
        self.enforcer = None if enforcement is None else self._enforcer(enforcement)
        self._background = enforcement is not None and enforcement.background
        self.tasks = tuple(tasks)
        self.listeners: list[OrderListener] = [
            *(x for x in (log, self.enforcer) if x is not None),
            *listeners,
        ]
        #: The decision index and the orders in force: read it once per request.
        self.snapshot = Snapshot(PolicyIndex.compile(()), MappingProxyType({}), time.monotonic())
        self._lock = threading.Lock()
        self._cursor = 0
        self._scheduled: dict[str, datetime] = {}
        self._versions: dict[str, int] = {}  # the last version of each order applied here
        # Tokens that name a user, and tokens that name none, kept apart: a stream of made-up
        # tokens fills (and flushes) only the second, never pushing a platform's token out and
        # its admissions back onto the database.
        self._tokens: dict[str, tuple[User | None, float]] = {}
        self._unknown_tokens: dict[str, tuple[User | None, float]] = {}
        # Revocations seen in the store, and a count of the times the cache was dropped for one.
        self._revocations = -1
        self._token_generation = 0
        self._stop = threading.Event()
        #: Set once the decision index holds every order in force.
        self.loaded = threading.Event()
        #: What went wrong the last time the node reached for its database, or None: while it
        #: is set the node is ``degraded`` (admissions go on from memory).
        self.database_problem: str | None = None
        #: Why the transparency log could not be opened or caught up after the start, or None:
        #: the node is ``degraded`` meanwhile, and tries again at every resync.
        self.log_problem: str | None = None
        self._boot: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._task_threads: list[threading.Thread] = []
        self._unlisten: Callable[[], None] = lambda: None

    def _enforcer(self, enforcement: Enforcement) -> Enforcer:
        return Enforcer(
            enforcement.store,
            enforcement.connectors,
            clock=self.clock,
            active_orders=lambda: list(self.snapshot.orders.values()),
            snapshot=self._in_force,
            policy=enforcement.policy,
            on_counts=None if self.log is None else self.log.append_enforcement_counts,
            roster=enforcement.roster,
        )

    def _in_force(self) -> tuple[PolicyIndex, list[Order]]:
        """The decision index and the orders in force, of one snapshot."""
        now = self.snapshot
        return now.index, list(now.orders.values())

    # Life ------------------------------------------------------------------------------------
    def start(self, *, wait: bool = True) -> None:
        """Build the index from the store and follow changes; then start live enforcement (its
        first sweep catches up on every order in force) and the tasks.

        With ``wait=False`` (``remit serve``) it returns at once and does all that on a thread
        of its own, trying again every second while the database cannot be read: the node
        answers ``/healthz`` (``starting``) meanwhile, and decides nothing until
        :attr:`loaded`."""
        if wait:
            self._start()
            return
        self._boot = threading.Thread(target=self._start_when_possible, name="remit-start")
        self._boot.daemon = True
        self._boot.start()

    def _start_when_possible(self) -> None:
        while not self._stop.is_set():
            try:
                self._start()
                return
            except RemitError as exc:
                self.database_problem = str(exc)
                logger.warning("could not load the decision index (trying again): %s", exc)
                self._stop.wait(1.0)

    @property
    def stopping(self) -> bool:
        """:meth:`stop` was called."""
        return self._stop.is_set()

    @property
    def starting(self) -> bool:
        """Started without waiting and not loaded yet: the node decides nothing meanwhile (a
        decision on an index still empty would let everyone in)."""
        return self._boot is not None and not self.loaded.is_set()

    def health(self) -> tuple[str, list[str]]:
        """``starting``, ``degraded`` or ``ok``, and what is wrong."""
        problems = [p for p in (self.database_problem, self.log_problem) if p is not None]
        if self.starting:
            return "starting", ["the decision index is loading", *problems]
        return ("degraded" if problems else "ok"), problems

    def _start(self) -> None:
        if self._stop.is_set():
            return
        # The index first, then what follows every order (the log's tree and entries, the
        # enforcer's removals): a node decides as soon as its index is built, however long the
        # catch-up.
        with _collector_paused() as read:
            changes = self.store.changes_since(self._cursor)
            read.append(len(changes.orders))
            if self._versions:  # orders were applied before the start: merge the rest in
                latest = self._apply(changes.orders, notify=False)
            else:
                latest = self._load(changes.orders)
        self._cursor = max(self._cursor, changes.cursor)
        self.database_problem = None
        self.loaded.set()
        self._catch_up_log(latest)
        self._notify(latest, log=False)
        self._unlisten = self.store.listen(self._on_notify)
        thread = threading.Thread(target=self._run, name="remit-scheduler", daemon=True)
        thread.start()
        self._threads.append(thread)
        if self.enforcer is not None and self._background:
            self.enforcer.start()
        for task in self.tasks:
            name = f"remit-task-{task.name}"
            thread = threading.Thread(target=self._loop, args=(task,), name=name, daemon=True)
            thread.start()
            self._task_threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop everything ``start`` started, in reverse: the tasks (a run in progress ends
        first, waited for up to ``timeout`` s each), live enforcement (pending commands stay in
        the outbox), following changes; then release the stores and the locator."""
        self._stop.set()
        if self._boot is not None:
            self._boot.join(timeout)  # a start under way finishes first, then stops here
        for thread in self._task_threads:  # before the enforcer: tasks use its store
            thread.join(timeout)
            if thread.is_alive():
                task_logger.warning("task thread %s did not stop within %g s", thread.name, timeout)
        self._task_threads = []
        if self.enforcer is not None:
            self.enforcer.stop()
        self._unlisten()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.enforcer is not None:
            self.enforcer.store.close()
        self.store.close()
        self.locator.close()

    def _loop(self, task: Task) -> None:
        while not self._stop.is_set():
            try:
                task.run(self)
            except Exception:
                task_logger.exception("task %s failed; it runs again at its next turn", task.name)
            try:
                interval = max(MIN_INTERVAL_S, float(task.interval_s))
            except Exception:
                task_logger.exception("task %s has no usable interval_s; waiting 60 s", task.name)
                interval = 60.0
            if self._stop.wait(interval):
                return

    def _run(self) -> None:
        last_resync = time.monotonic()
        while not self._stop.wait(self.tick_seconds):
            try:
                self.forget_revoked_tokens()
                self.advance_due()
                if time.monotonic() - last_resync >= self.resync_seconds:
                    self.resync()
                    if self.log_problem is not None:
                        self._catch_up_log(list(self.snapshot.orders.values()))
                    last_resync = time.monotonic()
                self.database_problem = None
            except RemitError as exc:  # the database may be away for a while: keep trying
                self.database_problem = str(exc)
                logger.warning("scheduler: %s", exc)

    def _on_notify(self, order_id: str) -> None:
        try:
            self.refresh([order_id])
        except RemitError as exc:
            logger.warning("could not refresh order %s after a notification: %s", order_id, exc)

    # Index -----------------------------------------------------------------------------------
    def resync(self) -> None:
        """Apply every order change since the last resynchronisation."""
        changes = self.store.changes_since(self._cursor)
        self._apply(changes.orders)
        self._cursor = max(self._cursor, changes.cursor)

    def refresh(self, order_ids: Iterable[str]) -> None:
        """Reload these orders from the store into the index."""
        self._apply([self.store.get_order(i) for i in order_ids])

    def _load(self, read: Sequence[Order]) -> list[Order]:
        """The first load: the index and the orders in force built once from every order read
        (one compile, not one replace per order). Returns the orders, each once."""
        with self._lock:
            latest: dict[str, Order] = {}
            for order in read:
                latest[order.id] = order
            in_force = {i: o for i, o in latest.items() if o.in_force}
            index = PolicyIndex.compile([orders.to_active(o) for o in in_force.values()])
            self._versions = {i: o.version for i, o in latest.items()}
            self._scheduled = {
                i: due for i, o in latest.items() if (due := orders.next_change(o)) is not None
            }
            self.snapshot = Snapshot(index, MappingProxyType(in_force), time.monotonic())
        return list(latest.values())

    def _catch_up_log(self, latest: Sequence[Order]) -> None:
        """Open the log (rebuild and check its tree) and log what an earlier crash or an import
        left unlogged, in batches; what fails is reported by :meth:`health` and tried again."""
        if self.log is None:
            return
        try:
            self.log.log_orders(latest)
        except RemitError as exc:
            self.log_problem = f"the transparency log: {exc}"
            logger.error("could not catch up the transparency log (trying again): %s", exc)
        else:
            self.log_problem = None

    def _apply(self, changed: Iterable[Order], *, notify: bool = True) -> list[Order]:
        """Put the newer of ``changed`` in the index; tell the listeners (with ``notify``).
        Returns what was newer."""
        with self._lock:
            # Only what is newer than what this node applied: a notification's read may finish
            # after a later change to the same order was applied here, and must not undo it.
            fresh: dict[str, Order] = {}
            for order in changed:
                if order.version >= self._versions.get(order.id, -1):
                    self._versions[order.id] = order.version
                    fresh[order.id] = order
            if not fresh:
                return []
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
        if notify:
            self._notify(latest)
        return latest

    def _notify(self, latest: Sequence[Order], *, log: bool = True) -> None:
        listeners = [x for x in self.listeners if log or x is not self.log]
        if self.enforcer is not None and len(latest) > ACTIVATE_ONE_BY_ONE:
            # Many orders at once (a start, a resync after a gap): the roster read once for all
            # of them, not once per order; from the snapshot that holds them.
            listeners.remove(self.enforcer)
            try:
                self.enforcer.activate_many(latest, self.snapshot.index)
            except RemitError as exc:  # retried on the next sweep
                logger.warning("live enforcement failed on %d orders: %s", len(latest), exc)
        for order in latest:
            for listener in listeners:
                try:
                    listener.order_changed(order)
                except RemitError as exc:  # retried on the next resync or notification
                    logger.warning("listener %r failed on order %s: %s", listener, order.id, exc)

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
        generation = self._token_generation
        user = self.store.user_for_token(hash_token(token))
        if generation != self._token_generation:
            return user  # a revocation arrived while this was read: do not keep what it read
        cache = self._tokens if user is not None else self._unknown_tokens
        if len(cache) > 10_000:
            cache.clear()
        cache[token] = (user, now + self.token_ttl_seconds)
        return user

    def forget_revoked_tokens(self) -> None:
        """Drop the cached tokens when a revocation took effect since the last look (a token
        replaced or a user removed, by any node or by the CLI). The scheduler does this every
        ``tick_seconds``, so a revoked token stops working on every node within that time
        rather than after ``token_ttl_seconds``."""
        revocations = self.store.token_revocations(utcnow())
        if revocations != self._revocations:
            self._token_generation += 1
            self._tokens.clear()
            self._revocations = revocations
