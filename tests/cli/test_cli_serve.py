"""``remit serve`` explains itself: a bad setting, or a port another process holds, ends as one
line and exit 2, before anything is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli


@pytest.mark.parametrize("types", ["host", "meeting,Meeting", "account", ","])
def test_bad_resource_types_exit_2_with_one_line(tmp_path: Path, types: str) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--resource-types", types])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith("Error: resource-types: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "remit.sqlite3").exists()  # refused before the database is touched


def test_the_types_are_read_from_the_environment_too(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    result = CliRunner().invoke(cli, ["serve", "--db", db], env={"REMIT_RESOURCE_TYPES": "user"})
    assert result.exit_code == 2, result.output
    assert "resource-types: 'user'" in result.stderr
