"""The demo's conferencing platform: meetings and accounts in memory, and a webhook endpoint.

It does what the webhook guide (docs/connectors/webhook.md) asks of a platform: it verifies the
Standard Webhooks signature of every command (refusing a forged or stale one with 401), carries
out each ``webhook-id`` once (a repeat is answered 204 and ignored), removes the participant a
``participant.remove`` names from its own meeting and keeps the notice to show them, and keeps
each ``host.notice`` for the host. Its accounts change only if a command says so, and remit
sends no such command.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    """A webhook the platform took: verified, carried out once."""

    id: str
    type: str
    data: dict[str, Any]
    at: float  # time.monotonic() when it arrived


@dataclass
class Seat:
    """A participant in one of the platform's meetings."""

    session_id: str
    participant: str
    removed_by: str | None = None  # the webhook-id that removed them
    notice: dict[str, Any] | None = None


@dataclass
class DemoPlatform:
    """The platform's state; :meth:`start` opens its webhook endpoint on 127.0.0.1."""

    secret: str
    accounts: dict[str, str] = field(default_factory=dict)  # host id -> "active"
    meetings: dict[str, dict[str, Seat]] = field(default_factory=dict)  # meeting -> session -> seat
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    repeats: int = 0
    #: Removals naming a session this platform does not seat (or seats no more).
    strays: list[str] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # The platform's own state ------------------------------------------------------------------
    def seat(self, meeting: str, session_id: str, participant: str) -> None:
        with self._lock:
            self.meetings.setdefault(meeting, {})[session_id] = Seat(session_id, participant)

    def present(self, meeting: str) -> list[Seat]:
        with self._lock:
            return [s for s in self.meetings.get(meeting, {}).values() if s.removed_by is None]

    def of_type(self, kind: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.type == kind]

    # The webhook endpoint ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/remit/webhooks"

    def start(self) -> None:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = platform.take(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def take(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify and carry out one webhook; the HTTP status to answer."""
        try:
            event = Webhook(self.secret).verify(body, headers)
        except Exception:  # the library raises its own errors for a forged or stale webhook
            with self._lock:
                self.bad_signatures += 1
            return 401
        if not isinstance(event, dict):
            event = json.loads(body)
        webhook_id = headers["webhook-id"]
        with self._lock:
            if webhook_id in self._ids:
                self.repeats += 1
                return 204
            self._ids.add(webhook_id)
            data = event.get("data", {})
            self.received.append(
                Received(webhook_id, event.get("type", ""), data, time.monotonic())
            )
            if event.get("type") == "participant.remove":
                meeting = data.get("resource", {}).get("id")
                seat = self.meetings.get(meeting, {}).get(data.get("session_id"))
                if seat is None or seat.removed_by is not None:
                    self.strays.append(str(data.get("session_id")))
                else:
                    seat.removed_by = webhook_id
                    seat.notice = data.get("notice")
            elif event.get("type", "").startswith("account."):
                host = data.get("host", {}).get("id")
                if host in self.accounts:
                    self.accounts[host] = event["type"].removeprefix("account.")
        return 204
