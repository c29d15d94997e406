"""The demo's conferencing platform: meetings and accounts in memory, and a webhook endpoint.

It does what the webhook guide (docs/connectors/webhook.md) asks of a platform: it verifies the
Standard Webhooks signature of every command (refusing a forged or stale one with 401), decodes
it with remit's own definitions of the commands (refusing one it cannot read with 400, and
counting it: remit sends none), carries out each ``webhook-id`` once (a repeat is answered 204
and ignored), removes the participant a ``participant.remove`` names from its own meeting and
keeps the notice to show them, and keeps each ``host.notice`` for the host. Its accounts change
only if a command says so, and no command remit has can.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
from standardwebhooks import Webhook

from remit.enforcement import (
    CommandType,
    HostNoticeData,
    NoticeData,
    Payload,
    RemoveData,
    decode_webhook,
)


@dataclass(frozen=True)
class Received:
    """A webhook the platform took: verified, carried out once."""

    id: str
    type: CommandType
    data: Payload
    at: float  # time.monotonic() when it arrived


@dataclass
class Seat:
    """A participant in one of the platform's meetings."""

    session_id: str
    participant: str
    removed_by: str | None = None  # the webhook-id that removed them
    notice: NoticeData | None = None


@dataclass
class DemoPlatform:
    """The platform's state; :meth:`start` opens its webhook endpoint on 127.0.0.1."""

    secret: str
    accounts: dict[str, str] = field(default_factory=dict)  # host id -> "active"
    meetings: dict[str, dict[str, Seat]] = field(default_factory=dict)  # meeting -> session -> seat
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    #: Webhooks verified but not a command the platform can read (remit sends none).
    unreadable: list[str] = field(default_factory=list)
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

    def removals(self) -> list[tuple[Received, RemoveData]]:
        """Every ``participant.remove`` received, with its payload."""
        with self._lock:
            return [(r, r.data) for r in self.received if isinstance(r.data, RemoveData)]

    def host_notices(self) -> list[tuple[Received, HostNoticeData]]:
        """Every ``host.notice`` received, with its payload."""
        with self._lock:
            return [(r, r.data) for r in self.received if isinstance(r.data, HostNoticeData)]

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
            Webhook(self.secret).verify(body, headers)
        except Exception:  # the library raises its own errors for a forged or stale webhook
            with self._lock:
                self.bad_signatures += 1
            return 401
        try:
            command = decode_webhook(body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            with self._lock:
                self.unreadable.append(str(exc))
            return 400
        webhook_id = headers["webhook-id"]
        with self._lock:
            if webhook_id in self._ids:
                self.repeats += 1
                return 204
            self._ids.add(webhook_id)
            data = command.data
            self.received.append(Received(webhook_id, command.type, data, time.monotonic()))
            if isinstance(data, RemoveData):
                seat = self.meetings.get(data.resource.id, {}).get(data.session_id)
                if seat is None or seat.removed_by is not None:
                    self.strays.append(data.session_id)
                else:
                    seat.removed_by = webhook_id
                    seat.notice = data.notice
        return 204
