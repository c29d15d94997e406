"""Registers the mumble connector through the same hooks a third-party plugin uses."""

from __future__ import annotations

from remit.api import Endpoint
from remit.connectors._hooks import hookimpl
from remit.connectors.mumble._connector import MumbleConnector
from remit.enforcement import Connector


@hookimpl
def remit_connectors() -> list[Connector]:
    """The mumble connector."""
    return [MumbleConnector()]


@hookimpl
def remit_endpoints() -> list[Endpoint]:
    """None: remit-mumble speaks remit's ordinary platform API (``/v1/sessions``)."""
    return []
