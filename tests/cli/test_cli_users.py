"""``remit user``: list, remove and new tokens, as an operator runs them against the database a
real ``remit serve`` uses; bad input is one line and exit 2."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from remit.api import hash_token
from remit.cli import cli
from remit.store import open_store
from remit_server import RemitServer


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def added(db: str, name: str, *roles: str) -> str:
    args = ["user", "add", name, "--db", db]
    for role in roles:
        args += ["--role", role]
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.split()[-1]


def holder(db: str, token: str) -> str | None:
    with open_store(db) as store:
        found = store.user_for_token(hash_token(token))
    return None if found is None else found.name


def test_list_shows_each_user_with_roles_and_status_and_no_token(db: str) -> None:
    alice = added(db, "alice", "intake")
    added(db, "bo", "reviewer", "auditor")
    assert run("user", "remove", "alice", "--db", db).exit_code == 0
    result = run("user", "list", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "roles", "added", "status"]
    assert lines[1].split()[:2] == ["alice", "intake"]
    assert lines[1].split()[-1] == "removed"
    assert lines[2].split()[:2] == ["bo", "auditor,reviewer"]
    assert lines[2].split()[-1] == "active"
    assert alice not in result.stdout


def test_a_new_token_replaces_the_old_one(db: str) -> None:
    old = added(db, "alice", "intake")
    result = run("user", "token", "alice", "--db", db)
    assert result.exit_code == 0, result.output
    new = result.stdout.splitlines()[-1]
    assert new.startswith("remit_")
    assert new != old
    assert holder(db, old) is None
    assert holder(db, new) == "alice"


def test_a_removed_user_holds_no_token_and_the_name_is_not_given_again(db: str) -> None:
    token = added(db, "alice", "intake")
    result = run("user", "remove", "alice", "--db", db)
    assert result.exit_code == 0, result.output
    assert "removed" in result.stdout
    assert holder(db, token) is None
    again = run("user", "add", "alice", "--role", "admin", "--db", db)
    assert again.exit_code == 2
    assert again.stderr.strip() == (
        "Error: user alice was removed, and a name is never given to someone else"
    )
    assert run("user", "token", "alice", "--db", db).exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "remove", "nobody"], "Error: no user nobody"),
        (["user", "token", "nobody"], "Error: no user nobody"),
    ],
)
def test_an_unknown_user_is_one_line_and_exit_2(db: str, args: list[str], message: str) -> None:
    result = run(*args, "--db", db)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == message


@pytest.mark.parametrize("command", [["list"], ["remove", "alice"], ["token", "alice"]])
def test_a_database_that_is_not_there_is_named(tmp_path: Path, command: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    result = run("user", *command, "--db", url)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"sqlite:///{tmp_path / 'elsewhere.sqlite3'} does not exist" in result.stderr
    assert not (tmp_path / "elsewhere.sqlite3").exists()


def _orders(server: RemitServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.base}/v1/orders", headers=headers, timeout=5).status_code


@pytest.mark.parametrize("command", ["token", "remove"])
def test_a_running_server_refuses_the_old_token_within_two_seconds(
    tmp_path: Path, command: str
) -> None:
    server = RemitServer(tmp_path)
    server.start()
    try:
        old = server.tokens["intake"]
        assert _orders(server, old) == 200  # the server now caches it (30 s)
        result = run("user", command, "intake", "--db", server.db)
        assert result.exit_code == 0, result.output
        started = time.monotonic()
        while _orders(server, old) != 401:
            assert time.monotonic() - started < 2.0, "the server still takes the old token"
            time.sleep(0.05)
        if command == "token":
            assert _orders(server, result.stdout.splitlines()[-1]) == 200
    finally:
        server.stop()
