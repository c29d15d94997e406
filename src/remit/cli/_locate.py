"""``remit locate``: where remit places IP addresses and dial-in numbers."""

from __future__ import annotations

import json

import click

from remit.cli._options import build_locator, location_options
from remit.errors import InvalidInput
from remit.location import Location


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input per line.")
@location_options
def locate(inputs: tuple[str, ...], as_json: bool, **settings: str) -> None:
    """Resolve IP addresses (v4 or v6) and dial-in numbers (+CC…) to a location.

    Every input is checked before anything is printed: one bad input stops the command with
    exit code 2 and a line naming it. Private, loopback and documentation addresses are unknown
    unless the static table places them.

    \b
    Examples:
      remit locate 1.2.4.8 2001:da8::1 +85221234567
      remit locate --json ::ffff:203.198.7.1
    """
    locator = build_locator(**settings)
    try:
        results: list[tuple[str, Location]] = []
        for item in inputs:
            try:
                if item.startswith("+"):
                    results.append((item, locator.locate_phone(item)))
                else:
                    results.append((item, locator.locate_ip(item)))
            except InvalidInput as exc:
                raise InvalidInput(f"{item!r}: {exc.message}", field=exc.field) from exc
    finally:
        locator.close()
    if as_json:
        for item, location in results:
            click.echo(json.dumps({"input": item, **location.to_dict()}))
        return
    width = max(len("INPUT"), *(len(item) for item, _ in results))
    click.echo(f"{'INPUT':<{width}}  COUNTRY  SUBDIVISION  SOURCE")
    for item, loc in results:
        click.echo(
            f"{item:<{width}}  {loc.country or '-':<7}  {loc.subdivision or '-':<11}  {loc.source}"
        )
