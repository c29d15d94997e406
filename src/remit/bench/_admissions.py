"""``remit bench admissions``: /v1/admissions of a real ``remit serve`` against a bare endpoint."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from remit.bench._decide import machine
from remit.bench._load import LoadResult, run_load
from remit.bench._workload import make_addresses, make_domain_orders, make_resources


@dataclass(frozen=True)
class AdmissionsResult:
    """The figures of one run."""

    orders: int
    connections: int
    seconds: float
    admissions_rps: float
    admissions_p99_ms: float
    floor_rps: float
    floor_p99_ms: float
    ratio: float
    p99_ms: float
    errors: int
    tool: str
    machine: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        return asdict(self)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(
    port: int, process: subprocess.Popen[bytes], ready: Callable[[httpx.Response], bool]
) -> None:
    deadline = time.monotonic() + 300  # a first start logs every imported order
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if ready(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready within 300 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_admissions(
    orders: int = 100_000,
    seconds: float = 10.0,
    connections: int = 16,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> AdmissionsResult:
    """Start ``remit serve`` with ``orders`` active orders and load it, then the floor."""
    from remit.api import create_user
    from remit.store import open_store, upgrade

    rng = random.Random(seed)
    bodies = [
        json.dumps(
            {
                "resource": {"type": r.type, "id": r.id, "host": r.host},
                "participant": {"id": f"p{n}", "ip": ip},
            }
        ).encode()
        for n, (ip, r) in enumerate(
            zip(make_addresses(2000, rng), make_resources(2000, orders, rng), strict=True)
        )
    ]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        store = open_store(url)
        started = time.perf_counter()
        store.add_orders(make_domain_orders(orders, rng))
        token = create_user(store, "bench-platform", ["platform"], now=datetime.now(UTC))
        store.close()
        progress(f"stored {orders:,} active orders in {time.perf_counter() - started:.1f} s")

        port = _free_port()
        command = [sys.executable, "-m", "remit", "serve", "--port", str(port), "--db", url]
        command += ["--log-key", str(Path(tmp) / "remit-log.key")]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(port, server, lambda r: r.json().get("orders_in_force") == orders)
            remit = _measure(port, bodies, token, seconds, connections, progress, "remit serve")
        finally:
            _stop(server)

    port = _free_port()
    floor_server = subprocess.Popen(
        [sys.executable, "-m", "remit.bench._floor", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port, floor_server, lambda r: r.status_code == 404)
        floor = _measure(port, bodies, token, seconds, connections, progress, "bare Starlette")
    finally:
        _stop(floor_server)

    return AdmissionsResult(
        orders=orders,
        connections=connections,
        seconds=seconds,
        admissions_rps=round(remit.requests_per_s),
        admissions_p99_ms=round(remit.p99_ms, 3),
        floor_rps=round(floor.requests_per_s),
        floor_p99_ms=round(floor.p99_ms, 3),
        ratio=round(remit.requests_per_s / floor.requests_per_s, 3),
        p99_ms=round(remit.p99_ms, 3),
        errors=remit.errors,
        tool=remit.tool,
        machine=machine(),
    )


def _measure(
    port: int,
    bodies: list[bytes],
    token: str,
    seconds: float,
    connections: int,
    progress: Callable[[str], None],
    label: str,
) -> LoadResult:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    run_load(port, "/v1/admissions", bodies, headers, min(2.0, seconds), connections)  # warm up
    result = run_load(port, "/v1/admissions", bodies, headers, seconds, connections)
    progress(
        f"{label}: {result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.2f} ms ({result.tool})"
    )
    return result
