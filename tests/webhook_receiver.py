"""A platform's webhook endpoint for tests: a real HTTP server that checks every signature with
the secret it holds at that moment (a test may change ``secret``, as a platform deploying a
rotated one does). In ``tests/`` so that every test folder can import it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Receiver:
    """Receives remit's webhooks on 127.0.0.1; ``down`` makes it answer 503 as a platform may."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        #: Every verified delivery as it arrived: its body and its headers (lower-case names).
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.ids: list[str] = []
        self.down = False
        self.bad_signatures = 0
        self.torn = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: torn, not forged
                    receiver.torn += 1
                    return
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                except Exception:
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.ids.append(headers["webhook-id"])
                receiver.deliveries.append((body, headers))
                receiver.events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/remit"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["type"] == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
