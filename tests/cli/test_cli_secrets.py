"""Platforms' secrets sealed at rest: ``remit platform add`` stores no secret in the clear (SQLite's
bytes, a pg_dump), a node refuses a wrong or missing key in one line, settings stored in the
clear are sealed on start, and ``remit secrets rotate`` leaves nothing readable under the old key.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from remit.cli import cli
from remit.enforcement import Platform
from remit.errors import InvalidConfiguration
from remit.store import open_enforcement_store, open_sealer
from remit.store._sealed import Sealer, new_key, read_key, write_key
from remit_server import free_port

SECRET = "whsec_" + "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tAA"
AUTHORIZATION = "Bearer hunter2-the-platform-credential"


@pytest.fixture(autouse=True)
def _key_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMIT_SECRETS_KEY", raising=False)  # the key file, as deployed


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def add(db: str, key: Path, name: str = "meet") -> Result:
    result = run(
        "platform", "add", name, "--webhook-url", "https://meet.example/remit",
        "--setting", f"secret={SECRET}", "--setting", f"authorization={AUTHORIZATION}",
        "--db", db, "--secrets-key", str(key),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def settings(db: str, key: Path, name: str = "meet") -> dict[str, str]:
    store = open_enforcement_store(db, sealer=open_sealer(db, key, create=False))
    try:
        return store.get_platform(name).settings
    finally:
        store.close()


def raw_sqlite(db: str) -> bytes:
    path = Path(db.removeprefix("sqlite:///"))
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()
    )


def test_platform_add_stores_no_secret_in_the_clear_on_sqlite(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "remit-secrets.key"
    result = add(migrated_sqlite_url, key)
    assert "created the secrets key" in result.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    data = raw_sqlite(migrated_sqlite_url)
    for secret in (SECRET, AUTHORIZATION, "hunter2", "https://meet.example/remit"):
        assert secret.encode() not in data
    assert b"enc:v1:" in data
    assert settings(migrated_sqlite_url, key) == {
        "url": "https://meet.example/remit",
        "secret": SECRET,
        "authorization": AUTHORIZATION,
    }


def test_the_key_file_is_beside_the_log_key_by_default(
    migrated_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMIT_LOG_KEY", str(tmp_path / "remit-log.key"))
    args = ["platform", "add", "meet", "--webhook-url", "https://meet.example/x"]
    assert run(*args, "--db", migrated_sqlite_url).exit_code == 0
    assert (tmp_path / "remit-secrets.key").exists()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_platform_add_stores_no_secret_in_the_clear_on_postgresql(
    migrated_postgres_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "remit-secrets.key"
    add(migrated_postgres_url, key)
    url = make_url(migrated_postgres_url)  # the test's database, its own schema
    schema = str(url.query["options"]).removeprefix("-csearch_path=")
    dump = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--data-only", "-n", schema,
         str(url.database)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    assert "enc:v1:" in dump.stdout
    assert SECRET not in dump.stdout
    assert "hunter2" not in dump.stdout
    assert settings(migrated_postgres_url, key)["secret"] == SECRET


def test_settings_stored_in_the_clear_are_sealed_once_on_start(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    plain = open_enforcement_store(migrated_sqlite_url)  # as a node before sealing stored it
    try:
        stored = {"url": "https://o.example/", "secret": SECRET}
        plain.add_platform(Platform("old", "webhook", stored, datetime.now(UTC)))
    finally:
        plain.close()
    assert SECRET.encode() in raw_sqlite(migrated_sqlite_url)
    told: list[str] = []
    key = tmp_path / "remit-secrets.key"
    open_sealer(migrated_sqlite_url, key, say=told.append)
    assert any("sealed 2 platform settings" in line for line in told)
    assert SECRET.encode() not in raw_sqlite(migrated_sqlite_url)  # nor in freed pages, nor WAL
    again: list[str] = []
    open_sealer(migrated_sqlite_url, key, say=again.append)
    assert again == []  # idempotent: nothing left in the clear
    assert settings(migrated_sqlite_url, key, "old")["secret"] == SECRET


def _serve(
    db: str, tmp_path: Path, key: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    table = tmp_path / "places.csv"
    table.write_text("")
    command = [sys.executable, "-m", "remit", "serve", "--port", str(free_port()), "--db", db]
    command += ["--static-locations", str(table), "--log-key", str(tmp_path / "remit-log.key")]
    command += ["--secrets-key", str(key), "--no-console"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False,
        env={**{k: v for k, v in os.environ.items() if k != "REMIT_SECRETS_KEY"}, **env},
    )  # fmt: skip


@pytest.mark.parametrize("problem", ["wrong", "missing", "not a key"])
def test_a_wrong_or_missing_key_stops_the_node_in_one_line(
    migrated_sqlite_url: str, tmp_path: Path, problem: str
) -> None:
    key = tmp_path / "remit-secrets.key"
    add(migrated_sqlite_url, key)
    env: dict[str, str] = {}
    if problem == "wrong":
        env["REMIT_SECRETS_KEY"] = "ab" * 32
    elif problem == "missing":
        key.unlink()
    else:
        key.write_text("not hex\n")
    result = _serve(migrated_sqlite_url, tmp_path, key, env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == errors[0]  # the last word, one line
    assert "Traceback" not in result.stderr
    assert "secrets key" in errors[0]
    assert not (tmp_path / "remit-log.key").exists()  # stopped before anything else began
    assert SECRET not in result.stderr
    assert "ab" * 32 not in result.stderr
    if problem == "missing":
        assert not key.exists()  # never a new key over sealed settings


def test_rotate_seals_everything_under_a_new_key_and_drops_the_old(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "remit-secrets.key"
    add(migrated_sqlite_url, key)
    add(migrated_sqlite_url, key, "other")
    old = read_key(key, environ={})
    assert old is not None
    result = run("secrets", "rotate", "--db", migrated_sqlite_url, "--secrets-key", str(key))
    assert result.exit_code == 0, result.output
    new = read_key(key, environ={})
    assert new is not None
    assert new.id != old.id
    assert f"sealed 6 platform settings with the new secrets key {new.id}" in result.stdout
    assert old.raw.hex() not in key.read_text()
    assert not list(tmp_path.glob("*.next"))
    assert settings(migrated_sqlite_url, key)["authorization"] == AUTHORIZATION
    stored = open_enforcement_store(migrated_sqlite_url)
    try:  # under the old key nothing opens
        with pytest.raises(InvalidConfiguration, match="secrets key"):
            stored.reseal(Sealer(old), Sealer(old), every=False)
    finally:
        stored.close()
    assert old.id.encode() not in raw_sqlite(migrated_sqlite_url)


def test_rotate_with_the_key_in_the_environment_prints_the_new_one_once(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    env = {"REMIT_SECRETS_KEY": "11" * 32}
    args = ["platform", "add", "meet", "--webhook-url", "https://meet.example/x"]
    assert run(*args, "--db", migrated_sqlite_url, env=env).exit_code == 0
    result = run("secrets", "rotate", "--db", migrated_sqlite_url, env=env)
    assert result.exit_code == 0, result.output
    new = result.stdout.splitlines()[0].removeprefix("REMIT_SECRETS_KEY=")
    assert len(new) == 64
    assert new != "11" * 32
    assert not (tmp_path / "remit-secrets.key").exists()
    old = run("platform", "rotate", "meet", "--db", migrated_sqlite_url, env=env)
    assert old.exit_code == 2
    assert "secrets key" in old.stderr
    fresh = run("platform", "rotate", "meet", "--db", migrated_sqlite_url,
                env={"REMIT_SECRETS_KEY": new})  # fmt: skip
    assert fresh.exit_code == 0, fresh.output


def test_a_running_node_reads_the_rotated_key_file_on_first_sight_of_its_id(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "remit-secrets.key"
    add(migrated_sqlite_url, key)
    running = open_sealer(migrated_sqlite_url, key, create=False)  # as a node holds it
    rotated = run("secrets", "rotate", "--db", migrated_sqlite_url, "--secrets-key", str(key))
    assert rotated.exit_code == 0, rotated.output
    store = open_enforcement_store(migrated_sqlite_url, sealer=running)
    try:
        assert store.get_platform("meet").settings["secret"] == SECRET
    finally:
        store.close()
    assert running.key.id == read_key(key, environ={}).id  # type: ignore[union-attr]


def test_a_rotation_stopped_before_the_key_file_was_replaced_is_finished_on_start(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "remit-secrets.key"
    add(migrated_sqlite_url, key)
    old = open_sealer(migrated_sqlite_url, key, create=False)
    new = new_key(str(key))
    pending = tmp_path / "remit-secrets.key.next"
    write_key(new, pending, exclusive=True)
    store = open_enforcement_store(migrated_sqlite_url)
    try:  # the database sealed with the new key; then the crash, before the file moved
        assert store.reseal(old, Sealer(new), every=True) == 3
    finally:
        store.close()
    told: list[str] = []
    finished = open_sealer(migrated_sqlite_url, key, say=told.append)
    assert finished.key.id == new.id
    assert any("finished an interrupted rotation" in line for line in told)
    assert not pending.exists()
    assert settings(migrated_sqlite_url, key)["secret"] == SECRET
