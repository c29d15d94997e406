"""Registers the janus connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.connectors.janus._connector import JanusConnector
from remit.connectors.janus._endpoints import ENDPOINTS
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The janus connector."""
    return [JanusConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The janus connector's token broker and event receiver."""
    return list(ENDPOINTS)
