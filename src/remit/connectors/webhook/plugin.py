"""Registers the webhook connector through the same hook a third-party plugin uses."""

from __future__ import annotations

from remit.connectors._hooks import hookimpl
from remit.connectors.webhook._connector import WebhookConnector
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The webhook connector."""
    return [WebhookConnector()]
