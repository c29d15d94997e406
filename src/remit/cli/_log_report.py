"""``remit log verify --report``: the published report fetched, and compared with the one
rebuilt from the verified entries alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import httpx

from remit.errors import InvalidInput, VerificationError
from remit.transparency.recount import differences, recount


def published_report(
    url: str, report_url: str | None, report_file: str | None, timeout: float
) -> Any:
    """The published report's JSON, parsed: from the file, or fetched (``VerificationError``
    when it cannot be fetched; ``InvalidInput`` when what came is not JSON)."""
    if report_file is not None:
        text, where = Path(report_file).read_text("utf-8"), report_file
    else:
        where = report_url or f"{url.rstrip('/')}/v1/reports/transparency"
        try:
            response = httpx.get(
                where, params={"format": "json"} if report_url is None else None, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise VerificationError(f"could not fetch the report at {where}: {exc}") from exc
        if response.status_code != 200:
            raise VerificationError(f"the report at {where} answered {response.status_code}")
        text = response.text
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the published report {where} is not JSON", field="report") from exc


def compare_report(published: Any, entries: tuple[bytes, ...]) -> None:
    """Rebuild the report from ``entries`` and print each number ``published`` differs on;
    exit 1 when any does (or the report cannot be rebuilt)."""
    try:
        rebuilt = recount(entries, published)
    except VerificationError as exc:
        click.echo(f"FAILED: the report cannot be rebuilt from the log: {exc.message}", err=True)
        sys.exit(1)
    found = differences(published, rebuilt)
    totals = rebuilt.totals
    period = f"{rebuilt.period_start} to {rebuilt.period_end}"
    if found:
        for line in found:
            click.echo(f"DIFFERS {line}")
        click.echo(
            f"FAILED: the published report for {period} differs from the log in "
            f"{len(found)} value(s)",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"OK report for {period} rebuilt from the log: {totals.demands_received} demand(s), "
        f"{totals.participants_refused_in_scope} refused and "
        f"{totals.participants_removed_in_scope} removed in scope, "
        f"{totals.participants_affected_outside_scope} affected outside the scope"
    )


__all__ = ["compare_report", "published_report"]
