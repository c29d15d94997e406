"""``remit keys``, ``remit report``, ``remit export lumen`` and ``remit bench log`` as people use
them, on a real database."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from log_builders import story

from remit.api import Node
from remit.cli import cli
from remit.cli._log_cli import open_log
from remit.location import IptoccSource, Locator
from remit.store import open_store
from remit.transparency import NoteVerifier, Signer, verify_checkpoint


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_keys_init_creates_a_private_key_file_and_prints_the_verifier_key(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    code, out, err = run("keys", "init", "--path", str(path), "--origin", "remit.example.org/log")
    assert code == 0, err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signer = Signer.from_private_key(path.read_text().strip())
    assert out.strip() == signer.verifier_key()
    assert NoteVerifier.parse(out.strip()).name == "remit.example.org/log"
    assert "PRIVATE" not in out + err
    assert run("keys", "public", "--path", str(path))[1].strip() == signer.verifier_key()


def test_keys_init_never_overwrites_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    run("keys", "init", "--path", str(path))
    before = path.read_text()
    code, _, err = run("keys", "init", "--path", str(path))
    assert code == 2
    assert "--force" in err
    assert path.read_text() == before
    path.chmod(0o644)
    assert run("keys", "init", "--path", str(path), "--force")[0] == 0
    assert path.read_text() != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keys_take_their_path_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.key"
    result = CliRunner().invoke(cli, ["keys", "init"], env={"REMIT_LOG_KEY": str(path)})
    assert result.exit_code == 0
    assert path.exists()


def test_keys_public_without_a_key_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = run("keys", "public", "--path", str(tmp_path / "none.key"))
    assert code == 2
    assert "remit keys init" in err


def test_serve_creates_a_missing_key_and_says_so_in_one_line(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.key"
    store = open_store(database_url)
    try:
        log = open_log(store, str(path), "remit.test/log")
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"created the log key {path}" in err
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        verify_checkpoint(log.checkpoint(), log.signer.verifier_key(), origin="remit.test/log")
        open_log(store, str(path), "remit.test/log")  # the second start reuses it, silently
        assert capsys.readouterr().err == ""
    finally:
        store.close()


@pytest.fixture
def filled(database_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A database with the story's orders, logged, and its key file."""
    key = tmp_path / "log.key"
    store = open_store(database_url)
    try:
        for order in story():
            store.add_order(order)
        log = open_log(store, str(key), "remit.test/log")
        log.log_orders(store.changes_since(0).orders)
        log.append_enforcement_counts("ord-0001", date(2020, 6, 4), {"CN": {"removed": 4}})
    finally:
        store.close()
    return database_url, key


def test_report_as_csv_json_and_html(filled: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = filled
    code, out, err = run("report", "--db", url, "--from", "2020-01-01", "--to", "2020-12-31")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["territory_code"] for r in rows] == ["CN", "UA"]
    assert rows[0]["participants_removed_in_scope"] == "4"
    code, out, _ = run("report", "--db", url, "--format", "json", "--to", "2020-12-31")
    assert json.loads(out)["totals"]["demands_received"] == 4
    page = tmp_path / "report.html"
    assert run("report", "--db", url, "--format", "html", "--out", str(page))[0] == 0
    assert "<svg" in page.read_text()


def test_report_refuses_a_bad_date_with_exit_2(filled: tuple[str, Path]) -> None:
    code, _, err = run("report", "--db", filled[0], "--from", "June")
    assert code == 2
    assert "--from" in err
    code, _, err = run("report", "--db", filled[0], "--from", "2021-01-01", "--to", "2020-01-01")
    assert code == 2
    assert "before" in err


def test_export_lumen_writes_a_notice_per_line(filled: tuple[str, Path], tmp_path: Path) -> None:
    url, key = filled
    out = tmp_path / "lumen.jsonl"
    code, _, err = run(
        "export",
        "lumen",
        "--db",
        url,
        "--log-key",
        str(key),
        "--out",
        str(out),
        "--recipient",
        "Example Meetings Inc.",
        "--recipient-country",
        "us",
    )
    assert code == 0, err
    notices = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(notices) == 5
    assert notices[0]["notice"]["entity_notice_roles_attributes"][2]["entity_attributes"] == {
        "name": "Example Meetings Inc.",
        "kind": "organization",
        "country_code": "US",
    }
    assert "june4-a" not in out.read_text()


def test_bench_log_smoke() -> None:
    code, out, err = run(
        "bench",
        "log",
        "--appends",
        "200",
        "--singles",
        "5",
        "--entries",
        "2000",
        "--proofs",
        "20",
        "--chain-entries",
        "4000",
        "--checkpoint-every",
        "1000",
        "--json",
    )
    assert code == 0, err
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["append_entries"] == 200
    assert figures["chain_checkpoints"] == 4
    assert figures["appends_per_s"] > 0
    assert figures["inclusion_proof_mean_us"] > 0


def test_a_starting_node_logs_imported_orders_in_batches(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url)
    store.add_orders(story())  # an import: no node has seen these orders yet
    log = open_log(store, str(tmp_path / "log.key"), "remit.test/log")
    assert not log.opened  # opened by the node, once it serves its index
    node = Node(store, Locator(ip_sources=[IptoccSource()], rule="first"), log=log)
    try:
        node.start()
        assert node.loaded.is_set()
        assert log.opened
        assert log.size == 11
        assert node.health() == ("ok", [])
    finally:
        node.stop()
