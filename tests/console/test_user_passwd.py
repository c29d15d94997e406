"""``remit user passwd``: the console password, from a prompt or standard input, never argv."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli
from remit.console import verify_password
from remit.store import console_store_for, open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    assert (
        runner.invoke(cli, ["user", "add", "ana", "--role", "reviewer", "--db", url]).exit_code == 0
    )
    return url


def _stored(db: str, name: str = "ana") -> str | None:
    with open_store(db) as store:
        return console_store_for(store).password_hash(name)


def test_a_password_from_standard_input_is_stored_hashed(db: str) -> None:
    result = CliRunner().invoke(
        cli, ["user", "passwd", "ana", "--password-stdin", "--db", db], input="a long passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert "password of ana set" in result.stdout
    stored = _stored(db)
    assert stored is not None
    assert stored.startswith("scrypt$")
    assert "passphrase" not in stored
    assert verify_password("a long passphrase", stored)
    assert not verify_password("a long passphrase ", stored)


def test_the_prompt_asks_twice(db: str) -> None:
    mismatch = CliRunner().invoke(
        cli, ["user", "passwd", "ana", "--db", db], input="first password\nsecond password\n"
    )
    assert mismatch.exit_code != 0
    assert _stored(db) is None
    same = CliRunner().invoke(
        cli, ["user", "passwd", "ana", "--db", db], input="same password\nsame password\n"
    )
    assert same.exit_code == 0, same.output
    assert verify_password("same password", _stored(db))


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ana"], "short\n", "password: must be at least 10 characters"),
        (["nobody"], "a long passphrase\n", "no user nobody"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    db: str, args: list[str], stdin: str, message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["user", "passwd", *args, "--password-stdin", "--db", db], input=stdin
    )
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_password_is_never_taken_from_the_command_line(db: str) -> None:
    result = CliRunner().invoke(cli, ["user", "passwd", "ana", "--password", "x" * 12, "--db", db])
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert _stored(db) is None
