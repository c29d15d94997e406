"""Several nodes on one PostgreSQL: an order change on one reaches every node's index within 1 s."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from api_helpers import demand

from remit.api import create_user
from remit.store import open_store, upgrade

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One ``remit serve`` process, stopped by its process id."""

    def __init__(self, url: str, table: Path, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        command = [sys.executable, "-m", "remit", "serve", "--port", str(self.port), "--db", url]
        command += ["--static-locations", str(table), "--resync-seconds", "600"]
        command += ["--log-key", str(log.parent / "remit-log.key")]  # one key for the cluster
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"remit serve did not start: {log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    upgrade(postgres_url)
    store = open_store(postgres_url)
    now = datetime.now(UTC)
    tokens = {
        who: create_user(store, who, [role], now=now)
        for who, role in [("intake", "intake"), ("reviewer", "reviewer"), ("platform", "platform")]
    }
    store.close()
    table = tmp_path / "places.csv"
    table.write_text("127.0.0.10,CN\n127.0.0.20,HK\n")
    a = Server(postgres_url, table, tmp_path / "a.log")
    try:
        b = Server(postgres_url, table, tmp_path / "b.log")
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b, tokens
    finally:
        a.stop()
        b.stop()


def _admit(server: Server, token: str) -> str:
    body = {
        "resource": {"type": "meeting", "id": "june4-a"},
        "participant": {"id": "p", "ip": "127.0.0.10"},
    }
    response = httpx.post(
        f"{server.base}/v1/admissions", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["decision"])


def _until(server: Server, token: str, expected: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 5:
        if _admit(server, token) == expected:
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"{server.base} never answered {expected}")


def test_an_order_change_on_one_node_reaches_the_other_within_a_second(
    cluster: tuple[Server, Server, dict[str, str]],
) -> None:
    a, b, tokens = cluster
    auth = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
    assert _admit(b, tokens["platform"]) == "allow"
    order_id = httpx.post(f"{a.base}/v1/orders", json=demand(), headers=auth["intake"]).json()["id"]
    approved = httpx.post(
        f"{a.base}/v1/orders/{order_id}/approve",
        json={"justification": "ok"},
        headers=auth["reviewer"],
    )
    assert approved.status_code == 200
    assert _until(b, tokens["platform"], "deny") < 1.0
    lifted = httpx.post(
        f"{b.base}/v1/orders/{order_id}/lift", json={"reason": "over"}, headers=auth["reviewer"]
    )
    assert lifted.status_code == 200
    assert _until(a, tokens["platform"], "allow") < 1.0


def _status(server: Server, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.base}/v1/orders", headers=headers, timeout=5).status_code


def test_a_replaced_token_stops_working_on_every_node_within_two_seconds(
    cluster: tuple[Server, Server, dict[str, str]], postgres_url: str
) -> None:
    a, b, tokens = cluster
    old = tokens["intake"]
    assert _status(a, old) == 200  # now in both nodes' token caches (kept 30 s)
    assert _status(b, old) == 200
    replaced = subprocess.run(
        [sys.executable, "-m", "remit", "user", "token", "intake", "--db", postgres_url],
        capture_output=True,
        text=True,
        check=True,
    )
    new = replaced.stdout.split()[-1]
    started = time.monotonic()
    for server in (a, b):
        while _status(server, old) != 401:
            assert time.monotonic() - started < 2.0, f"{server.base} still takes the old token"
            time.sleep(0.05)
        assert _status(server, new) == 200
