"""Jitsi Meet's web front for the Jitsi tests: nginx in front of Prosody, and the browser's two
ways of speaking XMPP through it, WebSocket (RFC 7395) and BOSH (XEP-0124/0206).

nginx (Debian's package, installed here when missing) runs in the foreground with its own
configuration in a temporary folder, on 127.0.0.1, proxying ``/xmpp-websocket`` and
``/http-bind`` to Prosody the way Jitsi's Debian example does; ``forward_websocket`` adds the
``X-Forwarded-For`` the example lacks on ``/xmpp-websocket`` (the guide's fix). It is stopped by
its process id. The clients connect from a chosen loopback address, as the browsers of people in
different countries would, and may send headers of their own (a forged ``X-Forwarded-For``, the
browser's ``Accept-Language``).
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import shutil
import socket
import tempfile
import threading
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import httpx
from debian import debian_packages
from prosody_server import XmppRooms
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from remit_server import free_port
from server_process import ServerProcess, listening

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
HTTPBIND = "http://jabber.org/protocol/httpbind"


def nginx_available() -> None:
    """Install nginx from Debian when it is missing; skip (fail on CI) when that cannot be."""
    debian_packages("nginx", ("nginx-light",), lambda: shutil.which("nginx") is not None)


class NginxServer(ServerProcess):
    """nginx on 127.0.0.1 in front of Prosody's HTTP port, as Jitsi's Debian example has it."""

    def __init__(self, prosody_http_port: int, *, forward_websocket: bool) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="remit-nginx-"))
        self.dir.chmod(0o755)
        super().__init__("nginx", self.dir / "stdout.log", self.dir / "error.log")
        self.port = free_port()
        upstream = f"http://127.0.0.1:{prosody_http_port}"
        # The guide's fix: the one line Jitsi's example has on /http-bind and lacks here.
        forwarded = "proxy_set_header X-Forwarded-For $remote_addr;" if forward_websocket else ""
        temp = "\n".join(
            f"    {kind}_temp_path {self.dir}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        self.config = self.dir / "nginx.conf"
        self.config.write_text(
            f"""
daemon off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {self.dir}/access.log;
{temp}
    server {{
        listen 127.0.0.1:{self.port};
        server_name localhost;

        # BOSH
        location = /http-bind {{
            proxy_pass {upstream}/http-bind;
            proxy_http_version 1.1;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
        }}

        # xmpp websockets
        location = /xmpp-websocket {{
            proxy_pass {upstream}/xmpp-websocket;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $http_host;
            {forwarded}
            tcp_nodelay on;
        }}
    }}
}}
"""
        )

    def start(self) -> None:
        command = ["nginx", "-p", str(self.dir), "-c", str(self.config), "-e", "error.log"]
        self.launch(command, partial(listening, self.port), timeout=30)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class WebSocketXmppClient(XmppRooms):
    """An XMPP account over WebSocket (RFC 7395), from ``source`` to ``port`` (nginx, or Prosody
    itself), each WebSocket message one element."""

    def __init__(
        self,
        port: int,
        user: str,
        source: str,
        *,
        domain: str,
        language: str | None = None,
        resource: str = "web",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._setup(user, language or "", domain)
        sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
        self.ws: ClientConnection = connect(
            f"ws://{domain}:{port}/xmpp-websocket",
            sock=sock,
            subprotocols=["xmpp"],  # type: ignore[list-item]
            additional_headers=headers,
            proxy=None,
            compression=None,
            open_timeout=30,
            ping_interval=None,
            legacy=True,  # a connection held open across the test, not a context manager
        )
        self._login(resource)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _send(self, text: str) -> None:
        self.ws.send(text)

    def _open_stream(self) -> None:
        self._send(f"<open xmlns='{FRAMING}' to='{self.domain}' version='1.0'/>")

    def _next_stanza(self) -> ET.Element:
        while True:
            element = ET.fromstring(self.ws.recv(timeout=30))
            if element.tag != f"{{{FRAMING}}}open":
                return element

    def _read(self) -> None:
        try:
            for message in self.ws:
                self._deliver([ET.fromstring(message)])
        except (OSError, WebSocketException, ET.ParseError):
            pass
        self._ended()

    def close(self) -> None:
        with contextlib.suppress(OSError, WebSocketException):
            self._send(f"<close xmlns='{FRAMING}'/>")
        self.ws.close()


class BoshXmppClient(XmppRooms):
    """An XMPP account over BOSH, from ``source`` to ``port``: one request at a time, each held
    by the server for at most a second, carrying whatever stanzas wait to be sent. The session
    says ``xml:lang='en'``, as Strophe (Jitsi Meet's XMPP library) always does."""

    def __init__(
        self,
        port: int,
        user: str,
        source: str,
        *,
        domain: str,
        language: str | None = None,
        resource: str = "bosh",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._setup(user, language or "", domain)
        self.http = httpx.Client(
            transport=httpx.HTTPTransport(local_address=source),
            headers={"Content-Type": "text/xml; charset=utf-8", "Host": domain, **(headers or {})},
            timeout=30,
        )
        self.url = f"http://127.0.0.1:{port}/http-bind"
        self.rid = secrets.randbelow(2**40)
        self.sid: str | None = None
        self._buffer: list[ET.Element] = []
        self._outbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._pumping = False
        self._stop = threading.Event()
        self._login(resource)
        self._pumping = True
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _post(self, attributes: str, payload: str = "") -> list[ET.Element]:
        self.rid += 1
        sid = f" sid='{self.sid}'" if self.sid else ""
        body = f"<body xmlns='{HTTPBIND}' rid='{self.rid}'{sid} {attributes}>{payload}</body>"
        answer = self.http.post(self.url, content=body)
        assert answer.status_code == 200, answer.text
        wrapper = ET.fromstring(answer.content)
        if wrapper.get("type") == "terminate":
            self._stop.set()
        if self.sid is None:
            self.sid = wrapper.get("sid")
        return list(wrapper)

    def _send(self, text: str) -> None:
        if self._pumping:
            self._outbox.put(text)
        else:
            self._buffer.extend(self._post("", text))

    def _open_stream(self) -> None:
        xmpp = "xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'"
        if self.sid is None:  # a new session, with Strophe's attributes
            attributes = (
                f"content='text/xml; charset=utf-8' hold='1' to='{self.domain}' ver='1.6' "
                f"wait='1' xml:lang='en' {xmpp}"
            )
        else:  # a stream restart, after SASL
            attributes = f"to='{self.domain}' xml:lang='en' xmpp:restart='true' {xmpp}"
        self._buffer.extend(self._post(attributes))

    def _next_stanza(self) -> ET.Element:
        while not self._buffer:
            self._buffer.extend(self._post(""))
        return self._buffer.pop(0)

    def _pump(self) -> None:
        try:
            while not self._stop.is_set():
                waiting = []
                while not self._outbox.empty():
                    waiting.append(self._outbox.get())
                self._deliver(self._post("", "".join(waiting)))
        except (httpx.HTTPError, AssertionError, ET.ParseError):
            pass
        self._ended()

    def close(self) -> None:
        self._stop.set()
        self._reader.join(timeout=5)
        with contextlib.suppress(httpx.HTTPError, AssertionError, ET.ParseError):
            self._post("type='terminate'", "<presence xmlns='jabber:client' type='unavailable'/>")
        self.http.close()
