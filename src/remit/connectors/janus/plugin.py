"""Registers the janus connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The janus connector."""
    return []


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The janus connector's own API operations."""
    return []
