"""``remit locate``: where remit places IP addresses and dial-in numbers, and on what evidence."""

from __future__ import annotations

import json
from typing import Any

import click

from remit.cli._options import build_locator, location_options
from remit.errors import InvalidInput
from remit.location import Answer, Location, Locator

#: The attribution DB-IP's licence (CC BY 4.0) asks of every use of its Lite data.
DBIP_ATTRIBUTION = "IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0"

_Row = tuple[str, Location, tuple[Answer, ...] | None]


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input per line.")
@click.option(
    "--explain",
    is_flag=True,
    help="Show every IP source's answer, with the date of its data, and why it placed or not.",
)
@location_options
def locate(inputs: tuple[str, ...], as_json: bool, explain: bool, **settings: Any) -> None:
    """Resolve IP addresses (v4 or v6) and dial-in numbers (+CC…) to a location.

    Every input is checked before anything is printed: one bad input stops the command with
    exit code 2 and a line naming it. Private, loopback and documentation addresses are unknown
    unless the static table places them. By default an address is placed only where DB-IP's
    geolocation data and the registries' allocation data agree: SOURCE is agree, or disputed
    when they do not (see --explain).

    \b
    Examples:
      remit locate 1.2.4.8 2001:da8::1 +85221234567
      remit locate --json ::ffff:203.198.7.1
      remit locate --explain 5.8.1.1 64:ff9b::1.2.4.8
    """
    locator = build_locator(**settings)
    try:
        rows = [_row(locator, item, explain) for item in inputs]
    finally:
        locator.close()
    if as_json:
        for item, location, answers in rows:
            out = {"input": item, **location.to_dict()}
            if answers is not None:
                out["evidence"] = [a.to_dict() for a in answers]
            click.echo(json.dumps(out))
        return
    if explain:
        _explain(rows, any(s.family == "dbip" for s in locator.ip_sources))
        return
    width = max(len("INPUT"), *(len(item) for item, _, _ in rows))
    click.echo(f"{'INPUT':<{width}}  COUNTRY  SUBDIVISION  SOURCE")
    for item, loc, _ in rows:
        click.echo(
            f"{item:<{width}}  {loc.country or '-':<7}  {loc.subdivision or '-':<11}  {loc.source}"
        )


def _row(locator: Locator, item: str, explain: bool) -> _Row:
    try:
        if item.startswith("+"):
            return item, locator.locate_phone(item), None
        if explain:
            location, answers = locator.explain(item)
            return item, location, answers
        return item, locator.locate_ip(item), None
    except InvalidInput as exc:
        raise InvalidInput(f"{item!r}: {exc.message}", field=exc.field) from exc


def _explain(rows: list[_Row], attribute: bool) -> None:
    for n, (item, location, answers) in enumerate(rows):
        if n:
            click.echo()
        click.echo(f"{item}: {_verdict(location)}")
        if answers is None:
            click.echo("  placed by the country code of the dial-in number")
            continue
        if location.embedded is not None:
            click.echo(
                f"  placed by the public IPv4 address its {location.embedded} address carries"
            )
        width = max(len("SOURCE"), *(len(a.source) for a in answers))
        click.echo(f"  {'SOURCE':<{width}}  COUNTRY  SUBDIVISION  DATA OF")
        for a in answers:
            click.echo(
                f"  {a.source:<{width}}  {a.country or '-':<7}  {a.subdivision or '-':<11}  "
                f"{a.data_date or 'unknown'}"
            )
    if attribute:
        click.echo()
        click.echo(f"dbip: {DBIP_ATTRIBUTION}")


def _verdict(location: Location) -> str:
    place = location.subdivision or location.country
    if location.country is None:
        if location.dispute is not None:
            return f"unknown for enforcement: {location.dispute}"
        return "unknown: no source places it"
    how = {
        "agree": "the sources that answered agree",
        "static": "the operator's static table (an override)",
        "phone": "the dial-in number",
    }.get(location.source, f"the first source that answered, {location.source}")
    verdict = f"{place}, by {how}"
    if location.dispute is not None:
        verdict += f"; the subdivision is unknown for enforcement: {location.dispute}"
    return verdict
