"""A server the tests run as a subprocess: its output appended to a log file, started when a
readiness check passes, and stopped or killed by its own process id (never by its name).

The test harnesses (remit, Janus, Prosody, Synapse) subclass :class:`ServerProcess`; ``tests/``
is on ``sys.path`` (it holds a ``conftest.py``), so ``from server_process import ServerProcess``
works from every test folder.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def http_ok(url: str) -> bool:
    """Whether a GET of ``url`` answers 200 now."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def listening(*ports: int) -> bool:
    """Whether every one of ``ports`` on 127.0.0.1 takes a TCP connection now."""
    try:
        for port in ports:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
    except OSError:
        return False
    return True


class ServerProcess:
    """One server process named ``name`` (in failure messages), writing to ``output``.

    :meth:`log` reads ``output`` and any further ``logs`` the server writes itself (the last
    ``tail`` characters of each, when given); :meth:`stop` waits ``grace`` seconds after SIGTERM
    before it sends SIGKILL.
    """

    def __init__(
        self, name: str, output: Path, *logs: Path, grace: float = 20.0, tail: int | None = None
    ) -> None:
        self.name = name
        self.output = output
        self.logs = (output, *logs)
        self.grace = grace
        self.tail = tail
        self.process: subprocess.Popen[bytes] | None = None

    def launch(
        self,
        command: Sequence[str],
        ready: Callable[[], bool],
        timeout: float,
        **popen: Any,
    ) -> None:
        """Run ``command`` (``popen``: ``env``, ``cwd``, ``user``, ``group``… for Popen) and wait
        until ``ready()``; fail with the log if the process dies or ``timeout`` seconds pass."""
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.1)
        code = self.process.poll()
        why = f"it exited with {code}" if code is not None else f"not ready after {timeout:g} s"
        raise AssertionError(f"{self.name} did not start ({why}):\n{self.log()}")

    def log(self) -> str:
        parts = []
        for path in self.logs:
            if path.exists():
                text = path.read_text(errors="replace")
                parts.append(text[-self.tail :] if self.tail else text)
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop the server by its process id: SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """Crash the server: SIGKILL to its process id, so it tidies nothing up."""
        assert self.process is not None, f"{self.name} was never started"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def wait_for(self, what: str, check: Callable[[], T], timeout: float = 60.0) -> T:
        """Poll ``check()`` until it is truthy; fail naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n--- {self.name} log ---\n{self.log()}")
