"""Registers the livekit connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint, Task
from remit.connectors._hooks import hookimpl
from remit.connectors.livekit._connector import LiveKitConnector
from remit.connectors.livekit._endpoints import ENDPOINTS
from remit.connectors.livekit._reconcile import Reconciler
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The livekit connector: removals through LiveKit's RoomService."""
    return [LiveKitConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """The token broker and the webhook receiver."""
    return list(ENDPOINTS)


@hookimpl
def remit_tasks() -> list[Task]:
    """The roster's reconciliation with LiveKit's rooms, for webhooks that were lost."""
    return [Reconciler()]
