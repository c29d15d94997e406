"""``remit serve`` explains itself: a bad setting, or a port another process holds, ends as one
line and exit 2, before anything is served."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from remit.cli import cli


@pytest.mark.parametrize("types", ["host", "meeting,Meeting", "account", ","])
def test_bad_resource_types_exit_2_with_one_line(tmp_path: Path, types: str) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--resource-types", types])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith("Error: resource-types: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "remit.sqlite3").exists()  # refused before the database is touched


def test_the_types_are_read_from_the_environment_too(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    result = CliRunner().invoke(cli, ["serve", "--db", db], env={"REMIT_RESOURCE_TYPES": "user"})
    assert result.exit_code == 2, result.output
    assert "resource-types: 'user'" in result.stderr


def _serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "remit",
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 'r.sqlite3'}",
    ]
    command += ["--log-key", str(tmp_path / "log.key"), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_busy_port_exits_2_with_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = _serve(tmp_path, "--port", str(port))
        try:
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 2, stderr
    assert stderr.strip() == (
        f"Error: port: 127.0.0.1:{port} is in use by another process; choose another with --port"
    )
    assert "listening" not in stderr
    assert not (tmp_path / "r.sqlite3").exists()  # refused before the database was made


def test_listening_is_printed_once_it_answers(tmp_path: Path) -> None:
    process = _serve(tmp_path, "--port", "0")
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.startswith("remit listening on "):
                break
        announced = "".join(lines)
        assert "remit listening on http://127.0.0.1:" in announced, announced
        url = announced.split("listening on ", 1)[1].split()[0]
        assert url.rsplit(":", 1)[1] != "0"  # the port it really took
        # At once, no retry: it says "listening" only once it serves.
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
