"""``remit bench joins`` runs end to end with tiny numbers (the real run is not a test)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from remit.cli import cli


def _run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["bench", "joins", "--orders", "20", "--seconds", "1", "--connections", "4", *args]
    )
    assert result.exit_code == 0, result.output
    figures: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    assert "roster / admissions" in result.stdout
    return figures


def _check(figures: dict[str, object], database: str) -> None:
    assert figures["database"] == database
    for key in ("joins_rps", "admissions_rps", "ratio", "p99_ms"):
        assert isinstance(figures[key], int | float)
        assert figures[key] > 0, key  # type: ignore[operator]
    assert figures["joins"] > 0  # type: ignore[operator]
    assert figures["leaves"] > 0  # type: ignore[operator]
    assert figures["lost"] == 0  # every acknowledged join and leave is in the database
    assert figures["errors"] == 0
    assert figures["mix"] == "1:0.9:0.05"


def test_a_tiny_run_on_sqlite_reports_every_figure_and_loses_nothing() -> None:
    _check(_run("--json"), "sqlite")


@pytest.mark.postgres
def test_a_tiny_run_on_postgresql_in_a_schema_of_its_own(postgres_url: str) -> None:
    _check(_run("--db", postgres_url, "--json"), "postgresql")


def test_a_database_remit_cannot_use_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(cli, ["bench", "joins", "--db", "mysql://x/y", "--seconds", "1"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "not supported" in result.output
