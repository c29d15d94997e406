"""``remit demo [FILE]``: the 2020 story, end to end, with checks of the invariants."""

from __future__ import annotations

import click

from remit.demo import DemoFailed, load_scenario, run_demo


class _DemoFailed(click.ClickException):
    exit_code = 1


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--timeout",
    type=click.FloatRange(1.0, 600.0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the platform to receive the removals.",
)
def demo(file: str | None, timeout: float) -> None:
    """Play the story of docs/design.md against a real remit serve, and check the invariants.

    Starts remit serve on SQLite in a temporary folder and a small demo platform that receives
    its webhooks. Participants join four meetings from mainland China, Hong Kong, Macao, Taiwan,
    the US, Canada and the UK (some by phone); a mainland ministry demands the meetings and their
    host accounts be deleted; the impact preview shows the demand as asked beside remit's plan;
    the recorder cannot approve her own record; a second person approves; the participants in
    mainland China are removed live and refused on rejoin; everyone else stays.

    FILE is a scenario of your own in the shape of the shipped story-2020.toml (TOML, or JSON
    of the same shape). Exits 1 when an invariant broke, 2 when FILE is not a usable scenario.
    """
    scenario = load_scenario(file)
    try:
        result = run_demo(scenario, click.echo, timeout=timeout)
    except DemoFailed as exc:
        raise _DemoFailed(str(exc)) from exc
    if not result.ok:
        raise SystemExit(1)
