"""A real ``remit serve`` for the conferencing-server tests (and the console's browser test): its
own database, users, platform and static location table, started as a process and stopped (or
killed) by its process id."""

from __future__ import annotations

import os
import socket
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import httpx
from click.testing import CliRunner
from standardwebhooks import Webhook

from remit.cli import cli
from remit.connectors.webhook import new_secret
from server_process import ServerProcess, http_ok

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


def cli_out(*args: str, input: str | None = None) -> str:
    """Run remit's CLI in-process; its standard output (a failure fails the test)."""
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def forged_headers(body: str) -> dict[str, str]:
    """Standard Webhooks headers for ``body``: well formed and current, but signed with a secret
    that is not the one remit holds."""
    now = datetime.now(UTC)
    return {
        "webhook-id": "forged-1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(new_secret()).sign("forged-1", now, body),
        "content-type": "application/json",
    }


def demand(
    meeting: str, host: str, jurisdiction: str = "CN", kind: str = "meeting"
) -> dict[str, Any]:
    """A demand like the 2020 one, for one meeting (or another ``kind`` of resource, such as a
    channel) and its host, as an intake user records it."""
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
        "targets": [{"type": kind, "id": meeting}, {"type": "host", "id": host}],
    }


class RemitServer(ServerProcess):
    """``remit serve`` on a SQLite file in ``tmp``, with the users of :attr:`USERS` (``intake``
    and ``reviewer``, one role each) and one platform. Survives :meth:`restart` (its database is
    a file)."""

    #: Each user's roles.
    USERS: ClassVar[dict[str, tuple[str, ...]]] = {"intake": ("intake",), "reviewer": ("reviewer",)}

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        super().__init__("remit", tmp / "remit.log")
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'remit.sqlite3'}"
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tokens: dict[str, str] = {}
        self.shown: dict[str, str] = {}  # what `platform add` showed once (a webhook secret, …)
        cli_out("db", "upgrade", "--db", self.db)
        for who, roles in self.USERS.items():
            args = ["user", "add", who, "--db", self.db]
            for role in roles:
                args += ["--role", role]
            self.tokens[who] = cli_out(*args).split()[-1]

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
        ready = partial(http_ok, f"{self.base}/healthz")
        self.launch(command, ready, timeout=60, env={**os.environ, **env})

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, who: str) -> httpx.Client:
        """An HTTP client for remit, authenticated as ``who``."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def enforce(
        self, meeting: str, host: str, jurisdiction: str = "CN", kind: str = "meeting"
    ) -> str:
        """Record a demand (as intake) and approve it (as reviewer); returns the order id."""
        with self.client("intake") as intake:
            created = intake.post("/v1/orders", json=demand(meeting, host, jurisdiction, kind))
            assert created.status_code == 201, created.text
            order_id: str = created.json()["id"]
        with self.client("reviewer") as reviewer:
            approved = reviewer.post(
                f"/v1/orders/{order_id}/approve", json={"justification": "reviewed"}
            )
            assert approved.status_code == 200, approved.text
            assert approved.json()["status"] == "active", approved.text
        return order_id

    def refusal(
        self, platform: str, resource: dict[str, str], participant: dict[str, str]
    ) -> dict[str, Any]:
        """remit's 451 answer (the notice) to ``platform`` for a join it refuses."""
        with self.client(platform) as client:
            answer = client.post(
                "/v1/sessions", json={"resource": resource, "participant": participant}
            )
        assert answer.status_code == 451, answer.text
        problem: dict[str, Any] = answer.json()
        return problem

    def removals_delivered(
        self, platform: str, order_id: str, timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Wait until ``order_id``'s removals to ``platform`` include a delivered one; those."""
        return self.wait_for(
            "the removal delivered",
            lambda: [
                c
                for c in self.commands(platform, order_id=order_id)
                if c["type"] == "participant.remove" and c["status"] == "delivered"
            ],
            timeout=timeout,
        )

    def commands(self, platform: str, **query: str) -> list[dict[str, Any]]:
        """The platform's commands in remit's outbox."""
        with self.client(platform) as client:
            answer = client.get("/v1/commands", params=query)
            assert answer.status_code == 200, answer.text
            commands: list[dict[str, Any]] = answer.json()["commands"]
            return commands
