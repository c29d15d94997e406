"""``remit bench start``: how soon a real ``remit serve`` decides over many orders in force.

The database (a new SQLite file, or a schema of its own on PostgreSQL, dropped after) is filled
with ``orders`` approved, active orders first, untimed. Then ``remit serve`` is started as a
subprocess, and the clock runs from the moment the process is created to the first ``/healthz``
answering ``ok`` with every order in force; an admission one order covers must then be refused
(a node that answered ok with an index it had not loaded would let it in). The server is stopped
(by its pid, as an operator would: SIGTERM) once its transparency log holds every order's entries,
and started again on the same database: the restart is timed the same way. The log's catch-up
happens after the node serves, and is timed separately (``log_first_s``, ``log_restart_s``).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from remit.bench._admissions import _free_port, _stop
from remit.bench._decide import machine
from remit.bench._joins import _database
from remit.bench._workload import make_domain_orders
from remit.orders import Order
from remit.policy import HOST

#: A German number: the participant is placed in Germany by its phone, whatever its address.
PHONE_IN_GERMANY = "+493012345678"
#: How long a start may take before the run gives up.
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class StartResult:
    """The figures of one run."""

    orders: int
    db: str
    first_s: float
    restart_s: float
    log_first_s: float
    log_restart_s: float
    fill_s: float
    machine: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        return asdict(self)


@dataclass(frozen=True)
class _Start:
    serving_s: float  # process created to /healthz ok with every order in force
    log_s: float  # process created to the log holding every order's entries


def run_start(
    db_url: str | None = None,
    orders: int = 100_000,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> StartResult:
    """Fill a new database with ``orders`` active orders, then time a first start and a restart
    of ``remit serve`` on it."""
    from remit.api import create_user
    from remit.store import open_store, upgrade

    with tempfile.TemporaryDirectory() as tmp, _database(db_url) as url:
        began = time.perf_counter()
        upgrade(url)
        made = make_domain_orders(orders, random.Random(seed))
        store = open_store(url)
        try:
            store.add_orders(made)
            token = create_user(store, "bench-platform", ["platform"], now=datetime.now(UTC))
        finally:
            store.close()
        fill_s = time.perf_counter() - began
        progress(f"stored {orders:,} active orders in {fill_s:.1f} s")
        admission = _refused_admission(made)
        entries = sum(len(o.transitions) for o in made)
        command = [sys.executable, "-m", "remit", "serve", "--db", url, "--no-console"]
        command += ["--log-key", str(Path(tmp) / "remit-log.key")]
        err = Path(tmp) / "serve.err"
        first = _start(command, err, orders, entries, token, admission)
        progress(f"first start: serving in {first.serving_s:.2f} s, log at {first.log_s:.2f} s")
        again = _start(command, err, orders, entries, token, admission)
        progress(f"restart: serving in {again.serving_s:.2f} s, log at {again.log_s:.2f} s")
    database = "sqlite" if db_url is None or db_url.startswith("sqlite") else "postgresql"
    return StartResult(
        orders=orders,
        db=database,
        first_s=round(first.serving_s, 3),
        restart_s=round(again.serving_s, 3),
        log_first_s=round(first.log_s, 3),
        log_restart_s=round(again.log_s, 3),
        fill_s=round(fill_s, 1),
        machine=machine(),
    )


def _refused_admission(made: list[Order]) -> dict[str, object] | None:
    """A join one of the orders refuses (a German order over Germany), or None if none does."""
    for order in made:
        if order.authority.jurisdiction == "DE" and order.scope == ("DE",):
            target = order.targets[0]
            resource = (
                {"type": "meeting", "id": f"bench-{target.id}", "host": target.id}
                if target.type == HOST
                else {"type": target.type, "id": target.id}
            )
            return {"resource": resource, "participant": {"id": "p1", "phone": PHONE_IN_GERMANY}}
    return None


def _start(
    command: list[str],
    err: Path,
    orders: int,
    entries: int,
    token: str,
    admission: dict[str, object] | None,
) -> _Start:
    port = _free_port()
    with err.open("wb") as errors:  # a file, not a pipe: a full pipe would stall the server
        started = time.perf_counter()
        server = subprocess.Popen(
            [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=errors
        )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as http:
            while True:
                if time.perf_counter() - started > TIMEOUT_S:
                    raise RuntimeError(f"the server did not serve within {TIMEOUT_S:g} s")
                if server.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with {server.returncode}: {_last_line(err)}"
                    )
                try:
                    health = http.get("/healthz")
                except httpx.TransportError:
                    health = None
                if health is not None and health.status_code == 200:
                    body = health.json()
                    if body["status"] == "ok" and body["orders_in_force"] == orders:
                        break
                time.sleep(0.02)
            serving_s = time.perf_counter() - started
            if admission is not None:
                head = {"Authorization": f"Bearer {token}"}
                decided = http.post("/v1/admissions", json=admission, headers=head).json()
                if decided.get("decision") != "deny":
                    raise RuntimeError(f"an admission an order covers was not refused: {decided}")
            while _log_size(http) < entries:  # the checkpoint waits for a catch-up under way
                if time.perf_counter() - started > TIMEOUT_S:
                    raise RuntimeError(f"the log did not catch up within {TIMEOUT_S:g} s")
                time.sleep(0.1)
            log_s = time.perf_counter() - started
    finally:
        _stop(server)
    return _Start(serving_s, log_s)


def _log_size(http: httpx.Client) -> int:
    answer = http.get("/v1/log/checkpoint", timeout=TIMEOUT_S)
    answer.raise_for_status()
    return int(answer.text.splitlines()[1])


def _last_line(err: Path) -> str:
    lines = [line for line in err.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(nothing on standard error)"
