"""``remit bench start`` runs end to end on a small database (the real run is not a test)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from remit.cli import cli


def _run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["bench", "start", "--orders", "2000", "--json", *args])
    assert result.exit_code == 0, result.output
    assert "first start" in result.stdout
    figures: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return figures


def _check(figures: dict[str, object], db: str) -> None:
    assert figures["db"] == db
    assert figures["orders"] == 2000
    for key in ("first_s", "restart_s", "log_first_s", "log_restart_s"):
        assert isinstance(figures[key], float), key
        assert 0 < figures[key] < 120, key  # type: ignore[operator]
    # The log catches up after the node serves, never before.
    assert figures["log_first_s"] >= figures["first_s"]  # type: ignore[operator]
    assert figures["log_restart_s"] >= figures["restart_s"]  # type: ignore[operator]


def test_a_small_run_on_sqlite_times_a_start_and_a_restart() -> None:
    _check(_run(), "sqlite")


@pytest.mark.postgres
def test_a_small_run_on_postgresql_in_a_schema_of_its_own(postgres_url: str) -> None:
    _check(_run("--db", postgres_url), "postgresql")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--orders", "0"], "--orders"),
        (["--orders", "many"], "--orders"),
        (["--db", "mysql://x/y"], "not supported"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], names: str) -> None:
    result = CliRunner().invoke(cli, ["bench", "start", *args])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert names in result.output
