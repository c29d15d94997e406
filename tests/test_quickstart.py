"""The README's quickstart runs as written: its lines, taken from the README, in fresh shells, in
the repository's folder, against the real ``remit serve`` its first block starts, ending with a
refused join.

Each block runs in a new ``bash`` that reads no startup file, with a PATH that holds no virtual
environment (so ``remit`` is found only because the quickstart activates ``.venv``). The lines
run verbatim; the environment only moves what the server writes into a temporary folder and
gives it a free port, so that the test can run beside the rest of the suite and leaves nothing in
the clone: ``REMIT_DATABASE_URL`` and ``REMIT_LOG_KEY`` (settings every command reads) and
``REMIT_PORT``, with the quickstart's one address ``127.0.0.1:8080`` moved to that port.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = "127.0.0.1:8080"


def _block(readme: str, name: str) -> str:
    """The ``sh`` block that follows ``<!-- quickstart: NAME -->``."""
    found = re.search(rf"<!-- quickstart: {name} -->\s*```sh\n(.*?)```", readme, re.S)
    assert found, f"the README has no quickstart block {name!r}"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_env(tmp: Path, port: int) -> dict[str, str]:
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in p]
    env = {
        "PATH": os.pathsep.join(path),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "REMIT_DATABASE_URL": f"sqlite:///{tmp / 'remit.sqlite3'}",
        "REMIT_LOG_KEY": str(tmp / "remit-log.key"),
        "REMIT_PORT": str(port),
    }
    if "CI" in os.environ:
        env["CI"] = os.environ["CI"]
    return env


def _bash(script: str, env: dict[str, str], **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,  # type: ignore[arg-type]
    )


def _state(path: Path) -> tuple[int, int] | None:
    return (path.stat().st_size, path.stat().st_mtime_ns) if path.exists() else None


def test_remit_is_not_on_a_fresh_shells_path_before_activation(tmp_path: Path) -> None:
    shell = _bash("command -v remit", _fresh_env(tmp_path, 0))
    out, _ = shell.communicate(timeout=30)
    assert shell.returncode != 0, f"remit is on the PATH without activating .venv: {out}"


@pytest.mark.slow
def test_the_quickstart_ends_with_a_refused_join(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    server_lines, client_lines = _block(readme, "server"), _block(readme, "client")
    assert "remit serve" in server_lines
    assert ADDRESS in client_lines
    port = _free_port()
    env = _fresh_env(tmp_path, port)
    before = _state(ROOT / "remit.sqlite3")

    # The first terminal: install, activate, serve. Its own process group, ended by its id.
    server = _bash(server_lines, env, start_new_session=True)
    output: list[str] = []
    listening = threading.Event()

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            output.append(line)
            if line.startswith("remit listening on "):
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 600  # `make install` installs the lock when it must
        while not listening.wait(0.2):
            assert server.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
        assert f"http://127.0.0.1:{port}" in output[-1]

        # The second terminal, pasted as it is.
        client = _bash(client_lines.replace(ADDRESS, f"127.0.0.1:{port}"), env)
        out, _ = client.communicate(timeout=120)
        assert client.returncode == 0, out
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        reader.join(timeout=5)
        if server.stdout is not None:
            server.stdout.close()

    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-4:-2] == ["in_review", "active"], out
    allowed, refused = json.loads(lines[-2]), json.loads(lines[-1])
    assert allowed["decision"] == "allow"
    assert allowed["location"]["country"] == "HK"
    assert refused["decision"] == "deny", out
    assert refused["location"]["country"] == "CN"
    assert len(refused["orders"]) == 1
    assert refused["orders"][0].startswith("ord_")
    assert (tmp_path / "remit.sqlite3").exists()
    assert _state(ROOT / "remit.sqlite3") == before  # the clone's own database was not touched
