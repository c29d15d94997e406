"""``remit report``, ``remit export lumen`` and ``remit bench log``: the transparency outputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click

from remit._files import write_private
from remit.cli._log_cli import key_path_option
from remit.cli._options import db_option
from remit.errors import InvalidConfiguration
from remit.store import open_log_store, open_store
from remit.transparency import entries as log_entries
from remit.transparency import report as reports
from remit.transparency.keyfile import read_key_file, target_secret_file
from remit.transparency.lumen import Recipient, lumen_notices

__all__ = ["bench_log", "export", "report"]


# remit report ---------------------------------------------------------------------------------


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.option(
    "--from", "start", type=_DATE, help="First day of the period (default: first demand)."
)
@click.option("--to", "end", type=_DATE, help="Last day of the period (default: today, UTC).")
@click.option(
    "--format",
    "format_",
    type=click.Choice(reports.FORMATS),
    default="csv",
    show_default=True,
    help="csv, json or html (a page with SVG charts).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
@db_option
def report(
    start: datetime | None, end: datetime | None, format_: str, out: str | None, db_url: str
) -> None:
    """Print the transparency report for a period: demands received per jurisdiction and kind
    of authority, what was done with them, and the people affected inside and outside scope.

    Every demand received in the period is counted, rejected ones included. Enforcement and
    appeal numbers come from the transparency log.
    """
    store = open_store(db_url)
    log_store = open_log_store(db_url)
    try:
        orders = store.changes_since(0).orders
        kinds = (log_entries.ENFORCEMENT_COUNTS, log_entries.APPEAL_OUTCOME)
        built = reports.build_report(
            orders,
            log_store.entries_of_kind(kinds),
            start=_day(start),
            end=_day(end),
            generated_at=datetime.now(UTC),
        )
    finally:
        log_store.close()
        store.close()
    _write(reports.render(built, format_), out)


def _write(text: str, out: str | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_private(out, text)  # 0600, like every file remit writes
    except OSError as exc:
        raise InvalidConfiguration(f"cannot write {out}: {exc.strerror}", field="out") from exc


# remit export lumen ---------------------------------------------------------------------------


@click.group()
def export() -> None:
    """Export the record of demands for others to publish."""


@export.command("lumen")
@db_option
@key_path_option("--log-key", "log_key")
@click.option(
    "--recipient",
    default="Platform operator",
    show_default=True,
    help="Your platform's name, as the notices' recipient.",
)
@click.option("--recipient-country", help="Your platform's ISO 3166-1 country code.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
def export_lumen(
    db_url: str, log_key: str, recipient: str, recipient_country: str | None, out: str | None
) -> None:
    """Write each demand as a Lumen notice, one JSON object per line, targets redacted.

    Targets appear only as the keyed hashes the public log shows (which is why the log key is
    needed). Nothing is sent anywhere: see docs/transparency.md to submit the notices to Lumen
    with your own token.
    """
    secret = target_secret_file(log_key, read_key_file(log_key))
    who = Recipient(recipient, recipient_country.upper() if recipient_country else None)
    store = open_store(db_url)
    try:
        orders = store.changes_since(0).orders
    finally:
        store.close()
    lines = [
        json.dumps(n, ensure_ascii=False, sort_keys=True)
        for n in lumen_notices(orders, secret, who)
    ]
    _write("".join(line + "\n" for line in lines), out)


# remit bench log ------------------------------------------------------------------------------


@click.command("log")
@click.option(
    "--appends",
    type=click.IntRange(2, 10_000_000),
    default=100_000,
    show_default=True,
    help="Entries to append to a temporary SQLite log.",
)
@click.option(
    "--batch",
    type=click.IntRange(2, 100_000),
    default=1000,
    show_default=True,
    help="Entries per append transaction (the node catches up in batches of 1,000).",
)
@click.option(
    "--singles",
    type=click.IntRange(0, 1_000_000),
    default=500,
    show_default=True,
    help="Entries then appended one per transaction, as single order changes are.",
)
@click.option(
    "--entries",
    type=click.IntRange(1, 100_000_000),
    default=10_000_000,
    show_default=True,
    help="Leaves of the in-memory tree the inclusion proofs come from.",
)
@click.option(
    "--proofs",
    type=click.IntRange(1, 10_000_000),
    default=1000,
    show_default=True,
    help="Inclusion proofs to time, at random indexes.",
)
@click.option(
    "--chain-entries",
    type=click.IntRange(1, 100_000_000),
    default=1_000_000,
    show_default=True,
    help="Entries the consistency chain covers.",
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(1, 100_000_000),
    default=1000,
    show_default=True,
    help="Entries between the checkpoints a verifier sees.",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the figures.")
def bench_log(
    appends: int,
    batch: int,
    singles: int,
    entries: int,
    proofs: int,
    chain_entries: int,
    checkpoint_every: int,
    as_json: bool,
) -> None:
    """Measure the transparency log: appends/s, inclusion proofs, a consistency chain.

    Appends are real order entries through the node's log to a temporary SQLite file, in
    batches, tree update included. Proofs come from an in-memory tree of --entries leaves (10
    million: about 20 s and 2 GiB to build). The chain is the checkpoints a verifier sees every
    --checkpoint-every entries over --chain-entries: each signature and consistency proof
    verified. With --json the last line is one JSON object with every figure.
    """
    from remit.bench._log import run_log

    if checkpoint_every > chain_entries:
        raise click.UsageError("--checkpoint-every must not exceed --chain-entries")
    result = run_log(
        entries=appends,
        batch=batch,
        singles=singles,
        proof_entries=entries,
        proofs=proofs,
        chain_entries=chain_entries,
        checkpoint_every=checkpoint_every,
        progress=lambda line: click.echo(line, err=True),
    )
    r = result
    click.echo(f"machine            {r.machine}")
    click.echo(
        f"appends            {r.appends_per_s:,.0f} entries/s ({r.append_entries:,} entries of "
        f"~{r.append_entry_bytes} bytes, {r.append_batch:,} per transaction, SQLite)"
    )
    click.echo(f"single appends     {r.single_appends_per_s:,.0f} entries/s (one per transaction)")
    click.echo(
        f"inclusion proof    mean {r.inclusion_proof_mean_us:.1f} us, p99 "
        f"{r.inclusion_proof_p99_us:.1f} us, max {r.inclusion_proof_max_us:.1f} us over "
        f"{r.proofs:,} proofs in {r.proof_entries:,} entries; verify "
        f"{r.inclusion_verify_mean_us:.1f} us (tree built in {r.tree_build_s:.1f} s)"
    )
    click.echo(
        f"consistency chain  {r.chain_verify_s:.3f} s to verify {r.chain_checkpoints:,} "
        f"checkpoints (signature + consistency proof) every {r.checkpoint_every:,} entries "
        f"over {r.chain_entries:,}"
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), sort_keys=True))
