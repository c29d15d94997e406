"""Registers the prosody connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.connectors.prosody._connector import ProsodyConnector
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The prosody connector."""
    return [ProsodyConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """None: Prosody speaks remit's ordinary platform API (``/v1/sessions``)."""
    return []
