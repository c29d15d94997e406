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

from debian import debian_packages

from remit.connectors.prosody import MODULE
from remit_server import free_port
from server_process import ServerProcess, listening

#: Prosody modules of the tests' own (such as Jitsi's breakout-room bookkeeping, mimicked).
TEST_MODULES = Path(__file__).parent / "prosody_modules"
DOMAIN = "localhost"
MUC = f"conference.{DOMAIN}"
PASSWORD = "correct horse"
MUC_USER = "{http://jabber.org/protocol/muc#user}"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def prosody_available() -> None:
    """Install Prosody from Debian when it is missing; skip (fail on CI) when that cannot be."""
    debian_packages(
        "Prosody",
        ("prosody",),
        lambda: bool(shutil.which("prosody") and shutil.which("prosodyctl")),
    )


class ProsodyServer(ServerProcess):
    """Prosody with a MUC component running ``mod_remit`` against remit at ``remit_url``."""

    def __init__(
        self,
        remit_url: str,
        token: str,
        secret: str,
        http_port: int,
        *,
        domain: str = DOMAIN,
        components: dict[str, dict[str, str]] | None = None,
        main_modules: tuple[str, ...] = ("remit",),
        vhost_modules: tuple[str, ...] = (),
        extra_config: str = "",
        options: dict[str, str] | None = None,
    ) -> None:
        """``options`` are the main MUC's (``conference.<domain>``) settings beside remit's;
        ``components`` more MUC components with ``mod_remit``, by name, with their own settings;
        ``main_modules`` the main MUC's modules; ``vhost_modules`` more modules of the
        VirtualHost (``websocket``, ``bosh``); ``extra_config`` raw Lua for the global section."""
        self.dir = Path(tempfile.mkdtemp(prefix="remit-prosody-"))
        logs = (self.dir / "stdout.log", self.dir / "prosody.log")
        super().__init__("Prosody", *logs, tail=20_000)
        self.domain = domain
        self.muc = f"conference.{domain}"
        self.c2s_port = free_port()
        self.http_port = http_port
        self.commands_url = f"http://127.0.0.1:{self.http_port}/remit/commands"
        modules = self.dir / "modules"
        modules.mkdir()
        shutil.copy(str(MODULE), modules / "mod_remit.lua")  # the guide's install step
        for module in TEST_MODULES.glob("mod_*.lua"):
            shutil.copy(module, modules / module.name)
        (self.dir / "data").mkdir()
        remit = {
            "remit_url": remit_url,
            "remit_token": token,
            "remit_secret": secret,
            "remit_sweep_interval": "2",
        }
        main = _settings({**remit, **(options or {})})
        others = "".join(
            f'\nComponent "{name}" "muc"\n    modules_enabled = {{ "remit" }}\n'
            f"    muc_room_locking = false\n{_settings({**remit, **settings})}"
            for name, settings in (components or {}).items()
        )
        vhost = ", ".join(f'"{m}"' for m in vhost_modules)
        listed = ", ".join(f'"{m}"' for m in main_modules)
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
{extra_config}

VirtualHost "{domain}"
    modules_enabled = {{ {vhost} }}

Component "{self.muc}" "muc"
    modules_enabled = {{ {listed} }}
    muc_room_locking = false
    http_host = "127.0.0.1"
{main}{others}"""
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
        command = ["prosodyctl", "--config", str(self.config), "register"]
        for user in users:
            subprocess.run(
                [*command, user, self.domain, PASSWORD],
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


def _settings(settings: dict[str, str]) -> str:
    return "".join(f"    {key} = {_lua(value)}\n" for key, value in settings.items())


def _lua(value: str) -> str:
    return value if value.isdigit() else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XmppRooms:
    """An XMPP account's signed-in stream, over some transport, and its multi-user chat: every
    stanza received is kept in :attr:`received`. Transports provide ``_send`` (raw XML out),
    ``_open_stream`` (open or restart the stream), ``_next_stanza`` (block for the next element
    while signing in) and ``close``; they call :meth:`_deliver` with what their reader gets."""

    user: str
    language: str
    jid: str
    domain: str

    def _setup(self, user: str, language: str, domain: str) -> None:
        self.user, self.language, self.domain = user, language, domain
        self.received: list[ET.Element] = []
        self._changed = threading.Condition()
        self._closed = False

    def _send(self, text: str) -> None:
        raise NotImplementedError

    def _open_stream(self) -> None:
        raise NotImplementedError

    def _next_stanza(self) -> ET.Element:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _login(self, resource: str) -> None:
        """SASL PLAIN, a stream restart, resource binding and initial presence."""
        self._open_stream()
        features = self._next_stanza()
        assert features.find("{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms") is not None, (
            ET.tostring(features)
        )
        plain = base64.b64encode(f"\0{self.user}\0{PASSWORD}".encode()).decode()
        self._send(
            f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>"
        )
        answer = self._next_stanza()
        assert answer.tag.endswith("success"), ET.tostring(answer)
        self._open_stream()
        features = self._next_stanza()
        assert features.find("{urn:ietf:params:xml:ns:xmpp-bind}bind") is not None, ET.tostring(
            features
        )
        self._send(
            "<iq type='set' id='bind' xmlns='jabber:client'>"
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            f"<resource>{resource}</resource></bind></iq>"
        )
        bound = self._next_stanza()
        jid = bound.findtext(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        assert jid, ET.tostring(bound)
        self.jid = jid
        self._send("<presence xmlns='jabber:client'/>")

    def _deliver(self, stanzas: list[ET.Element]) -> None:
        with self._changed:
            self.received.extend(stanzas)
            self._changed.notify_all()

    def _ended(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def send(self, text: str) -> None:
        """Send raw XML (a stanza of the test's own)."""
        self._send(text)

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

    # -- rooms ---------------------------------------------------------------------------------

    def join(self, room: str, nick: str | None = None, extra: str = "") -> None:
        """Send a join (with ``extra`` children); see :meth:`joined` / :meth:`refusal` for the
        answer. It carries the client's language as ``xml:lang``, when it has one."""
        lang = f" xml:lang='{self.language}'" if self.language else ""
        self._send(
            f"<presence xmlns='jabber:client' to='{room}/{nick or self.user}'{lang}>"
            f"<x xmlns='http://jabber.org/protocol/muc'/>{extra}</presence>"
        )

    def leave(self, room: str, nick: str | None = None) -> None:
        self._send(
            f"<presence xmlns='jabber:client' type='unavailable' to='{room}/{nick or self.user}'/>"
        )

    def say(self, room: str, text: str) -> None:
        self._send(
            f"<message xmlns='jabber:client' to='{room}' type='groupchat'><body>{text}</body>"
            "</message>"
        )

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


class XmppClient(XmppRooms):
    """One XMPP account's connection from ``source`` over TCP (c2s): SASL PLAIN without TLS."""

    def __init__(
        self, server: ProsodyServer, user: str, source: str, language: str, resource: str
    ) -> None:
        self._setup(user, language, server.domain)
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", server.c2s_port))
        self._login(resource)
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
            f"<?xml version='1.0'?><stream:stream to='{self.domain}' xmlns='jabber:client' "
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

    def _read(self) -> None:
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self._feed(data)
                ready, self._ready = self._ready, []
                self._deliver(ready)
        except (OSError, ET.ParseError):
            pass
        self._ended()

    def close(self) -> None:
        try:
            self._send("</stream:stream>")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _self_presence(stanza: ET.Element, room: str, code: str | None) -> bool:
    if stanza.tag != "{jabber:client}presence" or not stanza.get("from", "").startswith(room + "/"):
        return False
    codes = {status.get("code") for status in stanza.iter(MUC_USER + "status")}
    if "110" not in codes:
        return False
    if code is None:
        return stanza.get("type") is None
    return stanza.get("type") == "unavailable" and code in codes
