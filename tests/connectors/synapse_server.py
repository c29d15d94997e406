"""A real Matrix Synapse homeserver for the synapse connector's tests, with remit's module loaded.

Synapse is installed from PyPI (``matrix-synapse``) into its own virtualenv under the repository's
``.cache/`` (kept between runs); remit's module is imported there from this checkout's ``src``,
which works because the module needs nothing but the standard library, Synapse and Twisted. Each
homeserver has its own config and SQLite database in a temporary folder, listens on 127.0.0.1
only, on a free port, and is stopped by its process id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from remit_server import free_port
from server_process import ServerProcess, http_ok

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "synapse-venv"
PYTHON = VENV / "bin" / "python"
MODULE = "remit.connectors.synapse.module.RemitModule"
SERVER_NAME = "remit.test"
CLIENT = "/_matrix/client/v3"


def _installed() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run([str(PYTHON), "-c", "import synapse.app.homeserver"], check=False)
    return probe.returncode == 0


def ensure_synapse() -> None:
    """Install matrix-synapse into its own virtualenv when it is not there yet.

    When that cannot be done the tests are skipped saying why, and fail under ``CI=true``.
    """
    if _installed():
        return
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "matrix-synapse"],
            check=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        reason = f"matrix-synapse could not be installed into {VENV}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    if not _installed():
        reason = f"matrix-synapse was installed into {VENV} but does not import"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


class SynapseServer(ServerProcess):
    """One homeserver whose remit module talks to ``remit_url`` with ``token`` and ``secret``."""

    def __init__(
        self,
        tmp: Path,
        remit_url: str,
        token: str,
        secret: str,
        on_unreachable: str = "allow",
        port: int | None = None,
    ) -> None:
        super().__init__("Synapse", tmp / "stdout.log", tmp / "homeserver.log", tail=20_000)
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shared_secret = uuid.uuid4().hex
        self.module_config: dict[str, Any] = {
            "remit_url": remit_url,
            "token": token,
            "webhook_secret": secret,
            "on_unreachable": on_unreachable,
            "timeout": 5,
        }
        self._write_config()
        self._synapse("--generate-keys")

    def _write_config(self) -> None:
        many = {"per_second": 1000, "burst_count": 1000}
        config = {
            "server_name": SERVER_NAME,
            "pid_file": str(self.tmp / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.tmp / "synapse.db")}},
            "log_config": str(self.tmp / "log.yaml"),
            "media_store_path": str(self.tmp / "media"),
            "signing_key_path": str(self.tmp / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": uuid.uuid4().hex,
            "form_secret": uuid.uuid4().hex,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "rc_message": many,
            "rc_registration": many,
            "rc_login": {"address": many, "account": many, "failed_attempts": many},
            "rc_joins": {"local": many, "remote": many},
            "rc_joins_per_room": many,
            "rc_invites": {"per_room": many, "per_user": many, "per_issuer": many},
            "modules": [{"module": MODULE, "config": self.module_config}],
        }
        # JSON is YAML: no YAML library needed on this side.
        (self.tmp / "homeserver.yaml").write_text(json.dumps(config, indent=1))
        log = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "plain",
                    "filename": str(self.tmp / "homeserver.log"),
                }
            },
            "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (self.tmp / "log.yaml").write_text(json.dumps(log))

    def _environment(self) -> dict[str, str]:
        path = os.environ.get("PYTHONPATH")
        src = str(ROOT / "src")
        return {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src}

    def _synapse(self, *args: str) -> None:
        command = [str(PYTHON), "-m", "synapse.app.homeserver", "-c", "homeserver.yaml", *args]
        done = subprocess.run(
            command, cwd=self.tmp, env=self._environment(), capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def start(self, **module_config: Any) -> None:
        """Start the homeserver (with the module options changed by ``module_config``)."""
        if module_config:
            self.module_config.update(module_config)
            self._write_config()
        command = [str(PYTHON), "-m", "synapse.app.homeserver", "-c", "homeserver.yaml"]
        ready = partial(http_ok, f"{self.base}/_matrix/client/versions")
        self.launch(command, ready, timeout=60, cwd=self.tmp, env=self._environment())

    def restart(self, **module_config: Any) -> None:
        self.stop()
        self.start(**module_config)

    def register(self, name: str, address: str) -> Matrix:
        """A new (non-admin) user, as a client connecting from ``address``."""
        nonce = httpx.get(f"{self.base}/_synapse/admin/v1/register").json()["nonce"]
        password = uuid.uuid4().hex
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]))
        body = {
            "nonce": nonce,
            "username": name,
            "password": password,
            "admin": False,
            "mac": mac.hexdigest(),
        }
        answer = httpx.post(f"{self.base}/_synapse/admin/v1/register", json=body)
        assert answer.status_code == 200, answer.text
        return Matrix(self.base, answer.json()["user_id"], answer.json()["access_token"], address)


class Matrix:
    """A Matrix client on the client-server API, connecting from its own loopback address so
    that Synapse records that address for its user."""

    def __init__(self, base: str, user_id: str, token: str, address: str) -> None:
        self.user_id = user_id
        self.address = address
        self.http = httpx.Client(
            base_url=base + CLIENT,
            headers={"Authorization": f"Bearer {token}"},
            transport=httpx.HTTPTransport(local_address=address),
            timeout=30,
        )

    def from_address(self, address: str) -> Matrix:
        """The same user and access token, now connecting from ``address``."""
        token = self.http.headers["Authorization"].removeprefix("Bearer ")
        base = str(self.http.base_url).removesuffix(CLIENT + "/").removesuffix(CLIENT)
        return Matrix(base, self.user_id, token, address)

    def create_room(self, preset: str = "public_chat") -> str:
        answer = self.http.post("/createRoom", json={"preset": preset})
        assert answer.status_code == 200, answer.text
        room: str = answer.json()["room_id"]
        return room

    def join(self, room: str) -> httpx.Response:
        return self.http.post(f"/rooms/{quote(room)}/join", json={})

    def leave(self, room: str) -> None:
        answer = self.http.post(f"/rooms/{quote(room)}/leave", json={})
        assert answer.status_code == 200, answer.text

    def member(self, room: str, user: str) -> dict[str, Any]:
        """``user``'s membership event content in ``room``, as this client sees it."""
        path = f"/rooms/{quote(room)}/state/m.room.member/{quote(user)}"
        answer = self.http.get(path)
        assert answer.status_code == 200, answer.text
        content: dict[str, Any] = answer.json()
        return content

    def left_rooms(self) -> dict[str, Any]:
        """The rooms this user has left or been removed from, as ``/sync`` tells them."""
        answer = self.http.get("/sync", params={"timeout": 0})
        assert answer.status_code == 200, answer.text
        rooms: dict[str, Any] = answer.json().get("rooms", {}).get("leave", {})
        return rooms

    def close(self) -> None:
        self.http.close()
