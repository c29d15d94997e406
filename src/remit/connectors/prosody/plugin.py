"""Registers the prosody connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The prosody connector."""
    return []


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The prosody connector's own API operations."""
    return []
