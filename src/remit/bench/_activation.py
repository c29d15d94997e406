"""``remit bench activation``: one order over a large live roster, and the webhook deliverer.

Two figures, both on SQLite (the embedded default) in a temporary folder:

1. **Activation.** The roster holds ``sessions`` live sessions in ``meetings`` meetings (ten
   meetings per host); ``in_scope`` of them are located in mainland China, the rest elsewhere
   (Hong Kong, Taiwan, Macao, the US, Europe, …, some unknown). One order of a mainland
   authority names every host. Measured: :meth:`Enforcer.activate` from the order taking effect
   to every removal (and host notice) committed to the outbox, with where the time goes: reading
   the roster, deciding who must go, building the commands and their notices, enqueueing.
2. **Delivery.** The outbox then holds a removal per in-scope session. A bare Starlette endpoint
   in a subprocess takes the webhooks (answering 204, without checking signatures: remit still
   signs every one), and :meth:`Enforcer.deliver_due` runs in a loop with the default worker
   pool for ``delivery_seconds``; the figure is deliveries per second, each one signed, POSTed
   and recorded as delivered in the outbox.
"""

from __future__ import annotations

import gc
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx

from remit.bench._admissions import _free_port, _stop
from remit.bench._decide import machine
from remit.connectors import load_connectors
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import (
    Command,
    EnforcementStore,
    Enforcer,
    Platform,
    Policy,
    Session,
    must_go,
    plan,
)
from remit.enforcement._activation import Delivery
from remit.location import UNKNOWN, Location
from remit.orders import (
    Authority,
    AuthorityKind,
    Order,
    OrderType,
    Request,
    RequestedAction,
    approve,
    record,
    to_active,
)
from remit.policy import Resource, Target
from remit.store import SqlEnforcementStore, open_enforcement_store, upgrade

PLATFORM = "bench-platform"
MEETINGS_PER_HOST = 10
#: Where the sessions outside the scope are, with weights; None is a location no source knew.
ELSEWHERE: list[tuple[str | None, str | None, int]] = [
    ("HK", "zh-HK", 20), ("TW", "zh-TW", 15), ("MO", "zh-MO", 3), ("US", "en", 25),
    ("CA", "en-CA", 6), ("GB", "en-GB", 8), ("DE", "de", 6), ("JP", "ja", 5), ("AU", "en-AU", 4),
    ("FR", "fr", 4), (None, None, 4),
]  # fmt: skip
#: Inside the scope: mainland China, some placed to a province, in Chinese or English.
INSIDE: list[tuple[str | None, str | None, int]] = [
    ("CN", "zh-CN", 70), ("CN-BJ", "zh-CN", 10), ("CN-SH", "zh-Hans", 10), ("CN", "en", 5),
    ("CN-GD", None, 5),
]  # fmt: skip


@dataclass(frozen=True)
class ActivationResult:
    """The figures of one run."""

    sessions: int
    meetings: int
    in_scope: int
    load_s: float
    activation_s: float
    read_s: float
    plan_s: float
    decide_s: float
    enqueue_s: float
    removals: int
    host_notices: int
    deliveries: int
    delivery_s: float
    deliveries_per_s: float
    delivery_errors: int
    receiver_took: int
    database: str
    machine: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        return asdict(self)


class _Timed:
    """The store, with the time spent reading the roster and enqueueing measured."""

    def __init__(self, store: EnforcementStore) -> None:
        self.store = store
        self.read_s = 0.0
        self.enqueue_s = 0.0
        self.read: list[Session] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def live_sessions(self, **kwargs: Any) -> list[Session]:
        started = time.perf_counter()
        self.read = self.store.live_sessions(**kwargs)
        self.read_s += time.perf_counter() - started
        return self.read

    def enqueue(self, commands: Sequence[Command]) -> int:
        started = time.perf_counter()
        new = self.store.enqueue(commands)
        self.enqueue_s += time.perf_counter() - started
        return new


def _pick(rng: random.Random, table: list[tuple[str | None, str | None, int]]) -> Any:
    return rng.choices(table, weights=[w for *_, w in table])[0]


def _location(place: str | None) -> Location:
    if place is None:
        return UNKNOWN
    if "-" in place:
        return Location(place[:2], place, "maxmind")
    return Location(place, None, "iptocc")


def make_roster(
    sessions: int, meetings: int, in_scope: int, rng: random.Random, now: datetime
) -> list[Session]:
    """``sessions`` live sessions spread evenly over ``meetings``; ``in_scope`` of them in CN."""
    inside = set(rng.sample(range(sessions), in_scope))
    resources = [
        Resource("meeting", f"meeting-{m}", f"host-{m // MEETINGS_PER_HOST}")
        for m in range(meetings)
    ]
    locations: dict[str | None, Location] = {}
    roster = []
    for n in range(sessions):
        place, language, _ = _pick(rng, INSIDE if n in inside else ELSEWHERE)
        location = locations.get(place)
        if location is None:
            location = locations[place] = _location(place)
        roster.append(
            Session(
                id=f"ses-{n:08d}",
                platform=PLATFORM,
                resource=resources[n % meetings],
                participant=f"participant-{n}",
                location=location,
                joined_at=now - timedelta(seconds=n % 3600),
                language=language,
            )
        )
    return roster


def make_order(meetings: int, now: datetime) -> Order:
    """The demand of the story over every host: approved, in force, enforced in CN."""
    hosts = (meetings + MEETINGS_PER_HOST - 1) // MEETINGS_PER_HOST
    recorded = record(
        id="ord-bench-activation",
        type=OrderType.GOVERNMENT_REQUEST,
        authority=Authority("Ministry of Public Security", AuthorityKind.MINISTRY, "CN"),
        legal_basis="Cybersecurity Law of the People's Republic of China, art. 12",
        case_id="BENCH-0604",
        received_at=now,
        request=Request(
            "Delete the meetings and the accounts hosting them.",
            (RequestedAction.DELETE_MEETING, RequestedAction.DELETE_ACCOUNT),
            ("*",),
        ),
        targets=[Target("host", f"host-{h}") for h in range(hosts)],
        actor="bench-intake",
        now=now,
    )
    return approve(recorded, actor="bench-reviewer", now=now, justification="benchmark")


def run_activation(
    sessions: int = 1_000_000,
    meetings: int = 10_000,
    in_scope: int = 100_000,
    delivery_seconds: float = 10.0,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> ActivationResult:
    """Load the roster, activate one order over it, then deliver its commands for a while."""
    if not 0 <= in_scope <= sessions or meetings < 1:
        raise ValueError("need 0 <= in_scope <= sessions and at least one meeting")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="remit-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        store = open_enforcement_store(url)
        receiver = None
        try:
            port = _free_port()
            store.add_platform(
                Platform(
                    PLATFORM,
                    "webhook",
                    WebhookConnector.settings(f"http://127.0.0.1:{port}/webhooks", new_secret()),
                    now,
                )
            )
            load_s = _load(store, sessions, meetings, in_scope, rng, now, progress)
            order = make_order(meetings, now)
            activation = _activate(store, order, progress)
            receiver = subprocess.Popen(
                [sys.executable, "-m", "remit.bench._receiver", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            delivery = _deliver(store, port, receiver, delivery_seconds, progress)
        finally:
            if receiver is not None:
                _stop(receiver)
            store.close()
    return ActivationResult(
        sessions=sessions,
        meetings=meetings,
        in_scope=in_scope,
        load_s=round(load_s, 3),
        **activation,
        **delivery,
        database="SQLite (WAL), temporary file",
        machine=machine(),
    )


def _load(
    store: SqlEnforcementStore,
    sessions: int,
    meetings: int,
    in_scope: int,
    rng: random.Random,
    now: datetime,
    progress: Callable[[str], None],
) -> float:
    roster = make_roster(sessions, meetings, in_scope, rng, now)
    started = time.perf_counter()
    chunk = 100_000
    for start in range(0, len(roster), chunk):
        store.add_sessions(roster[start : start + chunk])
    took = time.perf_counter() - started
    progress(
        f"loaded {sessions:,} live sessions in {meetings:,} meetings with add_sessions in "
        f"{took:.1f} s ({sessions / max(took, 1e-9):,.0f}/s)"
    )
    del roster
    gc.collect()
    return took


def _activate(
    store: SqlEnforcementStore, order: Order, progress: Callable[[str], None]
) -> dict[str, Any]:
    timed = _Timed(store)
    enforcer = Enforcer(
        cast(EnforcementStore, timed),
        {},
        clock=lambda: datetime.now(UTC),
        active_orders=lambda: [order],
    )
    try:
        gc.collect()
        started = time.perf_counter()
        new = enforcer.activate(order)  # what an order taking effect runs
        activation_s = time.perf_counter() - started
    finally:
        enforcer.stop()
    # The pure middle again, on the sessions that were read, to split deciding from building.
    active = to_active(order)
    started = time.perf_counter()
    removed = must_go(active, timed.read)
    decide_s = time.perf_counter() - started
    delivery = Delivery(datetime.now(UTC), Policy().ttl, Policy().appeal_url)
    commands = plan(order, active, timed.read, delivery)
    host_notices = len(commands) - len(removed)
    if new != len(commands):
        raise RuntimeError(f"activation enqueued {new} commands; the plan has {len(commands)}")
    plan_s = activation_s - timed.read_s - timed.enqueue_s
    progress(
        f"activation: {activation_s:.2f} s for {len(removed):,} removals and {host_notices:,} "
        f"host notices (reading the roster {timed.read_s:.2f} s, planning {plan_s:.2f} s of "
        f"which deciding {decide_s:.2f} s, enqueueing {timed.enqueue_s:.2f} s)"
    )
    return {
        "activation_s": round(activation_s, 3),
        "read_s": round(timed.read_s, 3),
        "plan_s": round(plan_s, 3),
        "decide_s": round(decide_s, 3),
        "enqueue_s": round(timed.enqueue_s, 3),
        "removals": len(removed),
        "host_notices": host_notices,
    }


def _wait_receiver(port: int, receiver: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if receiver.poll() is not None:
            raise RuntimeError(f"the receiver exited with {receiver.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/count", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the receiver did not start within 60 s")


def _deliver(
    store: SqlEnforcementStore,
    port: int,
    receiver: subprocess.Popen[bytes],
    seconds: float,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    _wait_receiver(port, receiver)
    enforcer = Enforcer(
        store,
        load_connectors(),
        clock=lambda: datetime.now(UTC),
        active_orders=lambda: [],
    )
    attempted = 0
    try:
        started = time.perf_counter()  # from cold: connections are opened in the first round
        while time.perf_counter() - started < seconds:
            done = enforcer.deliver_due()
            if not done:
                break
            attempted += done
        delivery_s = time.perf_counter() - started
    finally:
        enforcer.stop()
    took = int(httpx.get(f"http://127.0.0.1:{port}/count", timeout=5).text)
    pending = store.due_commands(datetime.now(UTC) + timedelta(days=1), 1_000_000)
    errors = sum(1 for c in pending if c.attempts > 0)
    rate = attempted / delivery_s if delivery_s > 0 else 0.0
    progress(
        f"delivery: {attempted:,} webhooks in {delivery_s:.2f} s = {rate:,.0f}/s "
        f"({errors} failed attempts; the receiver took {took:,} in all)"
    )
    return {
        "deliveries": attempted,
        "delivery_s": round(delivery_s, 3),
        "deliveries_per_s": round(rate),
        "delivery_errors": errors,
        "receiver_took": took,
    }
