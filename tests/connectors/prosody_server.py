"""A real Prosody for the prosody connector's tests, and a small XMPP client to join its rooms.

Prosody (Debian's package, installed here when missing) runs in the foreground as the
``prosody`` user with its own configuration, data and log in a temporary folder, bound to
127.0.0.1 on free ports, with ``mod_remit`` installed beside it the way the guide says. It is
stopped by its process id. The client connects from a chosen loopback address, so that remit
places each participant in a different country.
"""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from remit.connectors.prosody import MODULE
from remit_server import free_port
from server_process import ServerProcess, listening

DOMAIN = "localhost"
MUC = f"conference.{DOMAIN}"
PASSWORD = "correct horse"
MUC_USER = "{http://jabber.org/protocol/muc#user}"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def prosody_available() -> None:
    """Install Prosody from Debian when it is missing; skip (fail on CI) when that cannot be."""
    if shutil.which("prosody") and shutil.which("prosodyctl"):
        return
    why = "Prosody is not installed"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "prosody"],
            capture_output=True,
            env=env,
            check=False,
        )
        if result.returncode == 0 and shutil.which("prosody"):
            return
        why += f" and apt-get install prosody failed: {result.stderr.decode()[-500:]}"
    else:
        why += " and installing it needs root and apt-get"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


class ProsodyServer(ServerProcess):
    """Prosody with a MUC component running ``mod_remit`` against remit at ``remit_url``."""

    def __init__(
        self, remit_url: str, token: str, secret: str, http_port: int, **options: str
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="remit-prosody-"))
        logs = (self.dir / "stdout.log", self.dir / "prosody.log")
        super().__init__("Prosody", *logs, tail=20_000)
        self.c2s_port = free_port()
        self.http_port = http_port
        self.commands_url = f"http://127.0.0.1:{self.http_port}/remit/commands"
        modules = self.dir / "modules"
        modules.mkdir()
        shutil.copy(str(MODULE), modules / "mod_remit.lua")  # the guide's install step
        (self.dir / "data").mkdir()
        settings = {
            "remit_url": remit_url,
            "remit_token": token,
            "remit_secret": secret,
            "remit_sweep_interval": "2",
            **options,
        }
        component = "".join(f"    {key} = {_lua(value)}\n" for key, value in settings.items())
        self.config = self.dir / "prosody.cfg.lua"
        self.config.write_text(
            f"""
pidfile = "{self.dir}/prosody.pid"
data_path = "{self.dir}/data"
plugin_paths = {{ "{modules}" }}
log = {{ debug = "{self.dir}/prosody.log" }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {self.c2s_port} }}
http_ports = {{ {self.http_port} }}
http_interfaces = {{ "127.0.0.1" }}
https_ports = {{ }}
s2s_ports = {{ }}
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "offline" }}
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true

VirtualHost "{DOMAIN}"

Component "{MUC}" "muc"
    modules_enabled = {{ "remit" }}
    muc_room_locking = false
    http_host = "127.0.0.1"
{component}"""
        )
        self._own(self.dir)

    def _own(self, path: Path) -> None:
        """Give the folder to the prosody user, which Prosody runs as."""
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam("prosody")
        for root, dirs, names in os.walk(path):
            for name in [root, *(os.path.join(root, n) for n in dirs + names)]:
                os.chown(name, user.pw_uid, user.pw_gid)

    def _as_prosody(self) -> dict[str, Any]:
        return {"user": "prosody", "group": "prosody"} if os.geteuid() == 0 else {}

    def register(self, *users: str) -> None:
        for user in users:
            subprocess.run(
                ["prosodyctl", "--config", str(self.config), "register", user, DOMAIN, PASSWORD],
                check=True,
                capture_output=True,
                **self._as_prosody(),
            )

    def start(self) -> None:
        """Start Prosody in the foreground and wait until it takes XMPP connections."""
        command = ["prosody", "--config", str(self.config), "-F"]
        ready = partial(listening, self.http_port, self.c2s_port)
        self.launch(command, ready, timeout=30, **self._as_prosody())

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(
        self, user: str, source: str, language: str = "en", resource: str = "test"
    ) -> XmppClient:
        return XmppClient(self, user, source, language, resource)


def _lua(value: str) -> str:
    return value if value.isdigit() else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XmppClient:
    """One XMPP account's connection from ``source``: SASL PLAIN without TLS, a resource, and
    every stanza it receives kept in :attr:`received`."""

    def __init__(
        self, server: ProsodyServer, user: str, source: str, language: str, resource: str
    ) -> None:
        self.user, self.language = user, language
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", server.c2s_port))
        self.received: list[ET.Element] = []
        self._changed = threading.Condition()
        self._closed = False
        self._open_stream()
        self._next("{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms", features=True)
        plain = base64.b64encode(f"\0{user}\0{PASSWORD}".encode()).decode()
        self._send(
            f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>"
        )
        answer = self._next_stanza()
        assert answer.tag.endswith("success"), ET.tostring(answer)
        self._open_stream()
        self._next("{urn:ietf:params:xml:ns:xmpp-bind}bind", features=True)
        self._send(
            "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            f"<resource>{resource}</resource></bind></iq>"
        )
        bound = self._next_stanza()
        self.jid = bound.findtext(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        assert self.jid, ET.tostring(bound)
        self._send("<presence/>")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- the stream ----------------------------------------------------------------------------

    def _send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def _open_stream(self) -> None:
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._ready: list[ET.Element] = []
        self._send(
            f"<?xml version='1.0'?><stream:stream to='{DOMAIN}' xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        )

    def _feed(self, data: bytes) -> None:
        self._parser.feed(data)
        for event, element in self._parser.read_events():
            if event == "start":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 1:
                    self._ready.append(element)

    def _next_stanza(self) -> ET.Element:
        while not self._ready:
            data = self.sock.recv(65536)
            assert data, "Prosody closed the stream"
            self._feed(data)
        return self._ready.pop(0)

    def _next(self, child: str, features: bool) -> ET.Element:
        stanza = self._next_stanza()
        assert stanza.find(child) is not None, ET.tostring(stanza)
        return stanza

    def _read(self) -> None:
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self._feed(data)
                with self._changed:
                    self.received.extend(self._ready)
                    self._ready.clear()
                    self._changed.notify_all()
        except (OSError, ET.ParseError):
            pass
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(
        self, what: str, check: Callable[[ET.Element], bool], timeout: float = 30
    ) -> ET.Element:
        """The first received stanza for which ``check`` holds; fails naming ``what``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for stanza in self.received:
                    if check(stanza):
                        return stanza
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(
                        f"{self.user} timed out waiting for {what}; received:\n"
                        + "\n".join(ET.tostring(s).decode() for s in self.received)
                    )
                self._changed.wait(left)

    def close(self) -> None:
        try:
            self._send("</stream:stream>")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # -- rooms ---------------------------------------------------------------------------------

    def join(self, room: str, nick: str | None = None) -> None:
        """Send a join; see :meth:`joined` / :meth:`refusal` for the answer."""
        self._send(
            f"<presence to='{room}/{nick or self.user}' xml:lang='{self.language}'>"
            "<x xmlns='http://jabber.org/protocol/muc'/></presence>"
        )

    def leave(self, room: str, nick: str | None = None) -> None:
        self._send(f"<presence type='unavailable' to='{room}/{nick or self.user}'/>")

    def say(self, room: str, text: str) -> None:
        self._send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")

    def joined(self, room: str) -> ET.Element:
        """Wait for our own presence in ``room`` (status 110): we are in."""
        return self.wait_for(f"joining {room}", lambda s: _self_presence(s, room, None))

    def refusal(self, room: str) -> ET.Element:
        """Wait for an error presence from ``room``; returns its ``<error>``."""
        stanza = self.wait_for(
            f"a refusal from {room}",
            lambda s: (
                s.tag == "{jabber:client}presence"
                and s.get("type") == "error"
                and s.get("from", "").startswith(room)
            ),
        )
        error = stanza.find("{jabber:client}error")
        assert error is not None
        return error

    def kicked(self, room: str) -> ET.Element:
        """Wait for our own unavailable presence from ``room`` with status 307 (kicked)."""
        return self.wait_for(f"a kick from {room}", lambda s: _self_presence(s, room, "307"))

    def sees(self, room: str, nick: str) -> ET.Element:
        """Wait until ``nick`` is seen in ``room`` (an available presence from it)."""
        return self.wait_for(
            f"{nick} in {room}",
            lambda s: (
                s.tag == "{jabber:client}presence"
                and s.get("from") == f"{room}/{nick}"
                and s.get("type") is None
            ),
        )

    def present(self, room: str) -> set[str]:
        """The nicknames this client currently sees in ``room``, from the presences received."""
        with self._changed:
            seen: dict[str, bool] = {}
            for s in self.received:
                sender = s.get("from", "")
                if (
                    s.tag == "{jabber:client}presence"
                    and sender.startswith(room + "/")
                    and s.get("type") in (None, "unavailable")
                ):
                    seen[sender.split("/", 1)[1]] = s.get("type") is None
            return {nick for nick, here in seen.items() if here}


def _self_presence(stanza: ET.Element, room: str, code: str | None) -> bool:
    if stanza.tag != "{jabber:client}presence" or not stanza.get("from", "").startswith(room + "/"):
        return False
    codes = {status.get("code") for status in stanza.iter(MUC_USER + "status")}
    if "110" not in codes:
        return False
    if code is None:
        return stanza.get("type") is None
    return stanza.get("type") == "unavailable" and code in codes
