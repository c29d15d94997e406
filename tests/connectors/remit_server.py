"""A real ``remit serve`` for the conferencing-server tests: its own database, users, platform and
static location table, started as a process and stopped (or killed) by its process id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from remit.cli import cli

#: Where the test participants are: each connects from its own loopback address.
PLACES = {
    "127.0.0.10": "CN",
    "127.0.0.11": "CN-BJ",
    "127.0.0.20": "HK",
    "127.0.0.30": "MO",
    "127.0.0.40": "TW",
    "127.0.0.50": "US",
}
IN_SCOPE = "127.0.0.10"  # mainland China: inside the 2020 demand's jurisdiction
OUTSIDE = ("127.0.0.20", "127.0.0.50")  # Hong Kong and the US: outside it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_out(*args: str) -> str:
    """Run remit's CLI in-process; its standard output (a failure fails the test)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def demand(meeting: str, host: str, jurisdiction: str = "CN") -> dict[str, Any]:
    """A demand like the 2020 one, for one meeting and its host, as an intake user records it."""
    return {
        "type": "GovernmentRequest",
        "authority": {
            "name": "Ministry of Public Security",
            "kind": "ministry",
            "jurisdiction": jurisdiction,
        },
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": f"case-{meeting}",
        "received_at": "2020-06-01T09:00:00+08:00",
        "request": {
            "text": "Stop the meeting and close the host's account.",
            "action": "delete_account",
            "scope": ["*"],
        },
        "targets": [{"type": "meeting", "id": meeting}, {"type": "host", "id": host}],
    }


class RemitServer:
    """``remit serve`` on a SQLite file in ``tmp``, with users ``intake`` and ``reviewer`` and one
    platform. Survives :meth:`restart` (its database is a file)."""

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'remit.sqlite3'}"
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tokens: dict[str, str] = {}
        self.shown: dict[str, str] = {}  # what `platform add` showed once (a webhook secret, …)
        self.process: subprocess.Popen[bytes] | None = None
        cli_out("db", "upgrade", "--db", self.db)
        for who in ("intake", "reviewer"):
            self.tokens[who] = cli_out("user", "add", who, "--role", who, "--db", self.db).split()[
                -1
            ]

    def add_platform(self, name: str, connector: str, settings: dict[str, str]) -> str:
        """Register a platform with ``connector``; returns its token (also in ``tokens``)."""
        args = ["platform", "add", name, "--connector", connector, "--db", self.db]
        for key, value in settings.items():
            args += ["--setting", f"{key}={value}"]
        lines = cli_out(*args).splitlines()
        for line in lines:
            key, _, value = line.partition(": ")
            self.shown[key] = value
        self.tokens[name] = self.shown.pop("token")
        return self.tokens[name]

    def start(self, **env: str) -> None:
        table = self.tmp / "places.csv"
        table.write_text("".join(f"{ip},{place}\n" for ip, place in PLACES.items()))
        command = [sys.executable, "-m", "remit", "serve", "--port", str(self.port)]
        command += ["--db", self.db, "--static-locations", str(table)]
        command += ["--log-key", str(self.tmp / "log.key")]
        environment = {**os.environ, **env}
        with (self.tmp / "remit.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("remit did not start:\n" + self.log())

    def log(self) -> str:
        path = self.tmp / "remit.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop remit by its process id (SIGTERM, then SIGKILL after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, who: str) -> httpx.Client:
        """An HTTP client for remit, authenticated as ``who``."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def enforce(self, meeting: str, host: str, jurisdiction: str = "CN") -> str:
        """Record a demand (as intake) and approve it (as reviewer); returns the order id."""
        with self.client("intake") as intake:
            created = intake.post("/v1/orders", json=demand(meeting, host, jurisdiction))
            assert created.status_code == 201, created.text
            order_id: str = created.json()["id"]
        with self.client("reviewer") as reviewer:
            approved = reviewer.post(
                f"/v1/orders/{order_id}/approve", json={"justification": "reviewed"}
            )
            assert approved.status_code == 200, approved.text
            assert approved.json()["status"] == "active", approved.text
        return order_id

    def commands(self, platform: str, **query: str) -> list[dict[str, Any]]:
        """The platform's commands in remit's outbox."""
        with self.client(platform) as client:
            answer = client.get("/v1/commands", params=query)
            assert answer.status_code == 200, answer.text
            commands: list[dict[str, Any]] = answer.json()["commands"]
            return commands

    def wait_for(self, what: str, check: Any, timeout: float = 60.0) -> Any:
        """Poll ``check()`` until it is truthy; fail naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n--- remit log ---\n{self.log()}")
