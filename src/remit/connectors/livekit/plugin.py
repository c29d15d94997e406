"""Registers the livekit connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.connectors.livekit._connector import LiveKitConnector
from remit.connectors.livekit._endpoints import ENDPOINTS
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The livekit connector: removals through LiveKit's RoomService."""
    return [LiveKitConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The token broker and the webhook receiver."""
    return list(ENDPOINTS)
