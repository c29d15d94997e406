"""Registers the synapse connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.connectors.synapse._connector import SynapseConnector
from remit.connectors.synapse._endpoints import ENDPOINTS
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The synapse connector: commands to the remit module inside Synapse."""
    return [SynapseConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The joins and leaves the remit module inside Synapse reports."""
    return list(ENDPOINTS)
