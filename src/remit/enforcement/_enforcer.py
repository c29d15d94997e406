"""The effects of live enforcement: activation into the outbox, and delivery out of it.

The :class:`Enforcer` is an order listener: when an order is in force it reads the roster and
enqueues a removal per session the order reaches, plus host notices. Enqueueing is idempotent
(one command per key, ever), so activation can run again after a crash, on every node, and on
every sweep, and still yield exactly one removal per session. A delivery thread takes due
commands, hands each to the platform's connector, and retries with exponential backoff until the
command is delivered or its deadline passes, when it is marked failed: never dropped. Once a day
a sweep also purges the personal data that finished before the retention limit
(:mod:`~remit.enforcement._retention`), so a running node keeps the limit with no cron job.

Why one module of some 430 lines: the :class:`Enforcer` is one object with one thread and one
wake-up event that activation, per-session checks, delivery, sweeps and purges all share; the
planning itself (what to enqueue) is pure and lives in :mod:`~remit.enforcement._activation`.
"""

from __future__ import annotations

import gc
import logging
import queue
import random
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from remit._urls import redact_urls
from remit.enforcement._activation import (
    REFUSED,
    REMOVE,
    Delivery,
    daily_counts,
    plan,
    readmissions,
    removal,
    targets_of,
)
from remit.enforcement._connector import Connector
from remit.enforcement._interface import EnforcementStore
from remit.enforcement._model import Attempt, Command, CommandStatus, Platform, Session
from remit.enforcement._retention import DEFAULT_RETENTION_DAYS, PURGE_EVERY, Purged
from remit.enforcement._roster import Roster, RosterWriter
from remit.errors import DeliveryError, NotFound, RemitError
from remit.orders import Order, to_active
from remit.policy import PolicyIndex

log = logging.getLogger("remit.enforcement")

#: Removals read from the outbox at a time when readmitting (each page is one transaction).
READMIT_PAGE = 1000


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while an activation runs.

    An activation over a large roster allocates hundreds of thousands of short-lived, acyclic
    objects (sessions, commands, their data), which reference counting frees; the cycle
    collector would walk every live object several times meanwhile and find nothing (about a
    sixth of the time of activating one order over a million sessions). It runs again after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: How long an enforcer delivers with a platform's settings before reading them again, in
#: seconds: a rotated webhook secret is in every node's signatures within this time.
PLATFORM_REFRESH_S = 5.0


@dataclass(frozen=True)
class Policy:
    """How commands are delivered: their time to live, and the backoff between attempts."""

    ttl: timedelta = timedelta(minutes=15)
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0
    batch: int = 500
    workers: int = 16
    sweep_s: float = 30.0
    #: Completed days whose counts each sweep (re)publishes; the log keeps one entry per day.
    count_days: int = 3
    appeal_url: str = "https://remit.example/appeals"
    #: Who implements the blocks (RFC 7725 "blocked-by"): the platform operator's URL.
    operator_url: str = "https://remit.example/"
    #: How long personal data of ended sessions and finished commands is kept.
    retention: timedelta = timedelta(days=DEFAULT_RETENTION_DAYS)
    #: How often sweeps purge what passed the retention limit.
    purge_every: timedelta = PURGE_EVERY


class Enforcer:
    """Activation, per-session checks and the delivery loop for one node."""

    def __init__(
        self,
        store: EnforcementStore,
        connectors: Mapping[str, Connector],
        *,
        clock: Callable[[], datetime],
        active_orders: Callable[[], Iterable[Order]],
        snapshot: Callable[[], tuple[PolicyIndex, Iterable[Order]]] | None = None,
        policy: Policy | None = None,
        on_counts: Callable[[str, date, dict[str, dict[str, int]]], object] | None = None,
        roster: Roster | None = None,
    ) -> None:
        self.store = store
        self.on_counts = on_counts
        self.connectors = dict(connectors)
        self.clock = clock
        self.active_orders = active_orders
        #: The decision index and the orders in force it was built from, taken together, when
        #: the node has them (a sweep then decides on it rather than compiling its own from
        #: ``active_orders``).
        self.snapshot = snapshot
        self.policy = policy or Policy()
        self._platforms: dict[str, tuple[Platform, float]] = {}  # and when to read it again
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._purger: threading.Thread | None = None
        self._purge_lock = threading.Lock()
        self._last_purge: datetime | None = None  # when the last purge began
        self._purged_before: datetime | None = None  # the cut-off of the last purge
        self._pool = ThreadPoolExecutor(self.policy.workers, thread_name_prefix="remit-deliver")
        #: Joins, leaves and moves, committed together (group commit): ``roster`` if given (a
        #: node's, in a process of its own), else a writer thread on ``store``.
        self.roster: Roster = roster or RosterWriter(store.write_roster)

    def _delivery(self) -> Delivery:
        return Delivery(self.clock(), self.policy.ttl, self.policy.appeal_url)

    # Activation ------------------------------------------------------------------------------
    def order_changed(self, order: Order) -> None:
        """An order in force removes everyone it reaches on the roster (idempotent)."""
        if order.in_force:
            self.activate(order)

    def activate(self, order: Order) -> int:
        """Enqueue the order's removals and host notices; returns how many commands were new."""
        active = to_active(order)
        resources, hosts = targets_of(active)
        with _collector_paused():
            # Only sessions located in a place the scope covers can be removed: the database
            # leaves the others out, and must_go decides each one it read.
            sessions = self.store.live_sessions(
                resource_ids=resources, hosts=hosts, places=sorted(active.places)
            )
            new = self.store.enqueue(plan(order, active, sessions, self._delivery()))
            del sessions
        if new:
            log.info("order %s: %d new commands", order.id, new)
            self._wake.set()
        return new

    def activate_many(self, orders: Iterable[Order], index: PolicyIndex) -> int:
        """:meth:`activate` of every order of ``orders`` in force, for as many orders as there
        may be: the roster is read once (not once per order: over 100,000 orders that took a
        core for half an hour), each live session is decided on ``index`` (which must hold
        those orders), and each order that reaches a session plans its removals and host notices
        from those sessions alone, as :meth:`activate` does. Returns how many commands were new.
        """
        by_id = {o.id: o for o in orders if o.in_force}
        if not by_id:
            return 0
        reached: dict[str, list[Session]] = {}
        with _collector_paused():
            for session in self.store.live_sessions():
                decision = index.decide(
                    session.location,
                    session.resource,
                    session.participant,
                    platform=session.platform,
                )
                for order_id in decision.orders:
                    if order_id in by_id:
                        reached.setdefault(order_id, []).append(session)
            delivery = self._delivery()
            commands = [
                command
                for order_id, sessions in sorted(reached.items())
                for command in plan(by_id[order_id], to_active(by_id[order_id]), sessions, delivery)
            ]
            new = self.store.enqueue(commands) if commands else 0
        if new:
            log.info("%d orders reach the roster: %d new commands", len(reached), new)
            self._wake.set()
        return new

    def readmit(
        self, order: Order, people: Collection[str] | None = None, platform: str | None = None
    ) -> int:
        """Let back in everyone the order removed, or only ``people`` (on ``platform`` alone,
        when given): one readmission per removed session, read from the outbox a page at a time
        however many there are. Returns how many readmissions were new (idempotent: one per
        removal, ever)."""
        delivery = self._delivery()
        new, after = 0, None
        while True:
            page = self.store.removals_of(order.id, after=after, limit=READMIT_PAGE)
            on = page if platform is None else [c for c in page if c.platform == platform]
            new += self.store.enqueue(readmissions(on, people, delivery))
            if len(page) < READMIT_PAGE:
                break
            after = page[-1].key
        if new:
            log.info("order %s: %d readmissions", order.id, new)
            self._wake.set()
        return new

    def check(
        self, session: Session, index: PolicyIndex, orders: Callable[[str], Order]
    ) -> list[Command]:
        """A session that joined or moved while an order took effect: remove it if it must go."""
        decision = index.decide(
            session.location, session.resource, session.participant, platform=session.platform
        )
        commands = [
            removal(orders(order_id), session, self._delivery()) for order_id in decision.orders
        ]
        if commands and self.store.enqueue(commands):
            self._wake.set()
        return commands

    def sweep(self) -> int:
        """Activate every order in force again: catches what a crash or a race let through.

        Also publishes the counts of the last completed days (idempotent: one entry per order
        and day in the log), and purges personal data past the retention limit when a day has
        passed since the last purge (:meth:`purge_if_due`).
        """
        new = self._reactivate()
        self.purge_if_due()
        return new

    def _reactivate(self) -> int:
        if self.snapshot is not None:
            index, in_force = self.snapshot()
        else:  # no node's index to share: compiled for this sweep
            in_force = [o for o in self.active_orders() if o.in_force]
            index = PolicyIndex.compile([to_active(o) for o in in_force])
        new = self.activate_many(in_force, index)
        today = self.clock().astimezone(UTC).date()
        for back in range(self.policy.count_days, 0, -1):
            self.publish_counts(today - timedelta(days=back))
        return new

    # Retention -------------------------------------------------------------------------------
    def purge_due(self) -> bool:
        """Whether a day (``policy.purge_every``) has passed since the last purge began."""
        last = self._last_purge
        return last is None or self.clock() - last >= self.policy.purge_every

    def purge_if_due(self) -> Purged | None:
        """:meth:`purge` when it is due (and no purge is running); None when it was not."""
        if not self.purge_due():
            return None
        return self.purge()

    def purge(self) -> Purged | None:
        """Remove the personal data that finished before now minus the retention limit.

        The first purge of a process reads everything before the cut-off; each later one reads
        only what finished since the one before (less a day, for what was recorded late). Returns
        the counts, or None when another purge is running.
        """
        if not self._purge_lock.acquire(blocking=False):
            return None
        try:
            now = self.clock()
            cutoff = now - self.policy.retention
            since = None if self._purged_before is None else self._purged_before - PURGE_EVERY
            purged = self.store.purge(cutoff, since=since)
            self._last_purge, self._purged_before = now, cutoff
        finally:
            self._purge_lock.release()
        if purged.sessions or purged.commands:
            log.info(
                "retention: personal data of %d sessions and %d commands that finished before %s "
                "purged",
                purged.sessions,
                purged.commands,
                cutoff.isoformat(),
            )
        return purged

    def _purge_in_background(self) -> None:
        """A due purge on a thread of its own: deliveries go on while it reads the history."""
        if not self.purge_due() or (self._purger is not None and self._purger.is_alive()):
            return

        def run() -> None:
            try:
                self.purge()
            except RemitError as exc:
                log.warning("retention purge failed (tried again on a later sweep): %s", exc)

        self._purger = threading.Thread(target=run, name="remit-purge", daemon=True)
        self._purger.start()

    def publish_counts(self, day: date) -> int:
        """Hand one completed day's removals and refusals, by order and place, to ``on_counts``."""
        if self.on_counts is None:
            return 0
        start = datetime.combine(day, time.min, tzinfo=UTC)
        commands = self.store.commands_between(start, start + timedelta(days=1), [REMOVE, REFUSED])
        counts = daily_counts(commands)
        for order_id, by_place in sorted(counts.items()):
            self.on_counts(order_id, day, by_place)
        return len(counts)

    # Delivery --------------------------------------------------------------------------------
    def start(self) -> None:
        """Catch up on every order in force, then deliver (and purge) in the background."""
        try:
            self._reactivate()
        except RemitError as exc:
            log.warning("first sweep failed: %s", exc)
        self._thread = threading.Thread(target=self._run, name="remit-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering (pending commands stay in the outbox for the next start), after
        committing the roster writes waiting."""
        self.roster.close()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._purger is not None:
            self._purger.join(timeout=10)  # a batch ends soon; what is left waits for a restart
        self._pool.shutdown(wait=True, cancel_futures=True)
        for connector in self.connectors.values():
            connector.close()

    def _run(self) -> None:
        last_sweep = self.clock()
        while not self._stop.is_set():
            try:
                delivered = self.deliver_due()
                now = self.clock()
                if (now - last_sweep).total_seconds() >= self.policy.sweep_s:
                    self._reactivate()
                    self._purge_in_background()
                    last_sweep = now
            except RemitError as exc:
                log.warning("outbox: %s", exc)
                delivered = 0
            if not delivered:
                self._wake.wait(0.2)
                self._wake.clear()

    def deliver_due(self) -> int:
        """Attempt every due command once (in parallel); returns how many were attempted.

        Outcomes are recorded as they come, with group commit: each transaction records every
        outcome that arrived while the one before was being written. One at a time when
        deliveries are few, many at once when they are many, so the outbox's write lock (one
        writer at a time on SQLite) never makes the delivery workers queue.
        """
        due = self.store.due_commands(self.clock(), self.policy.batch)
        outcomes: queue.SimpleQueue[Attempt | BaseException] = queue.SimpleQueue()

        def attempt(command: Command) -> None:
            try:
                outcomes.put(self._attempt(command))
            except BaseException as exc:  # reported to the caller, after what came before
                outcomes.put(exc)
                raise

        for command in due:
            self._pool.submit(attempt, command)
        left = len(due)
        while left:
            try:
                arrived = [outcomes.get(timeout=1.0)]
            except queue.Empty:
                if self._stop.is_set():
                    break  # stopping: what is unrecorded comes due again when its claim ends
                continue
            while True:
                try:
                    arrived.append(outcomes.get_nowait())
                except queue.Empty:
                    break
            left -= len(arrived)
            self.store.record_attempts([a for a in arrived if isinstance(a, Attempt)])
            for failure in arrived:
                if isinstance(failure, BaseException):
                    raise failure
        return len(due)

    def _platform(self, name: str) -> Platform:
        # Read again every few seconds: a rotated secret reaches every node's deliveries.
        cached = self._platforms.get(name)
        now = monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        platform = self.store.get_platform(name)
        self._platforms[name] = (platform, now + PLATFORM_REFRESH_S)
        return platform

    def _attempt(self, command: Command) -> Attempt:
        now = self.clock()
        try:
            platform = self._platform(command.platform)
            connector = self.connectors.get(platform.connector)
            if connector is None:
                raise DeliveryError(f"no connector named {platform.connector!r} is installed")
            connector.deliver(platform, command)
        except (DeliveryError, NotFound) as exc:
            return self._retry_or_fail(command, now, redact_urls(str(exc)))
        except Exception as exc:  # a connector's bug must not stop the outbox
            # Its message may hold a platform's URL: the log and last_error show it redacted,
            # the traceback (with whatever the connector put in it) only at debug level.
            error = redact_urls(f"connector error: {exc!r}")
            log.error("connector failed on %s: %s", command.key, error)
            log.debug("connector failed on %s", command.key, exc_info=True)
            return self._retry_or_fail(command, now, error)
        return Attempt(command.key, CommandStatus.DELIVERED, now)

    def _retry_or_fail(self, command: Command, now: datetime, error: str) -> Attempt:
        attempts = command.attempts + 1
        delay = min(self.policy.backoff_base_s * 2 ** (attempts - 1), self.policy.backoff_max_s)
        retry_at = now + timedelta(seconds=delay * random.uniform(0.8, 1.2))
        if retry_at >= command.deadline:
            log.error("command %s failed for good: %s", command.key, error)
            return Attempt(command.key, CommandStatus.FAILED, now, error=error)
        return Attempt(
            command.key, CommandStatus.PENDING, now, next_attempt_at=retry_at, error=error
        )
