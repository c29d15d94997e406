"""A real ``remit serve`` (console included) for the browser tests: its own SQLite file, a static
location table, users with passwords, and a platform whose webhook receiver is down.
Started as a process and stopped by its process id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from remit.cli import cli

#: Where the participants are: each connects from its own loopback address.
PLACES = {"127.0.0.10": "CN", "127.0.0.20": "HK", "127.0.0.50": "US"}
PASSWORD = "tiananmen-1989-06-04"


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


class ConsoleServer:
    """``remit serve`` on a SQLite file in ``tmp``. ``intake`` records demands and may also
    review (so that four eyes, not a missing role, is what stops them approving their own);
    ``reviewer`` reviews. Both sign in with :data:`PASSWORD`. The platform ``meet`` delivers to
    a port nothing listens on, so its commands fail, as with a platform that is down."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'remit.sqlite3'}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        cli_out("db", "upgrade", "--db", self.db)
        users = {"intake": ("intake", "reviewer"), "reviewer": ("reviewer",)}
        for name, roles in users.items():
            args = ["user", "add", name, "--db", self.db]
            for role in roles:
                args += ["--role", role]
            cli_out(*args)
            cli_out("user", "passwd", name, "--password-stdin", "--db", self.db, input=PASSWORD)
        down = f"http://127.0.0.1:{free_port()}/webhooks"  # nothing listens there
        shown = cli_out("platform", "add", "meet", "--webhook-url", down, "--db", self.db)
        self.platform_token = next(
            line.split(": ", 1)[1] for line in shown.splitlines() if line.startswith("token: ")
        )

    def start(self) -> None:
        table = self.tmp / "places.csv"
        table.write_text("".join(f"{ip},{place}\n" for ip, place in PLACES.items()))
        command = [sys.executable, "-m", "remit", "serve", "--port", str(self.port)]
        command += ["--db", self.db, "--static-locations", str(table)]
        command += ["--log-key", str(self.tmp / "log.key")]
        # Deliveries give up after 3 s, so the live view shows a failure within the test.
        env = {**os.environ, "REMIT_COMMAND_TTL_SECONDS": "3"}
        with (self.tmp / "remit.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
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

    def join(self, participant: str, ip: str, meeting: str = "june4-a") -> None:
        """The platform reports a participant in the meeting (POST /v1/sessions)."""
        body = {
            "resource": {"type": "meeting", "id": meeting, "host": "host-us-1"},
            "participant": {"id": participant, "ip": ip},
        }
        headers = {"Authorization": f"Bearer {self.platform_token}"}
        answer = httpx.post(f"{self.base}/v1/sessions", json=body, headers=headers, timeout=10)
        assert answer.status_code == 201, answer.text
