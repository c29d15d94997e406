"""No URL is shown with its credentials or its query: a webhook that cannot be reached leaves a
``last_error`` and a log line naming the platform's host and path only, and the Authorization a
platform asks for travels as a setting, in a header, never in the URL."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from enforcement_builders import NOW, Clock, in_force, session

from remit._urls import redact_urls, shown_url
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import Command, Enforcer, MemoryEnforcementStore, Platform, Policy
from remit.errors import DeliveryError
from webhook_receiver import Receiver

POLICY = Policy(ttl=timedelta(minutes=10), backoff_base_s=60, backoff_max_s=600, workers=1)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:p@host/x?key=K", "http://host/x?…"),
        ("https://user@host:8443/a/b#frag", "https://host:8443/a/b#…"),
        ("http://[::1]:9/x?a=1&b=2#c", "http://[::1]:9/x?…#…"),
        ("http://host", "http://host"),
        ("http://u:p@host?key=K", "http://host?…"),
    ],
)
def test_a_url_is_shown_without_credentials_query_or_fragment(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert redact_urls(f"platform meet: ConnectionRefusedError at {url}.") == (
        f"platform meet: ConnectionRefusedError at {shown}."
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _deliver_once(
    platform: Platform, connector: WebhookConnector | None = None
) -> MemoryEnforcementStore:
    store = MemoryEnforcementStore()
    store.add_platform(platform)
    store.add_sessions([session("bj", platform=platform.name)])
    chosen = connector or WebhookConnector(timeout=2)
    enforcer = Enforcer(
        store, {"webhook": chosen}, clock=Clock(), active_orders=list, policy=POLICY
    )
    try:
        enforcer.activate(in_force())
        enforcer.deliver_due()
    finally:
        enforcer.stop()
    return store


def test_an_unreachable_webhook_is_reported_without_its_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/remit?key=SECRET-K"
    platform = Platform("meet", "webhook", {"url": url, "secret": new_secret()}, NOW)
    with caplog.at_level(logging.DEBUG):
        store = _deliver_once(platform)
    errors = [c.last_error or "" for c in store.list_commands()]
    assert errors
    assert all(e.endswith(f"{url.split('?')[0]}?…") for e in errors), errors
    assert "SECRET-K" not in caplog.text


class _Leaky(WebhookConnector):
    """A connector (a third party's, say) whose errors name the URL as it is stored."""

    def deliver(self, platform: Platform, command: Command) -> None:
        if command.key.startswith("remove/"):
            raise DeliveryError(f"{platform.settings['url']} refused")
        raise RuntimeError(f"bug while calling {platform.settings['url']}")


def test_whatever_a_connector_puts_in_its_error_is_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "http://u:hunter2@platform.example/hooks?key=K"  # stored before remit refused it
    platform = Platform("meet", "webhook", {"url": url, "secret": new_secret()}, NOW)
    with caplog.at_level(logging.INFO):
        store = _deliver_once(platform, _Leaky())
    errors = {c.key.split("/")[0]: c.last_error or "" for c in store.list_commands()}
    assert errors["remove"] == "http://platform.example/hooks?… refused"
    assert "http://platform.example/hooks?…" in errors["host"]
    for secret in ("hunter2", "u:", "key=K"):
        assert secret not in caplog.text
        assert all(secret not in e for e in errors.values())


def test_the_authorization_setting_is_sent_as_a_header() -> None:
    secret = new_secret()
    receiver = Receiver(secret)
    try:
        settings = WebhookConnector().configure(
            {"url": receiver.url, "secret": secret, "authorization": "Bearer platform-key"}
        )[0]
        _deliver_once(Platform("meet", "webhook", settings, NOW))
    finally:
        receiver.close()
    assert receiver.deliveries
    assert {headers["authorization"] for _, headers in receiver.deliveries} == {
        "Bearer platform-key"
    }
