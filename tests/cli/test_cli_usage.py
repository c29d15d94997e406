"""Bad usage of any command is one line naming the problem, and exit 2: never click's usage
block, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from remit.cli import cli


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--bogus"], "remit: No such option '--bogus'"),
        (["nosuch"], "remit: No such command 'nosuch'"),
        (["user", "adda"], "remit user: No such command 'adda'"),
        (["user", "add", "alice"], "remit user add: Missing option '--role'"),
        (["user", "add", "alice", "--role", "king"], "'king' is not one of"),
        (["serve", "--port", "x"], "remit serve: Invalid value for '--port'"),
        (["platform", "rotate"], "remit platform rotate: Missing argument 'NAME'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], named: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="remit")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert named in result.stderr
    assert "--help)" in result.stderr  # where to read more
    assert "Traceback" not in result.output
