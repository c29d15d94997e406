"""A real Janus (Debian's ``janus``) for the janus connector's tests, and participants speaking
its HTTP API from their own loopback addresses.

Janus runs with a configuration folder of its own in a temporary directory: only the HTTP
transport (on 127.0.0.1 and a free port, admin API off), only the VideoRoom plugin with one
permanent room, and only the sample event handler, posting to remit. It is started and stopped
(or killed) by its process id.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_process import ServerProcess, http_ok

ROOM = 1234
ROOM_SECRET = "room-secret-for-tests"
MODULES = {
    "plugins": "libjanus_videoroom.so",
    "transports": "libjanus_http.so",
    "events": "libjanus_sampleevh.so",
}


def janus_binary() -> str:
    """``janus``, installed with apt-get when missing; without it the test skips (fails on CI)."""
    found = shutil.which("janus")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "janus"]):
            subprocess.run(command, env=env, capture_output=True, check=False)
        found = shutil.which("janus")
    if found is None:
        reason = "Janus is not installed and apt-get could not install it (Debian package janus)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _module(folder: str, name: str) -> str:
    for path in glob.glob(f"/usr/lib/*/janus/{folder}/{name}") + glob.glob(
        f"/usr/lib/janus/{folder}/{name}"
    ):
        return path
    pytest.fail(f"the janus package has no {folder}/{name}")


class JanusServer(ServerProcess):
    """Janus in ``tmp``, posting its events to ``events_url`` as ``user``:``password``. It gets
    10 s to stop on SIGTERM before SIGKILL."""

    def __init__(self, tmp: Path, port: int, events_url: str, user: str, password: str) -> None:
        super().__init__("Janus", tmp / "janus.log", grace=10)
        self.binary = janus_binary()
        self.tmp = tmp
        self.port = port
        self.url = f"http://127.0.0.1:{port}/janus"
        configs = tmp / "configs"
        configs.mkdir(parents=True, exist_ok=True)
        for folder, name in MODULES.items():  # only these three modules load
            (tmp / folder).mkdir(exist_ok=True)
            link = tmp / folder / name
            if not link.exists():
                link.symlink_to(_module(folder, name))
        (tmp / "loggers").mkdir(exist_ok=True)
        (configs / "janus.jcfg").write_text(
            "general: {\n"
            f'  configs_folder = "{configs}"\n'
            f'  plugins_folder = "{tmp / "plugins"}"\n'
            f'  transports_folder = "{tmp / "transports"}"\n'
            f'  events_folder = "{tmp / "events"}"\n'
            f'  loggers_folder = "{tmp / "loggers"}"\n'
            "  debug_level = 4\n  debug_colors = false\n"
            "  session_timeout = 0\n"  # the test's participants send no keep-alives
            "}\n"
            "nat: { nice_debug = false }\n"
            "events: { broadcast = true }\n"
        )
        (configs / "janus.transport.http.jcfg").write_text(
            "general: {\n"
            '  json = "compact"\n  base_path = "/janus"\n  http = true\n'
            f'  port = {port}\n  ip = "127.0.0.1"\n  https = false\n  events = true\n'
            "}\n"
            "admin: { admin_http = false\n admin_https = false }\n"
        )
        (configs / "janus.plugin.videoroom.jcfg").write_text(
            "general: { events = true }\n"
            f"room-{ROOM}: {{\n"
            '  description = "Tiananmen commemoration"\n'
            f'  secret = "{ROOM_SECRET}"\n'
            "  publishers = 20\n"
            "}\n"
        )
        (configs / "janus.eventhandler.sampleevh.jcfg").write_text(
            "general: {\n"
            '  enabled = true\n  events = "sessions,plugins,transports,core"\n'
            '  grouping = true\n  json = "compact"\n'
            f'  backend = "{events_url}"\n'
            f'  backend_user = "{user}"\n  backend_pwd = "{password}"\n'
            "  max_retransmissions = 8\n  retransmissions_backoff = 250\n"
            "}\n"
        )

    def start(self) -> None:
        command = [self.binary, "-F", str(self.tmp / "configs")]
        command += ["-C", str(self.tmp / "configs" / "janus.jcfg")]
        self.launch(command, partial(http_ok, f"{self.url}/info"), timeout=30)

    # What an operator can see in Janus ---------------------------------------------------
    def manage(self, body: dict[str, Any]) -> dict[str, Any]:
        """One VideoRoom request from 127.0.0.1 (with the room's secret); the plugin's answer."""
        with Participant(self.url, "127.0.0.1") as admin:
            return admin.request({"room": ROOM, "secret": ROOM_SECRET, **body})

    def publishers(self) -> set[int]:
        """The ids of everyone in the room now (VideoRoom ``listparticipants``)."""
        answer = self.manage({"request": "listparticipants"})
        return {p["id"] for p in answer["participants"]}

    def allowed(self) -> set[str]:
        """The room's ``allowed`` list now (its answer to removing a token it does not hold)."""
        answer = self.manage({"request": "allowed", "action": "remove", "allowed": ["none"]})
        return set(answer.get("allowed", []))


class Participant:
    """A client of the Janus HTTP API from its own loopback address (its place on earth)."""

    def __init__(self, url: str, ip: str) -> None:
        transport = httpx.HTTPTransport(local_address=ip)
        self.http = httpx.Client(base_url=url, transport=transport, timeout=10)
        self.session = self._janus("", {"janus": "create"})["data"]["id"]
        attach = {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        self.handle = self._janus(f"/{self.session}", attach)["data"]["id"]

    def __enter__(self) -> Participant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _janus(self, path: str, message: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(path, json={**message, "transaction": os.urandom(6).hex()})
        assert answer.status_code == 200, answer.text
        reply: dict[str, Any] = answer.json()
        assert reply["janus"] != "error", reply
        return reply

    def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous VideoRoom request; the plugin's answer."""
        message = {"janus": "message", "body": body}
        data: dict[str, Any] = self._janus(f"/{self.session}/{self.handle}", message)["plugindata"][
            "data"
        ]
        return data

    def join(self, grant: dict[str, Any]) -> dict[str, Any]:
        """Join as a publisher with what remit answered (room, id, token); the plugin's event
        (``videoroom: joined``, or an error such as 433, not in the allowed list)."""
        body = {"request": "join", "ptype": "publisher", "display": "someone", **grant}
        self._janus(f"/{self.session}/{self.handle}", {"janus": "message", "body": body})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reply = self.http.get(f"/{self.session}", params={"maxev": 1}).json()
            data: dict[str, Any] | None = reply.get("plugindata", {}).get("data")
            if reply.get("janus") == "event" and data is not None:
                return data
        raise AssertionError("Janus did not answer the join")
