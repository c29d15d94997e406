"""``remit bench activation`` runs end to end on a tiny roster (the real run is not a test)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from remit.cli import cli


def test_a_tiny_run_reports_every_figure() -> None:
    args = ["bench", "activation", "--sessions", "3000", "--meetings", "30", "--in-scope", "300"]
    result = CliRunner().invoke(cli, [*args, "--delivery-seconds", "5", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["sessions"] == 3000
    assert figures["removals"] == 300
    assert figures["host_notices"] == 30
    assert figures["activation_s"] > 0
    parts = figures["read_s"] + figures["plan_s"] + figures["enqueue_s"]
    assert parts <= figures["activation_s"] + 0.003  # each rounded to the millisecond
    assert figures["deliveries"] == 330  # every command, delivered before the time ran out
    assert figures["receiver_took"] == 330
    assert figures["delivery_errors"] == 0
    assert figures["deliveries_per_s"] > 0
    assert "SQLite" in figures["database"]
    assert "activation" in result.stdout


def test_more_in_scope_than_sessions_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["bench", "activation", "--sessions", "10", "--in-scope", "11"]
    )
    assert result.exit_code == 2
    assert "--in-scope" in result.output
