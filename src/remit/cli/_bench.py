"""``remit bench …``: benchmarks that measure the figures the README quotes."""

from __future__ import annotations

import json

import click

from remit.bench import run_admissions, run_decide


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
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the figures.")
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
@click.option(
    "--connections",
    type=click.IntRange(1, 1024),
    default=16,
    show_default=True,
    help="Concurrent keep-alive connections.",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the figures.")
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
