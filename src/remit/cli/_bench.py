"""``remit bench …``: benchmarks that measure the figures the README quotes.

Why one module of some 410 lines: it is the one command group ``remit bench``, each command a
thin shell (options, one call into :mod:`remit.bench`, the figures printed) sharing the same
options; splitting it would scatter one group's help over several files.
"""

from __future__ import annotations

import json
from typing import Any

import click

from remit.bench import (
    LocateResult,
    run_activation,
    run_admissions,
    run_decide,
    run_joins,
    run_locate,
    run_start,
)
from remit.bench._locate import JURISDICTIONS
from remit.cli._options import build_locator, location_options

#: Options several measures share, with the same meaning and help.
_json = click.option(
    "--json", "as_json", is_flag=True, help="End with one JSON object of the figures."
)
_connections = click.option(
    "--connections",
    type=click.IntRange(1, 1024),
    default=16,
    show_default=True,
    help="Concurrent keep-alive connections.",
)

_db = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database to run on (PostgreSQL: in a schema of its own, dropped after); by default "
    "a new SQLite file.",
)


@click.group()
def bench() -> None:
    """Measure remit's speed on this machine (benchmarks, not tests)."""


@bench.command()
@click.option(
    "--orders",
    type=click.IntRange(0, 10_000_000),
    default=100_000,
    show_default=True,
    help="Active orders to compile (mixed meeting and host targets, many jurisdictions).",
)
@click.option(
    "--decisions",
    type=click.IntRange(1, 50_000_000),
    default=400_000,
    show_default=True,
    help="Joins to decide, each over a different IPv4 or IPv6 address.",
)
@click.option(
    "--cedar-seconds",
    type=click.FloatRange(0.0, 600.0),
    default=5.0,
    show_default=True,
    help="Time given to the same rules in Cedar (cedarpy); 0 measures a single decision.",
)
@_json
def decide(orders: int, decisions: int, cedar_seconds: float, as_json: bool) -> None:
    """Measure decide() with IP location in-process, and the same rules in Cedar.

    Prints decisions per second, p50/p99 latency and compile time. With --json the last line
    is one JSON object with decisions_per_s, p50_us, p99_us, compile_s and
    cedar_decisions_per_s.
    """
    result = run_decide(
        orders=orders,
        decisions=decisions,
        cedar_seconds=cedar_seconds,
        progress=lambda line: click.echo(line, err=True),
    )
    click.echo(f"machine           {result.machine}")
    click.echo(f"orders            {result.orders:,} (index compiled in {result.compile_s:.3f} s)")
    click.echo(f"decisions         {result.decisions:,} ({result.deny_share:.1%} denied)")
    click.echo(f"decisions/s       {result.decisions_per_s:,.0f}")
    click.echo(f"latency p50/p99   {result.p50_us:.2f} us / {result.p99_us:.2f} us")
    cedar = result.cedar_decisions_per_s
    click.echo(
        f"Cedar decisions/s {'n/a' if cedar is None else f'{cedar:,.2f}'} ({result.cedar_note})"
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))


@bench.command()
@click.option(
    "--orders",
    type=click.IntRange(0, 10_000_000),
    default=100_000,
    show_default=True,
    help="Active orders the server holds.",
)
@click.option(
    "--seconds",
    type=click.FloatRange(1.0, 600.0),
    default=10.0,
    show_default=True,
    help="Length of each measured run.",
)
@_connections
@_json
def admissions(orders: int, seconds: float, connections: int, as_json: bool) -> None:
    """Measure POST /v1/admissions on a real remit serve, and a bare endpoint under the same load.

    Starts remit serve on a temporary SQLite database holding the active orders, loads it with
    wrk when installed (else a built-in asyncio load generator), then does the same to a bare
    Starlette endpoint returning the same JSON. With --json the last line is one JSON object
    with admissions_rps, floor_rps and p99_ms.
    """
    result = run_admissions(
        orders=orders,
        seconds=seconds,
        connections=connections,
        progress=lambda line: click.echo(line, err=True),
    )
    click.echo(f"machine            {result.machine}")
    click.echo(f"load               {result.tool}, {connections} connections, {seconds:g} s")
    click.echo(f"admissions         {result.admissions_rps:,.0f} req/s, p99 {result.p99_ms:.2f} ms")
    click.echo(
        f"bare endpoint      {result.floor_rps:,.0f} req/s, p99 {result.floor_p99_ms:.2f} ms"
    )
    click.echo(f"admissions / floor {result.ratio:.0%}")
    if result.errors:
        click.echo(f"non-2xx answers    {result.errors}")
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))


@bench.command()
@_db
@click.option(
    "--orders",
    type=click.IntRange(0, 10_000_000),
    default=1000,
    show_default=True,
    help="Active orders the server holds (some joins are refused by them).",
)
@click.option(
    "--seconds",
    type=click.FloatRange(0.5, 600.0),
    default=10.0,
    show_default=True,
    help="Length of each measured run (admissions, then the roster's mix).",
)
@_connections
@_json
def joins(db_url: str | None, orders: int, seconds: float, connections: int, as_json: bool) -> None:
    """Measure the live roster's writes on a real remit serve, beside POST /v1/admissions.

    Starts remit serve, loads POST /v1/admissions, then the same connections with joins, leaves
    and moves (1 : 0.9 : 0.05: POST, DELETE and PATCH /v1/sessions), each joining a new
    participant in one of 2,000 meetings. Then it kills the server and checks that every join
    answered 201 is on the roster and every leave answered 'left' ended its session (lost:
    those that are not). With --json the last line is one JSON object with joins_rps,
    admissions_rps, ratio, p99_ms and lost.
    """
    result = run_joins(
        db_url,
        orders=orders,
        seconds=seconds,
        connections=connections,
        progress=lambda line: click.echo(line, err=True),
    )
    click.echo(f"machine            {result.machine}")
    click.echo(f"database           {result.database}, {result.orders:,} orders in force")
    click.echo(f"load               {result.tool}, {connections} connections, {seconds:g} s each")
    click.echo(
        f"admissions         {result.admissions_rps:,.0f} req/s, "
        f"p99 {result.admissions_p99_ms:.2f} ms"
    )
    click.echo(
        f"joins:leaves:moves {result.joins_rps:,.0f} req/s, p99 {result.p99_ms:.2f} ms "
        f"({result.mix})"
    )
    click.echo(f"roster / admissions {result.ratio:.0%}")
    click.echo(
        f"acknowledged       {result.joins:,} joins, {result.leaves:,} leaves, "
        f"{result.moves:,} moves ({result.refused:,} joins refused); lost {result.lost}"
    )
    if result.errors:
        click.echo(f"unexpected answers {result.errors}")
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))


@bench.command()
@click.option(
    "--sessions",
    type=click.IntRange(1, 50_000_000),
    default=1_000_000,
    show_default=True,
    help="Live sessions on the roster.",
)
@click.option(
    "--meetings",
    type=click.IntRange(1, 5_000_000),
    default=10_000,
    show_default=True,
    help="Meetings the sessions are spread over (ten per host; the order names every host).",
)
@click.option(
    "--in-scope",
    type=click.IntRange(0, 50_000_000),
    default=100_000,
    show_default=True,
    help="Sessions located inside the order's scope (mainland China): the removals.",
)
@click.option(
    "--delivery-seconds",
    type=click.FloatRange(0.0, 600.0),
    default=10.0,
    show_default=True,
    help="How long to run the webhook deliverer for the deliveries-per-second figure.",
)
@_json
def activation(
    sessions: int, meetings: int, in_scope: int, delivery_seconds: float, as_json: bool
) -> None:
    """Measure one order taking effect over a large live roster, and the webhook deliverer.

    On SQLite (the embedded default) in a temporary folder: loads the roster in bulk, then times
    an order of a mainland authority naming every host, from taking effect to every removal
    committed to the outbox (reading the roster, deciding, building notices, enqueueing). Then
    delivers the removals to a bare local endpoint in a subprocess that answers 204 without
    checking signatures (remit still signs each one) with the default worker pool. With --json
    the last line is one JSON object with activation_s, removals, sessions, deliveries_per_s and
    the rest of the figures.
    """
    if in_scope > sessions:
        raise click.BadParameter("cannot exceed --sessions", param_hint="--in-scope")
    result = run_activation(
        sessions=sessions,
        meetings=meetings,
        in_scope=in_scope,
        delivery_seconds=delivery_seconds,
        progress=lambda line: click.echo(line, err=True),
    )
    click.echo(f"machine           {result.machine}")
    click.echo(f"database          {result.database}")
    click.echo(
        f"roster            {result.sessions:,} live sessions in {result.meetings:,} meetings, "
        f"{result.in_scope:,} inside the scope (loaded in {result.load_s:.1f} s)"
    )
    click.echo(
        f"activation        {result.activation_s:.2f} s to {result.removals:,} removals and "
        f"{result.host_notices:,} host notices committed to the outbox"
    )
    click.echo(
        f"  of which         reading the roster {result.read_s:.2f} s, deciding "
        f"{result.decide_s:.2f} s, building commands and notices "
        f"{result.plan_s - result.decide_s:.2f} s, enqueueing {result.enqueue_s:.2f} s"
    )
    click.echo(
        f"delivery          {result.deliveries_per_s:,.0f} webhooks/s ({result.deliveries:,} in "
        f"{result.delivery_s:.1f} s, {result.delivery_errors} failed attempts; signatures "
        "made, not checked)"
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))


@bench.command()
@click.option(
    "--sample",
    type=click.IntRange(1_000, 50_000_000),
    default=400_000,
    show_default=True,
    help="Public IPv4 addresses, drawn uniformly, that every source is asked about.",
)
@click.option(
    "--jurisdictions",
    default=",".join(JURISDICTIONS),
    show_default=True,
    help="The countries of the collateral-risk table.",
)
@click.option(
    "--orders",
    type=click.IntRange(0, 10_000_000),
    default=100_000,
    show_default=True,
    help="Active orders for the decisions-per-second figures (as remit bench decide).",
)
@click.option(
    "--decisions",
    type=click.IntRange(1, 50_000_000),
    default=400_000,
    show_default=True,
    help="Joins decided under each rule.",
)
@_json
@location_options
def locate(
    sample: int, jurisdictions: str, orders: int, decisions: int, as_json: bool, **location: Any
) -> None:
    """Measure the configured IP sources against each other, and decide() under agree and first.

    Prints each source's coverage and the agreement between each pair over a uniform sample of
    public IPv4 addresses; the collateral-risk table (of the addresses one source alone places
    inside a jurisdiction, the share another source places elsewhere); and the decisions per
    second of decide() with the rule agree beside first, over the sources the location options
    configure (by default DB-IP's and the registries' data). --location-rule is ignored: both
    rules are measured. With --json the last line is one JSON object of the figures.
    """
    codes = [c.strip().upper() for c in jurisdictions.split(",") if c.strip()]

    def make(rule: str) -> Any:
        return build_locator(**{**location, "location_rule": rule})

    result = run_locate(
        make,
        sample=sample,
        jurisdictions=codes,
        orders=orders,
        decisions=decisions,
        progress=lambda line: click.echo(line, err=True),
    )
    _print_locate(result)
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))


def _print_locate(result: LocateResult) -> None:
    click.echo(f"machine  {result.machine}")
    click.echo(f"sample   {result.sample:,} public IPv4 addresses")
    width = max(len(name) for name in result.sources)
    click.echo("")
    click.echo(f"{'source':<{width}}  data of     places   agrees with")
    for name in result.sources:
        others = ", ".join(
            f"{other} {'n/a' if share is None else f'{share:.1%}'}"
            for other, share in result.agreement[name].items()
        )
        date = result.data_dates[name] or "unknown"
        click.echo(f"{name:<{width}}  {date:<10}  {result.coverage[name]:>6.1%}   {others}")
    click.echo(
        f"under agree: {result.agreed_share:.1%} placed, {result.disputed_share:.1%} left alone "
        "because the sources disagree or too few answer"
    )
    click.echo("")
    click.echo(
        "collateral risk: of the addresses SOURCE alone places inside, OTHER places elsewhere"
    )
    click.echo(
        f"{'in':<4}{'source':<{width + 2}}{'other':<{width + 2}}{'placed':>9}  elsewhere  mostly"
    )
    for r in result.risks:
        mostly = ", ".join(code for code, _ in r.mostly[:3]) or "-"
        click.echo(
            f"{r.jurisdiction:<4}{r.source:<{width + 2}}{r.other:<{width + 2}}{r.placed:>9,}  "
            f"{r.share:>9.1%}  {mostly}"
        )
    click.echo("")
    click.echo(
        f"decide, {result.orders:,} orders, {result.decisions:,} joins: "
        f"first {result.first_decisions_per_s:,.0f}/s, agree {result.agree_decisions_per_s:,.0f}/s "
        f"({result.ratio:.0%} of first)"
    )


@bench.command()
@click.option(
    "--orders",
    type=click.IntRange(1, 10_000_000),
    default=100_000,
    show_default=True,
    help="Active orders in the database the node starts on.",
)
@_db
@_json
def start(orders: int, db_url: str | None, as_json: bool) -> None:
    """Measure how soon a real remit serve decides over many orders in force, started and restarted.

    Fills a new database with the active orders (untimed), starts remit serve as a subprocess
    and times it from the process's creation to /healthz answering ok with every order in force,
    checks that an admission one order covers is refused, waits for the transparency log to
    catch up (timed too: it happens after the node serves), stops it by its pid and times a
    restart the same way. With --json the last line is one JSON object with first_s, restart_s,
    orders and db.
    """
    result = run_start(db_url, orders=orders, progress=lambda line: click.echo(line, err=True))
    click.echo(f"machine       {result.machine}")
    click.echo(
        f"database      {result.db}, {result.orders:,} orders in force "
        f"(filled in {result.fill_s:.1f} s, untimed)"
    )
    click.echo(
        f"first start   serving in {result.first_s:.2f} s "
        f"(log caught up at {result.log_first_s:.2f} s)"
    )
    click.echo(
        f"restart       serving in {result.restart_s:.2f} s "
        f"(log caught up at {result.log_restart_s:.2f} s)"
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))
