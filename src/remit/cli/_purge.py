"""``remit purge``: remove personal data past the retention limit, now."""

from __future__ import annotations

import click

from remit.api import utcnow
from remit.cli._options import db_option, retention_option
from remit.enforcement import retention
from remit.store import open_enforcement_store


@click.command()
@retention_option
@click.option("--dry-run", is_flag=True, help="Count what a purge would change; change nothing.")
@db_option
def purge(retention_days: int, dry_run: bool, db_url: str) -> None:
    """Purge personal data past the retention limit now (remit serve does it once a day).

    Sessions that ended, and commands delivered or failed, before the cut-off (now minus
    --retention-days) lose the participant's id, IP address, dial-in number and language and
    the notices; what the impact preview, delivery reports and the transparency counts need
    (place, resource, order, status, times) stays. Live sessions and pending commands are never
    touched. Orders (with their appeals), the audit trail and the public log are kept. Prints
    the cut-off and how many sessions and commands lost personal data (or would, with
    --dry-run). See docs/privacy.md.
    """
    cutoff = utcnow() - retention(retention_days)
    store = open_enforcement_store(db_url)
    try:
        purged = store.purge(cutoff, dry_run=dry_run)
    finally:
        store.close()
    done = "would be purged (dry run)" if dry_run else "purged"
    click.echo(f"cut-off: {cutoff:%Y-%m-%dT%H:%M:%SZ} ({retention_days} days ago)")
    click.echo(f"sessions {done}: {purged.sessions}")
    click.echo(f"commands {done}: {purged.commands}")
