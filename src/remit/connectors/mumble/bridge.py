"""remit-mumble: remit beside a Murmur server, over its Ice interface (docs/connectors/mumble.md).

Runs next to Murmur under the system's Python 3 with Debian's Ice bindings (``python3-zeroc-ice``)
and nothing of remit's: ``python3 remit-mumble.py /etc/remit-mumble.ini``. It listens to Murmur's
callbacks; a user entering a channel is decided by remit (``POST /v1/sessions``, with the address
Murmur reports), and one remit refuses is moved to the lobby channel with remit's notice as a text
message, or kicked with it as the reason. A user leaving the channel ends the session in remit.
remit's commands arrive as Standard Webhooks signed POSTs at ``/remit/commands``; a removal moves
or kicks that user the same way. Every ``sweep_interval`` seconds it registers its callbacks again
(Murmur restarted?), decides anyone in a channel with no decision (remit was unreachable, or this
bridge was down) and ends the sessions of those who left; what it must remember is in its state
file. Channels are named to remit ``<name>/<virtual server id>/<channel id>``.

Why one module of some 500 lines: an operator copies this single file onto the Murmur host and
runs it with the system's Python, beside no installed remit; splitting it would make them copy
and keep in step a package of files. Its parts are its classes, in the order they are used:
``Config``, ``Remit`` (the API client), ``Bridge`` (the decisions), ``Murmur`` (the Ice side),
then the command listener and ``main``.
"""

from __future__ import annotations

import argparse
import base64
import configparser
import hashlib
import hmac
import html
import importlib
import json
import logging
import os
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("remit-mumble")
DESCRIPTION = "remit beside a Murmur server, over Murmur's Ice interface"
TOLERANCE = 300  # seconds a webhook's timestamp may differ from our clock (the spec's 5 minutes)
SETTINGS = {
    "remit": {"url", "token", "secret", "timeout", "failure_policy"},
    "murmur": {"ice", "secret", "slice", "callback_host", "name", "refused", "lobby"},
    "bridge": {"listen", "state", "sweep_interval"},
}


class ConfigError(Exception):
    """A setting that is missing or wrong: one line naming it."""


class Config:
    """The bridge's settings, from an INI file (sections ``remit``, ``murmur``, ``bridge``)."""

    def __init__(self, path: str) -> None:
        parser = configparser.ConfigParser(interpolation=None)
        if not parser.read(path):
            raise ConfigError(f"{path}: cannot be read")
        for section in parser.sections():
            unknown = sorted(set(parser[section]) - SETTINGS.get(section, set()))
            if section not in SETTINGS or unknown:
                raise ConfigError(f"[{section}] {unknown[0] if unknown else ''}: not a setting")

        def get(section: str, key: str, default: str | None = None) -> str:
            value = parser.get(section, key, fallback=default)
            if not value:
                raise ConfigError(f"[{section}] {key}: missing")
            return value

        self.remit_url = get("remit", "url").rstrip("/")
        self.token = get("remit", "token")
        secret = get("remit", "secret")
        if not secret.startswith("whsec_"):
            raise ConfigError("[remit] secret: must be the whsec_ secret remit showed")
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.timeout = _number("remit", "timeout", get("remit", "timeout", "5"))
        self.policy = get("remit", "failure_policy", "allow")
        if self.policy not in ("allow", "deny"):
            raise ConfigError("[remit] failure_policy: must be allow or deny")
        self.ice = get("murmur", "ice", "tcp -h 127.0.0.1 -p 6502")
        self.ice_secret = parser.get("murmur", "secret", fallback="")
        self.slice = get("murmur", "slice", "/usr/share/slice/Murmur.ice")
        self.callback_host = get("murmur", "callback_host", "127.0.0.1")
        self.name = get("murmur", "name")
        self.refused = get("murmur", "refused", "move")
        if self.refused not in ("move", "kick"):
            raise ConfigError("[murmur] refused: must be move or kick")
        self.lobby = int(_number("murmur", "lobby", get("murmur", "lobby", "0")))
        host, _, port = get("bridge", "listen", "127.0.0.1:7890").rpartition(":")
        self.listen = (host, int(_number("bridge", "listen", port)))
        self.state = Path(get("bridge", "state", "/var/lib/remit-mumble/state.json"))
        self.sweep = _number("bridge", "sweep_interval", get("bridge", "sweep_interval", "30"))


def _number(section: str, key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"[{section}] {key}: {text!r} is not a number") from None


def address_of(raw: Any) -> str | None:
    """The text of Murmur's 16-byte address (IPv4 addresses come IPv4-mapped)."""
    data = bytes(b & 0xFF for b in raw)
    if len(data) != 16:
        return None
    if data[:12] == b"\0" * 10 + b"\xff\xff":
        return ".".join(str(b) for b in data[12:])
    groups = [f"{int.from_bytes(data[i : i + 2], 'big'):x}" for i in range(0, 16, 2)]
    return ":".join(groups)


def signed(key: bytes, headers: Any, body: bytes, now: float) -> bool:
    """Whether a request carries a current Standard Webhooks signature made with ``key``."""
    wid, stamp, given = (
        headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if (
        not (wid and stamp and given and stamp.isascii() and stamp.isdigit())
        or abs(now - int(stamp)) > TOLERANCE
    ):
        return False
    mac = hmac.new(key, f"{wid}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, part) for part in given.split())


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    found = data.get(key)
    return found if isinstance(found, dict) else {}


class Remit:
    """remit's platform API, over the standard library's HTTP."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
        """Status and JSON body; raises OSError when remit cannot be reached."""
        request = urllib.request.Request(
            self.config.remit_url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.config.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        try:
            found = json.loads(text or b"{}")
        except ValueError:
            found = {}
        return status, found if isinstance(found, dict) else {}


class Bridge:
    """The decisions: who is in which channel with which remit session, and what to do."""

    def __init__(self, config: Config, murmur: Any) -> None:
        self.config, self.murmur, self.remit = config, murmur, Remit(config)
        self.lock = threading.RLock()
        self.events: queue.Queue[tuple[int, Any]] = queue.Queue()
        # "<server id>:<session>" -> {"channel", "name", "remit" (session id, or None: undecided)}
        self.users: dict[str, dict[str, Any]] = {}
        self.ending: set[str] = set()  # remit sessions to end, until remit has
        if config.state.exists():
            saved = json.loads(config.state.read_text())
            self.users, self.ending = saved["users"], set(saved["ending"])

    def save(self) -> None:
        with self.lock:
            text = json.dumps({"users": self.users, "ending": sorted(self.ending)})
        temporary = self.config.state.with_suffix(".tmp")
        temporary.unlink(missing_ok=True)
        # Readable by the bridge's user only (0600): it names who is in which channel.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(text)
        temporary.replace(self.config.state)

    def resource(self, server_id: int, channel: int) -> str:
        return f"{self.config.name}/{server_id}/{channel}"

    # -- users entering and leaving ------------------------------------------------------------

    def seen(self, server_id: int, user: Any) -> None:
        """A user's state changed (connected, moved, or found by the sweep): as Murmur has it now,
        decide their channel if it is new to us, or undecided."""
        key = f"{server_id}:{user.session}"
        try:
            user = self.murmur.server(server_id).getState(user.session)
        except self.murmur.InvalidSession:
            self.left(key)
            return
        with self.lock:
            known = self.users.get(key)
            where = (user.channel, user.name)
            same = known is not None and (known["channel"], known["name"]) == where
            if known is not None and same and known["remit"] is not None:
                return
        if known and not same:
            self.left(key)
        if user.channel != self.config.lobby:
            self.decide(server_id, user, key)

    def left(self, key: str) -> None:
        """The user left their channel (or the server): end their session in remit."""
        with self.lock:
            known = self.users.pop(key, None)
        if known and known["remit"]:
            self.end(known["remit"])
        self.save()

    def end(self, remit_id: str) -> None:
        try:
            status, _ = self.remit.call("DELETE", f"/v1/sessions/{remit_id}")
        except OSError:
            status = 0
        with self.lock:
            if status in (200, 204, 404):
                self.ending.discard(remit_id)
            else:  # tried again at the next sweep
                self.ending.add(remit_id)

    def decide(self, server_id: int, user: Any, key: str) -> None:
        participant = {"id": user.name, "ip": address_of(user.address)}
        body = {
            "resource": {"type": "channel", "id": self.resource(server_id, user.channel)},
            "participant": participant,
        }
        try:
            status, answer = self.remit.call("POST", "/v1/sessions", body)
        except OSError as exc:
            status, answer = 0, {"detail": str(exc)}
        if status == 201 and isinstance(answer.get("id"), str):
            self.track(key, user, answer["id"])
        elif status == 451:
            log.info("remit refused %s entry to channel %s", user.name, user.channel)
            self.send_away(server_id, user.session, answer.get("title"), answer.get("detail"))
        else:
            log.warning(
                "remit unreachable for %s entering channel %s (%s): failure policy %s",
                user.name,
                user.channel,
                status or answer.get("detail"),
                self.config.policy,
            )
            if self.config.policy == "deny":
                self.send_away(
                    server_id,
                    user.session,
                    "This channel cannot be entered now.",
                    "Please try again later.",
                )
                return
            self.track(key, user, None)  # let in undecided: the sweep asks again

    def track(self, key: str, user: Any, remit_id: str | None) -> None:
        with self.lock:
            self.users[key] = {"channel": user.channel, "name": user.name, "remit": remit_id}
        self.save()

    def send_away(self, server_id: int, session: int, title: Any, text: Any) -> bool:
        """Move the user to the lobby with the notice, or kick them with it; False if gone."""
        server = self.murmur.server(server_id)
        notice = "\n\n".join(str(part) for part in (title, text) if part) or "Removed by remit"
        try:
            if self.config.refused == "kick":
                server.kickUser(session, notice)
                return True
            state = server.getState(session)
            state.channel = self.config.lobby
            server.setState(state)
            server.sendMessage(session, html.escape(notice).replace("\n", "<br/>"))
        except self.murmur.InvalidSession:
            return False
        return True

    # -- remit's commands ----------------------------------------------------------------------

    def command(self, command: dict[str, Any]) -> int:
        data = command.get("data")
        if not isinstance(data, dict):
            return 400
        if command.get("type") in ("participant.readmit", "host.notice"):
            return 204  # a next entry is decided afresh; a channel has no host to tell
        if command.get("type") != "participant.remove":
            return 422
        with self.lock:
            found = [(k, u) for k, u in self.users.items() if u["remit"] == data.get("session_id")]
        if not found:
            return self.unknown(data)
        key, user = found[0]
        server_id, session = (int(part) for part in key.split(":"))
        notice = _table(data, "notice")
        try:
            here = self.murmur.server(server_id).getState(session).channel == user["channel"]
        except self.murmur.InvalidSession:
            here = False
        if here:
            self.send_away(server_id, session, notice.get("title"), notice.get("body"))
            log.info(
                "removed %s from channel %s on remit's order %s",
                user["name"],
                user["channel"],
                data.get("order_id"),
            )
        self.left(key)
        return 204

    def unknown(self, data: dict[str, Any]) -> int:
        """A removal of a session not (yet) known: 503 while someone of that name is in that
        channel (their entry is being decided), else 204 (gone)."""
        wanted = (_table(data, "resource").get("id"), _table(data, "participant").get("id"))
        for server_id, server in self.murmur.servers():
            for user in server.getUsers().values():
                if (self.resource(server_id, user.channel), user.name) == wanted:
                    return 503
        return 204

    # -- the sweep -----------------------------------------------------------------------------

    def sweep(self) -> None:
        """End what remit must end; decide the undecided; forget those who left."""
        with self.lock:
            ending = sorted(self.ending)
        for remit_id in ending:
            self.end(remit_id)
        present: dict[str, tuple[int, Any]] = {}
        for server_id, server in self.murmur.servers():
            for user in server.getUsers().values():
                present[f"{server_id}:{user.session}"] = (server_id, user)
        with self.lock:
            gone = [
                k
                for k, u in self.users.items()
                if k not in present
                or present[k][1].channel != u["channel"]
                or present[k][1].name != u["name"]
            ]
        for key in gone:
            self.left(key)
        for server_id, user in present.values():
            self.events.put((server_id, user))
        self.save()

    def work(self) -> None:
        while True:
            server_id, user = self.events.get()
            try:
                if user is None:
                    self.sweep()
                elif isinstance(user, str):
                    self.left(user)
                else:
                    self.seen(server_id, user)
            except Exception as exc:  # Murmur down, or a user gone meanwhile: the sweep retries
                log.warning("handling a Murmur event: %s: %s", type(exc).__name__, exc)


class Murmur:
    """Murmur's Ice interface: the booted virtual servers, and their callbacks to the bridge."""

    def __init__(self, config: Config) -> None:
        ice = importlib.import_module("Ice")
        ice.loadSlice("", ["-I" + ice.getSliceDir(), config.slice])
        self.M = importlib.import_module("Murmur")
        self.InvalidSession = self.M.InvalidSessionException
        properties = ice.createProperties()
        properties.setProperty("Ice.ImplicitContext", "Shared")
        properties.setProperty("Ice.Default.EncodingVersion", "1.0")
        data = ice.InitializationData()
        data.properties = properties
        self.ice = ice.initialize(data)
        if config.ice_secret:
            self.ice.getImplicitContext().put("secret", config.ice_secret)
        proxy = self.ice.stringToProxy(f"Meta:{config.ice}").ice_timeout(10_000)
        self.meta = self.M.MetaPrx.checkedCast(proxy)
        self.adapter = self.ice.createObjectAdapterWithEndpoints(
            "Callbacks", f"tcp -h {config.callback_host}"
        )
        self.adapter.activate()
        self.callbacks: dict[int, Any] = {}

    def servers(self) -> list[tuple[int, Any]]:
        return [(server.id(), server) for server in self.meta.getBootedServers()]

    def server(self, server_id: int) -> Any:
        return self.meta.getServer(server_id)

    def listen(self, bridge: Bridge) -> None:
        """Register (again) a callback on every booted server; Murmur forgets them on restart."""
        for server_id, server in self.servers():
            if server_id not in self.callbacks:
                servant = _callback_class(self.M)(bridge, server_id)
                self.callbacks[server_id] = self.M.ServerCallbackPrx.uncheckedCast(
                    self.adapter.addWithUUID(servant)
                )
            server.addCallback(self.callbacks[server_id])


def _callback_class(m: Any) -> Any:
    """Murmur's ServerCallback, made from the loaded slice (so it is a class made at run time)."""

    def init(self: Any, bridge: Bridge, server_id: int) -> None:
        m.ServerCallback.__init__(self)
        self.bridge, self.server_id = bridge, server_id

    def changed(self: Any, state: Any, current: Any = None) -> None:
        self.bridge.events.put((self.server_id, state))

    def gone(self: Any, state: Any, current: Any = None) -> None:
        self.bridge.events.put((self.server_id, f"{self.server_id}:{state.session}"))

    def ignore(self: Any, *args: Any) -> None:
        return None

    methods = {
        "__init__": init,
        "userConnected": changed,
        "userStateChanged": changed,
        "userDisconnected": gone,
        "userTextMessage": ignore,
        "channelCreated": ignore,
        "channelRemoved": ignore,
        "channelStateChanged": ignore,
    }
    return type("RemitCallback", (m.ServerCallback,), methods)


def serve_commands(config: Config, bridge: Bridge) -> ThreadingHTTPServer:
    class Commands(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/remit/commands":
                status = 404
            elif not signed(config.key, self.headers, body, time.time()):
                log.warning("refused a webhook: unsigned, stale or badly signed")
                status = 401
            else:
                try:
                    command = json.loads(body)
                    status = bridge.command(command) if isinstance(command, dict) else 400
                except ValueError:
                    status = 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

    server = ThreadingHTTPServer(config.listen, Commands)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remit-mumble", description=DESCRIPTION)
    parser.add_argument("config", help="the bridge's settings (an INI file)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = Config(args.config)
    except ConfigError as exc:
        print(f"remit-mumble: {exc}", file=sys.stderr)
        return 2
    murmur = Murmur(config)
    bridge = Bridge(config, murmur)
    serve_commands(config, bridge)
    threading.Thread(target=bridge.work, daemon=True).start()
    log.info("remit-mumble: commands at http://%s:%d/remit/commands", *config.listen)
    while True:
        try:
            murmur.listen(bridge)
        except Exception as exc:  # Murmur down or restarting: try again at the next sweep
            log.warning("cannot reach Murmur's Ice interface: %s", exc)
        bridge.events.put((0, None))
        time.sleep(config.sweep)


if __name__ == "__main__":
    sys.exit(main())
