"""A real Murmur, the remit-mumble bridge beside it, and a small Mumble protocol client.

Murmur (Debian's ``mumble-server``, installed here with Debian's Ice bindings when missing) runs
in the foreground with its own ini, database and certificate in a temporary folder, on 127.0.0.1,
its Ice interface on a free port with a write secret. The bridge runs as the guide says: Debian's
``/usr/bin/python3`` on the file remit ships (:data:`remit.connectors.mumble.BRIDGE`), with an ini
of its own. Both are stopped by their process ids. The client speaks the Mumble protocol itself
(TLS, then framed protobuf messages, written by hand below for the few messages it needs) from a
chosen loopback address, so that remit places each user in a different country.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import queue
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from debian import debian_packages

from remit.connectors.mumble import BRIDGE
from remit_server import free_port
from server_process import ServerProcess, listening

SYSTEM_PYTHON = "/usr/bin/python3"
SLICE = "/usr/share/slice/Murmur.ice"
PACKAGES = ("mumble-server", "python3-zeroc-ice", "zeroc-ice-slice")
SUPERUSER_PASSWORD = "correct horse"


def _ready() -> bool:
    if not (shutil.which("murmurd") or Path("/usr/sbin/murmurd").exists()):
        return False
    if not Path(SLICE).exists() or not Path(SYSTEM_PYTHON).exists():
        return False
    found = subprocess.run([SYSTEM_PYTHON, "-c", "import Ice"], capture_output=True, check=False)
    return found.returncode == 0


def mumble_available() -> None:
    """Install Murmur and Ice from Debian when missing; skip (fail on CI) when that cannot be."""
    debian_packages("Murmur with Debian's Ice bindings", PACKAGES, _ready)


class MurmurServer(ServerProcess):
    """murmurd on 127.0.0.1, its Ice interface on ``ice_port`` behind ``ice_secret``."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="remit-murmur-"))
        super().__init__("Murmur", self.dir / "murmur.log")
        self.port, self.ice_port = free_port(), free_port()
        self.ice_secret = "murmur-ice-secret"
        user = "uname=mumble-server\n" if os.geteuid() == 0 else ""
        self.ini = self.dir / "murmur.ini"
        self.ini.write_text(
            f"database={self.dir}/murmur.sqlite\n"
            f'ice="tcp -h 127.0.0.1 -p {self.ice_port}"\n'
            f"icesecretwrite={self.ice_secret}\n"
            "logfile=\npidfile=\nhost=127.0.0.1\n"
            f"port={self.port}\n{user}bonjour=False\nregisterName=\n"
            "autobanAttempts=0\nwelcometext=\n"
        )
        if os.geteuid() == 0:
            owner = pwd.getpwnam("mumble-server")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)

    def start(self) -> None:
        if not (self.dir / "murmur.sqlite").exists():
            subprocess.run(
                ["murmurd", "-ini", str(self.ini), "-supw", SUPERUSER_PASSWORD],
                capture_output=True,
                check=True,
                timeout=60,
            )
        ready = partial(listening, self.port, self.ice_port)
        self.launch(["murmurd", "-ini", str(self.ini), "-fg"], ready, timeout=30)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Bridge(ServerProcess):
    """remit-mumble under Debian's Python, with the ini the guide describes."""

    def __init__(self, murmur: MurmurServer, remit_url: str, token: str, secret: str,
                 port: int, **settings: str) -> None:  # fmt: skip
        self.dir = Path(tempfile.mkdtemp(prefix="remit-mumble-"))
        super().__init__("remit-mumble", self.dir / "bridge.log", grace=10)
        self.port = port
        self.commands_url = f"http://127.0.0.1:{port}/remit/commands"
        murmur_settings = {
            "ice": f"tcp -h 127.0.0.1 -p {murmur.ice_port}",
            "secret": murmur.ice_secret,
            "name": "mumble.test",
            **settings,
        }
        sections = {
            "remit": {"url": remit_url, "token": token, "secret": secret, "timeout": "2"},
            "murmur": murmur_settings,
            "bridge": {
                "listen": f"127.0.0.1:{port}",
                "state": str(self.dir / "state.json"),
                "sweep_interval": "2",
            },
        }
        self.ini = self.dir / "remit-mumble.ini"
        self.ini.write_text(
            "".join(
                f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
                for name, values in sections.items()
            )
        )
        self.program = self.dir / "remit-mumble.py"
        shutil.copy(str(BRIDGE), self.program)  # the guide's install step

    def start(self) -> None:
        command = [SYSTEM_PYTHON, str(self.program), str(self.ini)]
        self.launch(command, partial(listening, self.port), timeout=30)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the Mumble protocol, as much of it as the tests need --------------------------------------

VERSION, AUTHENTICATE, PING, REJECT, SERVER_SYNC = 0, 2, 3, 4, 5
CHANNEL_STATE, USER_REMOVE, USER_STATE, TEXT_MESSAGE = 7, 8, 9, 11


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode(**fields: int | str | bool) -> bytes:
    """A protobuf message from ``f<number>=value`` fields (integers as varints, text as bytes)."""
    out = bytearray()
    for name, value in fields.items():
        number = int(name[1:])
        if isinstance(value, str):
            data = value.encode()
            out += _varint(number << 3 | 2) + _varint(len(data)) + data
        else:
            out += _varint(number << 3) + _varint(int(value))
    return bytes(out)


def decode(data: bytes) -> dict[int, list[Any]]:
    """The fields of a protobuf message: number -> values (ints, or bytes)."""
    fields: dict[int, list[Any]] = {}
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, kind = key >> 3, key & 7
        value: Any
        if kind == 0:
            value, i = _read_varint(data, i)
        elif kind == 2:
            length, i = _read_varint(data, i)
            value, i = data[i : i + length], i + length
        elif kind in (1, 5):
            size = 8 if kind == 1 else 4
            value, i = int.from_bytes(data[i : i + size], "little"), i + size
        else:
            raise ValueError(f"protobuf wire type {kind}")
        fields.setdefault(number, []).append(value)
    return fields


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


class MumbleClient:
    """A Mumble user connected from ``source``: TLS, Version and Authenticate, pings, and every
    message received kept as (type, fields) in :attr:`received`. One thread does all the TLS
    reading and writing (an OpenSSL connection is not to be read and written from two threads
    at once); :meth:`send` queues for it."""

    def __init__(self, port: int, name: str, source: str, password: str = "") -> None:
        self.name = name
        raw = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # its own certificate
        self.sock = context.wrap_socket(raw)
        self.sock.settimeout(0.05)
        self.received: list[tuple[int, dict[int, list[Any]]]] = []
        self._changed = threading.Condition()
        self._closed = False
        self._outbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.send(VERSION, encode(f1=0x010304, f2="remit-test", f3="Linux", f4="test"))
        login = {"f1": name, "f2": password} if password else {"f1": name}
        self.send(AUTHENTICATE, encode(**login, f5=True))
        self._io = threading.Thread(target=self._run, daemon=True)
        self._io.start()
        sync = self.wait_for("ServerSync", lambda kind, f: kind == SERVER_SYNC)
        self.session: int = sync[1][0]

    def send(self, kind: int, payload: bytes) -> None:
        self._outbox.put(struct.pack(">HI", kind, len(payload)) + payload)

    def _run(self) -> None:
        buffer, pinged = b"", 0.0
        try:
            while not self._closed:
                if time.monotonic() - pinged > 5:
                    self.send(PING, encode(f1=int(time.time())))
                    pinged = time.monotonic()
                while not self._outbox.empty():
                    self.sock.sendall(self._outbox.get())
                try:
                    data = self.sock.recv(65536)
                except (TimeoutError, ssl.SSLWantReadError):
                    continue
                if not data:
                    break
                buffer += data
                while len(buffer) >= 6:
                    kind, length = struct.unpack(">HI", buffer[:6])
                    if len(buffer) < 6 + length:
                        break
                    fields, buffer = decode(buffer[6 : 6 + length]), buffer[6 + length :]
                    with self._changed:
                        self.received.append((kind, fields))
                        self._changed.notify_all()
        except (OSError, ValueError):
            pass
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(
        self, what: str, check: Callable[[int, dict[int, list[Any]]], bool], timeout: float = 30
    ) -> dict[int, list[Any]]:
        """The fields of the first message received for which ``check`` holds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for kind, fields in self.received:
                    if check(kind, fields):
                        return fields
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    kinds = [kind for kind, _ in self.received]
                    raise AssertionError(f"{self.name} timed out waiting for {what}; got {kinds}")
                self._changed.wait(left)

    def messages(self) -> Iterator[tuple[int, dict[int, list[Any]]]]:
        with self._changed:
            return iter(list(self.received))

    def channel_of(self, session: int) -> int | None:
        """The channel the server last said ``session`` is in (the root, 0, unless it moved)."""
        channel: int | None = None
        for kind, fields in self.messages():
            if kind == USER_STATE and fields.get(1) == [session]:
                channel = fields.get(5, [channel if channel is not None else 0])[0]
            if kind == USER_REMOVE and fields.get(1) == [session]:
                channel = None
        return channel

    def channel_id(self, name: str) -> int:
        fields = self.wait_for(
            f"channel {name}", lambda k, f: k == CHANNEL_STATE and f.get(3) == [name.encode()]
        )
        channel: int = fields[1][0]
        return channel

    def create_channel(self, name: str) -> int:
        """A permanent channel under the root (this user needs the right: SuperUser has it)."""
        self.send(CHANNEL_STATE, encode(f2=0, f3=name))
        return self.channel_id(name)

    def enter(self, channel: int) -> None:
        self.send(USER_STATE, encode(f1=self.session, f5=channel))

    def in_channel(self, channel: int | None, timeout: float = 30) -> None:
        """Wait until the server has this user in ``channel``."""
        deadline = time.monotonic() + timeout
        while self.channel_of(self.session) != channel:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} is in {self.channel_of(self.session)}, "
                                     f"not {channel}")  # fmt: skip
            time.sleep(0.05)

    def texts(self) -> list[str]:
        """The text messages sent to this user."""
        return [f[5][0].decode() for k, f in self.messages() if k == TEXT_MESSAGE and 5 in f]

    def removed(self) -> str:
        """Wait until this user is kicked; the reason."""
        fields = self.wait_for(
            "a kick", lambda k, f: k == USER_REMOVE and f.get(1) == [self.session]
        )
        return bytes(fields.get(3, [b""])[0]).decode()

    def close(self) -> None:
        self._closed = True
        self._io.join(timeout=5)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
