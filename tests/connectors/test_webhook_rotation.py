"""A rotated webhook secret: during the grace period every delivery is signed with the new and
the old secret (space-separated, as Standard Webhooks allows), so a platform verifying with
either accepts it; after it, with the new one only. Enforcers read a platform's settings again
every few seconds, so a rotation reaches every node's deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from remit.connectors import configure, rotate
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import Command, CommandStatus, Platform
from webhook_receiver import Receiver

NOW = datetime.now(UTC)


@pytest.fixture
def endpoint() -> Iterator[Receiver]:
    found = Receiver(new_secret())  # each test gives it the secret the platform holds
    try:
        yield found
    finally:
        found.close()


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


def test_during_the_grace_period_either_secret_verifies(endpoint: Receiver) -> None:
    connector = WebhookConnector()
    settings, shown = configure(connector, {"url": endpoint.url})
    old = shown["secret"]
    rotated, new_shown = rotate(connector, settings, NOW + timedelta(hours=24))
    new = new_shown["secret"]
    assert new != old
    assert rotated["secret"] == new
    assert rotated["previous_secret"] == old
    endpoint.secret = old  # the platform has not deployed the new one yet
    try:
        connector.deliver(Platform("meet", "webhook", rotated, NOW), _command(1))
    finally:
        connector.close()
    body, headers = endpoint.deliveries[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert _verifies(old, body, headers)
    assert _verifies(new, body, headers)  # as a platform that has deployed it checks
    assert not _verifies(new_secret(), body, headers)


def test_after_the_grace_period_only_the_new_secret_signs(endpoint: Receiver) -> None:
    connector = WebhookConnector()
    settings, shown = configure(connector, {"url": endpoint.url})
    rotated, new_shown = rotate(connector, settings, NOW + timedelta(hours=24))
    over = {**rotated, "previous_secret_until": (NOW - timedelta(seconds=1)).isoformat()}
    endpoint.secret = new_shown["secret"]
    try:
        connector.deliver(Platform("meet", "webhook", over, NOW), _command(2))
    finally:
        connector.close()
    body, headers = endpoint.deliveries[-1]
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
