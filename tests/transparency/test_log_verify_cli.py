"""``remit log verify`` against a real server: it passes on an honest log and catches an edited
entry, a dropped entry and a rewritten history, each made by editing the database directly; with
``--report`` it rebuilds the published transparency report from the log and catches a number the
log does not back."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from click.testing import CliRunner
from log_builders import approved, demand, story

from remit.api import Node, create_app
from remit.cli import cli
from remit.cli._log_cli import open_log
from remit.errors import StoreError
from remit.location import Locator, StaticSource
from remit.store import open_store
from remit.transparency import Signer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``remit serve`` in this process: a node with its log, behind uvicorn on a free port."""

    def __init__(self, url: str, key: Path, port: int) -> None:
        self.store = open_store(url)
        self.log = open_log(self.store, str(key), "remit.test/log")
        self.node = Node(self.store, Locator(ip_sources=[StaticSource({})]), log=self.log)
        self.node.start()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(self.node), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:  # pragma: no cover
                raise RuntimeError("the server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.node.stop()


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    """A database holding the story's orders, and where the key and verifier state live."""
    store = open_store(database_url)
    for order in story():
        store.add_order(order)
    store.close()
    servers: list[Server] = []
    port = _free_port()  # a restarted server keeps its address: the verifier knows it by it

    def start() -> Server:
        server = Server(database_url, tmp_path / "log.key", port)
        servers.append(server)
        return server

    yield {"url": database_url, "start": start, "state": tmp_path / "state.json", "tmp": tmp_path}
    for server in servers:
        server.stop()


def verify(server: Server, state: Path, *extra: str) -> tuple[int, str]:
    vkey = server.log.signer.verifier_key()
    args = ["log", "verify", "--url", server.url, "--key", vkey, "--state", str(state), *extra]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, (result.stdout + result.stderr).strip()


def tamper(url: str, statement: str, **params: object) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def rows(url: str) -> list[tuple[int, bytes, bytes]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT idx, data, leaf_hash FROM log_entries ORDER BY idx")
            )
            return [(int(i), bytes(d), bytes(h)) for i, d, h in found]
    finally:
        engine.dispose()


def test_an_honest_log_verifies_and_grows(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state = deployment["state"]
    code, out = verify(server, state, "--full")  # type: ignore[arg-type]
    assert code == 0, out
    assert "size 11" in out
    assert "first checkpoint seen" in out
    assert "11 re-hashed" in out
    server.store.add_order(approved(demand("ord-0100")))
    server.node.resync()
    code, out = verify(server, state)  # type: ignore[arg-type]
    assert code == 0, out
    assert "size 14" in out
    assert "extends the 11 seen before" in out


def test_an_edited_entry_is_detected(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state, url = deployment["state"], str(deployment["url"])
    assert verify(server, state)[0] == 0  # type: ignore[arg-type]
    honest = rows(url)
    edited = honest[3][1].replace(b'"at":"2020-06-01', b'"at":"2020-06-02')
    assert edited != honest[3][1]
    tamper(url, "UPDATE log_entries SET data = :data WHERE idx = 3", data=edited)
    code, out = verify(server, state, "--full")  # type: ignore[arg-type]
    assert code == 1
    assert out == (
        "FAILED: the 11 entries do not hash to the checkpoint's root: an entry was edited, "
        "dropped or added"
    )


def test_a_dropped_entry_is_detected(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state, url = deployment["state"], str(deployment["url"])
    assert verify(server, state)[0] == 0  # type: ignore[arg-type]
    tamper(url, "DELETE FROM log_entries WHERE idx = 4")
    code, out = verify(server, state, "--full")  # type: ignore[arg-type]
    assert code == 1
    assert out.startswith("FAILED: ")
    assert "entry 4 is missing" in out
    assert len(out.splitlines()) == 1


def test_a_dropped_entry_hidden_by_renumbering_is_detected(deployment: dict[str, object]) -> None:
    """The operator drops entry 4, renumbers the rest, forgets the signed checkpoints, restarts."""
    server = deployment["start"]()  # type: ignore[operator]
    state, url = deployment["state"], str(deployment["url"])
    assert verify(server, state)[0] == 0  # type: ignore[arg-type]
    server.stop()
    tamper(url, "DELETE FROM log_entries WHERE idx = 4")
    for index, _, _ in rows(url):
        if index > 4:
            tamper(
                url, "UPDATE log_entries SET idx = :new WHERE idx = :old", new=index - 1, old=index
            )
    tamper(url, "UPDATE log_sequence SET value = 10")
    tamper(url, "DELETE FROM log_checkpoints")
    restarted = deployment["start"]()  # type: ignore[operator]
    code, out = verify(restarted, state)  # type: ignore[arg-type]
    assert code == 1, out
    assert out == "FAILED: the log shrank from 11 to 10 entries since the last checkpoint seen"
    # The entries themselves still hash to the (new, smaller) checkpoint: only the verifier's
    # memory of the last checkpoint catches this, which is why it keeps one.
    code, out = verify(restarted, deployment["tmp"] / "fresh.json", "--full")  # type: ignore[operator]
    assert code == 0, out


def _rewrite_history(url: str) -> None:
    """Swap entries 0 and 1 (data and leaf hashes), and drop the signed checkpoints."""
    (i0, d0, h0), (i1, d1, h1) = rows(url)[:2]
    statement = "UPDATE log_entries SET data = :data, leaf_hash = :hash WHERE idx = :idx"
    tamper(url, statement, data=d1, hash=h1, idx=i0)
    tamper(url, statement, data=d0, hash=h0, idx=i1)
    tamper(url, "DELETE FROM log_checkpoints")


def test_a_rewritten_history_of_the_same_size_is_detected(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state, url = deployment["state"], str(deployment["url"])
    assert verify(server, state)[0] == 0  # type: ignore[arg-type]
    server.stop()
    _rewrite_history(url)
    restarted = deployment["start"]()  # type: ignore[operator]
    code, out = verify(restarted, state)  # type: ignore[arg-type]
    assert code == 1, out
    assert out == (
        "FAILED: the log's history was rewritten: a different tree of 11 entries than the last "
        "checkpoint seen"
    )


def test_a_rewritten_history_that_grew_since_is_detected(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state, url = deployment["state"], str(deployment["url"])
    assert verify(server, state)[0] == 0  # type: ignore[arg-type]
    server.stop()
    _rewrite_history(url)
    restarted = deployment["start"]()  # type: ignore[operator]
    restarted.store.add_order(approved(demand("ord-0100")))
    restarted.node.resync()
    code, out = verify(restarted, state, "--full")  # type: ignore[arg-type]
    assert code == 1
    assert out.startswith(
        "FAILED: the log's history was rewritten: the tree of 14 entries is not consistent with "
        "the last checkpoint seen (11 entries)"
    )


def test_a_checkpoint_signed_by_another_key_fails(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    other = Signer.generate("remit.test/log").verifier_key()
    args = [
        "log",
        "verify",
        "--url",
        server.url,
        "--key",
        other,
        "--state",
        str(deployment["state"]),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "no trusted key signed this note" in result.stderr


def test_bad_usage_exits_2(deployment: dict[str, object], tmp_path: Path) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["log", "verify", "--url", server.url])
    assert result.exit_code == 2
    assert "--key" in result.stderr
    result = CliRunner().invoke(cli, ["log", "verify", "--url", server.url, "--key", "nonsense"])
    assert result.exit_code == 2
    assert "not a verifier key" in result.stderr


def test_an_unreachable_log_fails_with_one_line(tmp_path: Path) -> None:
    key = Signer.generate("remit.test/log").verifier_key()
    url = f"http://127.0.0.1:{_free_port()}"
    args = ["log", "verify", "--url", url, "--key", key, "--state", str(tmp_path / "s.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("FAILED: could not reach")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


# --report: the published report rebuilt from the log alone -----------------------------------


def _with_enforcement(server: Server) -> None:
    """What enforcement logged for the story: refusals and removals inside the scope of the CN
    order, and, for the Kyiv order narrowed to UA-30, a day with some in Lviv (outside it)."""
    server.log.append_enforcement_counts(
        "ord-0001", date(2020, 6, 2), {"CN": {"refused": 3, "removed": 2}}
    )
    server.log.append_enforcement_counts(
        "ord-0002", date(2020, 6, 3), {"UA-30": {"removed": 1}, "UA-46": {"refused": 2}}
    )
    server.log.append_appeal_outcome(
        "ord-0001", "filed", ["CN"], at=datetime(2020, 6, 4, tzinfo=UTC)
    )


def _published(server: Server) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/v1/reports/transparency", params={"format": "json"})
    assert response.status_code == 200
    return dict(response.json())


def test_the_published_report_agrees_with_the_log(deployment: dict[str, object]) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    _with_enforcement(server)
    code, out = verify(server, deployment["state"], "--full", "--report")  # type: ignore[arg-type]
    assert code == 0, out
    assert out.splitlines()[-1].startswith("OK report for 2020-06-01 to ")
    assert out.endswith(
        "5 demand(s), 3 refused and 3 removed in scope, 2 affected outside the scope"
    )
    # A period asked of the server is the period rebuilt.
    url = f"{server.url}/v1/reports/transparency?format=json&from=2020-06-01&to=2020-12-31"
    code, out = verify(server, deployment["state"], "--full", "--report-url", url)  # type: ignore[arg-type]
    assert code == 0, out
    assert "OK report for 2020-06-01 to 2020-12-31 rebuilt from the log: 4 demand(s)" in out


def test_a_published_number_the_log_does_not_back_fails(
    deployment: dict[str, object], tmp_path: Path
) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    _with_enforcement(server)
    published = _published(server)
    assert published["totals"]["participants_affected_outside_scope"] == 2
    published["totals"]["participants_affected_outside_scope"] = 0  # what the operator claims
    row = next(r for r in published["rows"] if r["territory_code"] == "UA")
    row["participants_affected_outside_scope"] = 0
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(published))
    code, out = verify(server, deployment["state"], "--full", "--report-file", str(saved))  # type: ignore[arg-type]
    assert code == 1, out
    assert "DIFFERS totals.participants_affected_outside_scope: published 0, the log gives 2" in out
    assert (
        "DIFFERS rows.UA/court.participants_affected_outside_scope: published 0, the log gives 2"
    ) in out
    assert out.splitlines()[-1].endswith("differs from the log in 2 value(s)")


def test_a_demand_missing_from_the_published_report_fails(
    deployment: dict[str, object], tmp_path: Path
) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    published = _published(server)
    published["demands"] = [d for d in published["demands"] if d["order"] != "ord-0003"]
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(published))
    code, out = verify(server, deployment["state"], "--full", "--report-file", str(saved))  # type: ignore[arg-type]
    assert code == 1, out
    assert "DIFFERS demands.ord-0003: missing from the published report" in out


def test_report_bad_input_exits_2(deployment: dict[str, object], tmp_path: Path) -> None:
    server = deployment["start"]()  # type: ignore[operator]
    state = deployment["state"]
    code, out = verify(server, state, "--report")  # type: ignore[arg-type]
    assert code == 2
    assert "--report needs --full" in out
    saved = tmp_path / "report.csv"
    saved.write_text("period_start,period_end\n")
    code, out = verify(server, state, "--full", "--report-file", str(saved))  # type: ignore[arg-type]
    assert code == 2
    assert out == f"Error: the published report {saved} is not JSON"
    saved.write_text("{}")
    code, out = verify(server, state, "--full", "--report-file", str(saved))  # type: ignore[arg-type]
    assert code == 2
    assert "has no period_start" in out


def _hashes(data: list[tuple[int, bytes, bytes]]) -> set[str]:
    return {h for _, d, _ in data for h in re.findall(rb'"hmac": ?"([0-9a-f]{64})"', d)}


def test_a_rotated_key_signs_what_follows_and_what_was_signed_before_still_verifies(
    deployment: dict[str, object],
) -> None:
    tmp, url, state = Path(str(deployment["tmp"])), str(deployment["url"]), deployment["state"]
    key = tmp / "log.key"
    server = deployment["start"]()  # type: ignore[operator]
    old_vkey = server.log.signer.verifier_key()
    code, out = verify(server, state)  # type: ignore[arg-type]
    assert code == 0, out
    before = _hashes(rows(url))
    assert before  # the story's targets, as keyed hashes
    targets = (tmp / "log.key.targets").read_bytes()
    server.stop()

    rotated = CliRunner().invoke(cli, ["keys", "rotate", "--path", str(key)])
    assert rotated.exit_code == 0, rotated.output
    new_vkey = rotated.stdout.strip()
    assert new_vkey != old_vkey
    assert new_vkey.split("+")[0] == old_vkey.split("+")[0]  # the same name, a new key
    previous = tmp / "log.key.previous"
    assert previous.read_text().split() == [old_vkey]
    assert previous.stat().st_mode & 0o777 == 0o600
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp / "log.key.targets").read_bytes() == targets  # untouched

    # The node starts on the checkpoint the old key signed, and signs on with the new one.
    server = deployment["start"]()  # type: ignore[operator]
    assert server.log.signer.verifier_key() == new_vkey
    server.store.add_order(approved(demand("ord-0100")))  # the same targets as before
    server.node.resync()
    after = rows(url)
    assert _hashes(after) == before  # every target kept its hash
    public = CliRunner().invoke(cli, ["keys", "public", "--path", str(key), "--all"])
    assert public.stdout.split() == [new_vkey, old_vkey]
    keys = tmp / "published.keys"
    keys.write_text(public.stdout)
    args = ["log", "verify", "--url", server.url, "--key-file", str(keys), "--state", str(state)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "extends the 11 seen before" in result.stdout
    # The old key alone no longer verifies what the new one signs.
    only_old = CliRunner().invoke(cli, [*args[:4], "--key", old_vkey, "--state", str(state)])
    assert only_old.exit_code == 1


def test_the_log_will_not_open_on_a_stored_checkpoint_no_key_of_its_own_signed(
    deployment: dict[str, object],
) -> None:
    tmp = Path(str(deployment["tmp"]))
    server = deployment["start"]()  # type: ignore[operator]
    assert verify(server, deployment["state"])[0] == 0  # type: ignore[arg-type]
    server.stop()
    assert (
        CliRunner().invoke(cli, ["keys", "rotate", "--path", str(tmp / "log.key")]).exit_code == 0
    )
    (tmp / "log.key.previous").unlink()  # the old verifier key lost
    store = open_store(str(deployment["url"]))  # as remit serve opens its log
    try:
        with pytest.raises(StoreError, match="not signed by this log's key nor by an earlier"):
            open_log(store, str(tmp / "log.key"), "remit.test/log").open()
    finally:
        store.close()
