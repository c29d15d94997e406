"""What ``remit serve`` leaves on disk is for its own user only: the database (with its ``-wal``
and ``-shm``), the log key and the first admin's token are mode 0600 under the usual umask, a
folder other users may write to is named in a warning, and the admin's token never reaches a log:
it goes to a 0600 file, or to the terminal when standard error is one."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _command(folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "remit",
        "serve",
        "--port",
        "0",
        "--db",
        f"sqlite:///{folder / 'remit.sqlite3'}",
        "--log-key",
        str(folder / "remit-log.key"),
    ]


def _stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _serve_until_listening(folder: Path) -> tuple[str, str]:
    """Start remit serve with standard error on a pipe (as under a service manager), wait until
    it listens, make one request that writes, stop it: (what it printed, its URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
    with _umask(0o022):
        process = subprocess.Popen(
            _command(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.startswith("remit listening on "):
                break
        printed = "".join(lines)
        assert "remit listening on " in printed, printed
        url = printed.split("listening on ", 1)[1].split()[0]
        token = (folder / "remit-admin.token").read_text().strip()
        # The token in the file is the admin's: remit knows it (an unknown one is 401).
        answer = httpx.get(
            f"{url}/v1/orders", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert answer.status_code != 401, answer.text
        for name in ("remit.sqlite3-wal", "remit.sqlite3-shm"):
            assert (folder / name).exists(), sorted(p.name for p in folder.iterdir())
        # Every file remit made, looked at while it still runs.
        modes = {p.name: _mode(p) for p in folder.iterdir()}
    finally:
        _stop(process)
    assert modes == dict.fromkeys(modes, 0o600), modes
    return printed, url


def test_every_file_serve_creates_is_for_its_user_only(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir(mode=0o755)
    printed, _ = _serve_until_listening(folder)
    names = {p.name for p in folder.iterdir()}
    assert {"remit.sqlite3", "remit-log.key", "remit-admin.token"} <= names
    assert _mode(folder / "remit.sqlite3") == 0o600
    assert "may be written by other users" not in printed  # 0755 is fine


def test_the_first_admin_token_goes_to_a_file_never_to_the_log(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    printed, _ = _serve_until_listening(folder)
    token = (folder / "remit-admin.token").read_text().strip()
    assert token.startswith("remit_")
    assert token not in printed
    assert "remit_" not in printed
    assert f"its token is in {folder / 'remit-admin.token'} (mode 0600" in printed


def test_on_a_terminal_the_first_admin_token_is_shown_and_no_file_is_written(
    tmp_path: Path,
) -> None:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
    process = subprocess.Popen(
        _command(tmp_path), stdout=subprocess.DEVNULL, stderr=follower, env=env
    )
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"remit listening on" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    seen += os.read(leader, 4096)
                except OSError:
                    break
    finally:
        _stop(process)
        os.close(leader)
    text = seen.decode()
    assert "remit listening on" in text, text
    assert "its token (shown once): remit_" in text
    assert not (tmp_path / "remit-admin.token").exists()


def _upgrade(database: Path) -> str:
    """``remit db upgrade`` as an operator runs it: what it prints on standard error."""
    with _umask(0o022):
        done = subprocess.run(
            [sys.executable, "-m", "remit", "db", "upgrade", "--db", f"sqlite:///{database}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_a_folder_others_may_write_to_is_named_in_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    printed = _upgrade(folder / "r.db")
    assert f"the folder {folder} may be written by other users (mode 0777)" in printed
    assert _mode(folder / "r.db") == 0o600


def test_an_existing_database_open_to_others_is_named_in_a_warning(tmp_path: Path) -> None:
    database = tmp_path / "r.db"
    assert "open to other users" not in _upgrade(database)
    database.chmod(0o644)
    printed = _upgrade(database)
    assert f"{database} is open to other users (mode 0644)" in printed
    assert f"chmod 600 {database}" in printed


def test_a_report_written_to_a_file_is_for_its_user_only(tmp_path: Path) -> None:
    database = tmp_path / "r.db"
    _upgrade(database)
    out = tmp_path / "report.csv"
    with _umask(0o022):
        done = subprocess.run(
            [sys.executable, "-m", "remit", "report", "--format", "csv", "--out", str(out),
             "--db", f"sqlite:///{database}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
    assert _mode(out) == 0o600
