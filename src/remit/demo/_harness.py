"""The demo's harness: a run's state and results, its output, and the ``remit serve`` it drives.

remit runs as a subprocess on a SQLite file in a temporary folder, on a free port, placing the
participants' 127.0.x.y addresses with the scenario's static location table; every call to it is
authenticated as one of the scenario's people. An answer that makes no sense stops the run with
:class:`DemoFailed`, which is not a failed check.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from remit.connectors.webhook import new_secret
from remit.demo._platform import DemoPlatform
from remit.demo._scenario import Participant, Scenario
from remit.demo._tables import table, wrap
from remit.location import Location

APPEAL_URL = "https://meet.example/appeals"
OPERATOR_URL = "https://meet.example/"

Echo = Callable[[str], None]


class DemoFailed(Exception):
    """The demo could not be run (remit did not start, an answer made no sense): not a check."""


@dataclass(frozen=True)
class Check:
    """One invariant, checked on what happened."""

    name: str
    ok: bool
    detail: str


@dataclass
class DemoResult:
    """The checks of one run, and a few figures."""

    checks: list[Check] = field(default_factory=list)
    removed: int = 0
    stayed: int = 0
    seconds_to_remove: float | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Joined:
    """A participant's join as remit answered it."""

    who: Participant
    status: int
    session_id: str | None
    location: Location
    body: dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def body_of(response: httpx.Response) -> dict[str, Any]:
    """A JSON object answered by remit; anything else is the demo failing, said in one line."""
    try:
        body = response.json()
    except ValueError as exc:
        raise DemoFailed(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code} without JSON: {response.text[:200]}"
        ) from exc
    if not isinstance(body, dict):
        raise DemoFailed(f"{response.request.url.path} answered JSON that is not an object")
    return body


def place_of(location: Location) -> str:
    return location.subdivision or location.country or "unknown"


def location_of(answer: dict[str, Any]) -> Location:
    loc = answer.get("location") or {}
    return Location(loc.get("country"), loc.get("subdivision"), loc.get("source", "none"))


class Harness:
    """A run's state, its output, and the remit it runs against."""

    def __init__(self, scenario: Scenario, echo: Echo, folder: Path, timeout: float) -> None:
        self.s = scenario
        self.echo = echo
        self.folder = folder
        self.timeout = timeout
        self.url = f"sqlite:///{folder / 'remit.sqlite3'}"
        self.platform = DemoPlatform(new_secret())
        self.tokens: dict[str, str] = {}
        self.result = DemoResult()
        self.joined: list[Joined] = []
        self.late_joined: list[Joined] = []
        self.scope_label = ", ".join(scenario.scope)
        self.step_number = 0

    # Output ------------------------------------------------------------------------------------
    def step(self, title: str) -> None:
        self.step_number += 1
        self.echo("")
        self.echo(f"{self.step_number}. {title}")

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.echo(line)

    def para(self, text: str, indent: int = 2) -> None:
        self.lines([" " * indent + line for line in wrap(text, 96 - indent)])

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.result.checks.append(Check(name, ok, detail))

    # remit -------------------------------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[httpx.Client]:
        places = self.folder / "places.csv"
        places.write_text("".join(f"{net},{place}\n" for net, place in self.s.places.items()))
        port = free_port()
        command = [
            sys.executable, "-m", "remit", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--db", self.url, "--static-locations", str(places),
            "--location-sources", "static,iptocc", "--log-key", str(self.folder / "log.key"),
            "--appeal-url", APPEAL_URL, "--operator-url", OPERATOR_URL, "--command-ttl", "300",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        log_path = self.folder / "serve.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                command, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15, trust_env=False)
            with client:
                self._wait_ready(client, server, log_path)
                self.lines(
                    [
                        f"  remit serve (pid {server.pid}) on http://127.0.0.1:{port}, "
                        f"database {self.url}",
                        "  it places addresses with the operator's static table "
                        "(--static-locations) and dial-in numbers by country code:",
                        *table(["network", "place"], [(n, p) for n, p in self.s.places.items()], 4),
                    ]
                )
                yield client
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    def _wait_ready(self, client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                tail = log.read_text("utf-8", "replace").strip().splitlines()[-1:]
                raise DemoFailed(f"remit serve exited with {server.returncode}: {' '.join(tail)}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise DemoFailed("remit serve did not answer /healthz within 60 s")

    def call(
        self, client: httpx.Client, method: str, path: str, who: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        try:
            return client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise DemoFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    # The story ---------------------------------------------------------------------------------
