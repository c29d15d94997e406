"""A rotated webhook secret: during the grace period every delivery is signed with the new and
the old secret (space-separated, as Standard Webhooks allows), so a platform verifying with
either accepts it; after it, with the new one only. Enforcers read a platform's settings again
every few seconds, so a rotation reaches every node's deliveries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from remit.connectors import configure, rotate
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import Command, CommandStatus, Platform

NOW = datetime.now(UTC)


class Captured:
    """A platform endpoint that keeps what it was sent and answers 204."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, dict[str, str]]] = []
        captured = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                captured.sent.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/remit"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[Captured]:
    found = Captured()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def _command(n: int) -> Command:
    return Command(
        key=f"remove/ord-1/ses-{n}", platform="meet", type="participant.remove",
        data={"session": f"ses-{n}"}, order_id="ord-1", session_id=f"ses-{n}",
        status=CommandStatus.PENDING, created_at=NOW, next_attempt_at=NOW,
        deadline=NOW + timedelta(minutes=15),
    )  # fmt: skip


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def test_during_the_grace_period_either_secret_verifies(endpoint: Captured) -> None:
    connector = WebhookConnector()
    settings, shown = configure(connector, {"url": endpoint.url})
    old = shown["secret"]
    rotated, new_shown = rotate(connector, settings, NOW + timedelta(hours=24))
    new = new_shown["secret"]
    assert new != old
    assert rotated["secret"] == new
    assert rotated["previous_secret"] == old
    try:
        connector.deliver(Platform("meet", "webhook", rotated, NOW), _command(1))
    finally:
        connector.close()
    body, headers = endpoint.sent[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert _verifies(old, body, headers)  # the platform has not deployed the new one yet
    assert _verifies(new, body, headers)  # the platform that has
    assert not _verifies(new_secret(), body, headers)


def test_after_the_grace_period_only_the_new_secret_signs(endpoint: Captured) -> None:
    connector = WebhookConnector()
    settings, shown = configure(connector, {"url": endpoint.url})
    rotated, new_shown = rotate(connector, settings, NOW + timedelta(hours=24))
    over = {**rotated, "previous_secret_until": (NOW - timedelta(seconds=1)).isoformat()}
    try:
        connector.deliver(Platform("meet", "webhook", over, NOW), _command(2))
    finally:
        connector.close()
    body, headers = endpoint.sent[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert _verifies(new_shown["secret"], body, headers)
    assert not _verifies(shown["secret"], body, headers)


def test_no_grace_period_drops_the_old_secret_at_once() -> None:
    connector = WebhookConnector()
    settings, _ = configure(connector, {"url": "https://meet.example/remit"})
    rotated, _ = rotate(connector, settings, datetime.now(UTC))
    assert set(rotated) == {"url", "secret"}
    assert rotated["url"] == "https://meet.example/remit"


def test_a_second_rotation_keeps_only_the_secret_it_replaced() -> None:
    connector = WebhookConnector()
    first, _ = configure(connector, {"url": "https://meet.example/remit"})
    second, _ = rotate(connector, first, NOW + timedelta(hours=1))
    third, _ = rotate(connector, second, NOW + timedelta(hours=1))
    assert third["previous_secret"] == second["secret"]
    assert first["secret"] not in third.values()


class _NoSecrets:
    name = "plain"

    def deliver(self, platform: Platform, command: Command) -> None:
        raise AssertionError("not delivered here")


def test_a_connector_without_secrets_keeps_its_settings() -> None:
    settings = {"room_secret": "the operator's own"}
    assert rotate(_NoSecrets(), settings, NOW) == (settings, {})
