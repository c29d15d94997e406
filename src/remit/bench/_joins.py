"""``remit bench joins``: the live roster's writes on a real ``remit serve``, beside admissions.

One server, one database, one run: ``POST /v1/admissions`` first (it writes nothing), then the
roster's mixed workload (joins, leaves and moves, by default 1 : 0.9 : 0.05), each for the same
time on the same connections with the same load generator. Then the server is killed (SIGKILL:
no chance to write anything more) and the database is read: every join answered 201 must be on
the roster, and every leave answered ``left`` must have ended its session; what is not is
``lost``. On PostgreSQL the run has a schema of its own, dropped after.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from remit.bench._admissions import _free_port, _wait
from remit.bench._decide import machine
from remit.bench._load import _asyncio_load
from remit.bench._mixed import MixedResult, pattern, run_mixed
from remit.bench._workload import make_addresses, make_domain_orders, make_resources
from remit.enforcement import EnforcementStore, SessionStatus


@dataclass(frozen=True)
class JoinsResult:
    """The figures of one run."""

    database: str
    orders: int
    connections: int
    seconds: float
    mix: str
    joins_rps: float
    joins_p99_ms: float
    admissions_rps: float
    admissions_p99_ms: float
    ratio: float
    p99_ms: float
    joins: int
    leaves: int
    moves: int
    refused: int
    lost: int
    errors: int
    tool: str
    machine: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        return asdict(self)


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    """The URL the run uses: a new SQLite file, or a schema of its own on PostgreSQL."""
    from sqlalchemy import create_engine, text

    from remit.store._sql_engine import parse_url

    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    parsed = parse_url(url)  # a URL remit cannot use: InvalidConfiguration, before anything
    if parsed.get_backend_name() == "sqlite":
        yield url
        return
    schema = f"remit_bench_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        inside = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
        yield inside.render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            db.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run_joins(
    db_url: str | None = None,
    orders: int = 1000,
    seconds: float = 10.0,
    connections: int = 16,
    mix: tuple[float, float, float] = (1.0, 0.9, 0.05),
    meetings: int = 2000,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> JoinsResult:
    """Start ``remit serve`` on ``db_url`` (by default a new SQLite file) with ``orders`` active
    orders; load admissions, then the roster's mix, then check what was acknowledged."""
    from remit.api import create_user
    from remit.store import open_enforcement_store, open_store, upgrade

    rng = random.Random(seed)
    addresses = make_addresses(2000, rng)
    resources = make_resources(2000, orders, rng, live=meetings)
    admissions = [
        json.dumps(
            {
                "resource": {"type": r.type, "id": r.id, "host": r.host},
                "participant": {"id": f"p{n}", "ip": ip},
            }
        ).encode()
        for n, (ip, r) in enumerate(zip(addresses, resources, strict=True))
    ]
    joins = []
    for ip, r in zip(addresses, resources, strict=True):
        resource = json.dumps({"type": r.type, "id": r.id, "host": r.host})
        joins.append(
            (f'{{"resource":{resource},"participant":{{"ip":"{ip}","id":"'.encode(), b'"}}')
        )
    with tempfile.TemporaryDirectory() as tmp, _database(db_url) as url:
        upgrade(url)
        store = open_store(url)
        store.add_orders(make_domain_orders(orders, rng))
        token = create_user(store, "bench-platform", ["platform"], now=datetime.now(UTC))
        store.close()
        began = datetime.now(UTC) - timedelta(seconds=1)
        port = _free_port()
        command = [sys.executable, "-m", "remit", "serve", "--port", str(port), "--db", url]
        command += ["--log-key", str(Path(tmp) / "remit-log.key"), "--no-console"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(port, server, lambda r: r.json().get("orders_in_force") == orders)
            head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            warm = min(2.0, seconds)
            asyncio.run(_asyncio_load(port, "/v1/admissions", admissions, head, warm, connections))
            admitted = asyncio.run(
                _asyncio_load(port, "/v1/admissions", admissions, head, seconds, connections)
            )
            progress(
                f"admissions: {admitted.requests_per_s:,.0f} req/s, p99 {admitted.p99_ms:.2f} ms"
            )
            kinds = pattern(*mix)
            mixed = asyncio.run(
                run_mixed(port, token, joins, addresses, kinds, seconds, connections)
            )
            progress(
                f"joins, leaves, moves: {mixed.requests_per_s:,.0f} req/s, "
                f"p99 {mixed.p99_ms:.2f} ms ({len(mixed.joined):,} joins acknowledged)"
            )
        finally:
            server.kill()  # no orderly stop: what was acknowledged must be in the database
            server.wait()
        roster = open_enforcement_store(url)
        try:
            lost = _lost(roster, mixed, {r.id for r in resources}, began)
        finally:
            roster.close()
        progress(f"checked the roster: {lost} acknowledged writes missing")
    database = "sqlite" if db_url is None or db_url.startswith("sqlite") else "postgresql"
    return JoinsResult(
        database=database,
        orders=orders,
        connections=connections,
        seconds=seconds,
        mix=":".join(f"{x:g}" for x in mix),
        joins_rps=round(mixed.requests_per_s),
        joins_p99_ms=round(mixed.p99_ms, 3),
        admissions_rps=round(admitted.requests_per_s),
        admissions_p99_ms=round(admitted.p99_ms, 3),
        ratio=round(mixed.requests_per_s / admitted.requests_per_s, 3),
        p99_ms=round(mixed.p99_ms, 3),
        joins=len(mixed.joined),
        leaves=len(mixed.left),
        moves=mixed.moves,
        refused=mixed.refused,
        lost=lost,
        errors=mixed.errors + admitted.errors,
        tool=admitted.tool,
        machine=machine(),
    )


def _lost(roster: EnforcementStore, mixed: MixedResult, meetings: set[str], since: datetime) -> int:
    """Acknowledged joins not on the roster (live, or left and counted), and acknowledged leaves
    whose session is live or was not counted: a session that left keeps no row, only a count."""
    stored = {s.id: s.status for s in roster.sessions_of(sorted(meetings), [], since)}
    left = set(mixed.left)
    missing = sum(1 for sid in mixed.joined if sid not in stored and sid not in left)
    live = sum(1 for sid in left if stored.get(sid) is SessionStatus.LIVE)
    counted = sum(a.count for a in roster.attendance_of(sorted(meetings), [], since))
    uncounted = max(
        0, sum(1 for sid in left if stored.get(sid) is not SessionStatus.LIVE) - counted
    )
    return missing + live + uncounted
