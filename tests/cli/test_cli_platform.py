"""``remit platform add``: any installed connector, settings checked, nothing stored on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli
from remit.store import open_enforcement_store
from secrets_helpers import platform_settings


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    return url


def _platforms(db: str) -> list[str]:
    store = open_enforcement_store(db)
    try:
        return [p.name for p in store.list_platforms()]
    finally:
        store.close()


def test_webhook_platform_gets_a_token_and_a_new_secret_shown_once(db: str) -> None:
    result = CliRunner().invoke(
        cli, ["platform", "add", "meet", "--webhook-url", "https://meet.example/remit", "--db", db]
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["token"].startswith("remit_")
    assert lines["secret"].startswith("whsec_")
    assert platform_settings(db, "meet") == {
        "url": "https://meet.example/remit",
        "secret": lines["secret"],
    }


def test_a_given_secret_is_kept_and_not_shown_again(db: str) -> None:
    secret = "whsec_" + "A" * 44
    args = ["platform", "add", "meet", "--setting", "url=http://127.0.0.1:9/x"]
    result = CliRunner().invoke(cli, [*args, "--setting", f"secret={secret}", "--db", db])
    assert result.exit_code == 0, result.output
    assert secret not in result.stdout
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["token"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--connector", "carrier-pigeon", "--webhook-url", "https://x.example/"], "connector"),
        (["--webhook-url", "ftp://x.example/"], "url: 'ftp://x.example/' is not an http(s) URL"),
        (["--setting", "url"], "setting"),
        (["--setting", "url=https://x.example/", "--setting", "colour=blue"], "colour"),
        ([], "url"),
    ],
)
def test_bad_settings_exit_2_naming_the_problem_and_store_nothing(
    db: str, args: list[str], named: str
) -> None:
    result = CliRunner().invoke(cli, ["platform", "add", "meet", *args, "--db", db])
    assert result.exit_code == 2, result.output
    assert named in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert _platforms(db) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--webhook-url", "http://u:hunter2@meet.example/x?key=K"],
        ["--setting", "url=https://alice@meet.example/x"],
        ["--connector", "livekit", "--setting", "url=https://k:hunter2@lk.example",
         "--setting", "api_key=k", "--setting", f"api_secret={'s' * 32}"],
        ["--connector", "janus", "--setting", "url=http://u:hunter2@janus.example/janus"],
    ],
)  # fmt: skip
def test_credentials_in_a_url_are_refused_without_repeating_them(db: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["platform", "add", "meet", *args, "--db", db])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("Error: url: ")
    assert "user name or password" in line
    for secret in ("hunter2", "u:", "alice", "key=K"):
        assert secret not in line
    assert _platforms(db) == []


def test_a_webhook_is_told_to_pass_credentials_as_the_authorization_setting(db: str) -> None:
    args = ["--webhook-url", "http://u:p@meet.example/x"]
    result = CliRunner().invoke(cli, ["platform", "add", "meet", *args, "--db", db])
    assert "authorization=VALUE" in result.stderr
    args = ["--webhook-url", "https://meet.example/x", "--setting", "authorization=Basic dTpw"]
    added = CliRunner().invoke(cli, ["platform", "add", "meet", *args, "--db", db])
    assert added.exit_code == 0, added.output
    assert "dTpw" not in added.stdout  # given, so not shown again
    assert platform_settings(db, "meet")["authorization"] == "Basic dTpw"
