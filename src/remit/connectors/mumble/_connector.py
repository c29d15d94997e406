"""Commands to remit-mumble: Standard Webhooks signed POSTs to the endpoint the bridge serves.

The bridge checks each signature and answers 2xx once the command is carried out (the user moved
out of the channel or kicked, or already gone), so the outbox retries what could not happen yet.
Signing and keep-alive delivery are the webhook connector's; the settings are checked here.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from remit.connectors.webhook import WebhookConnector, receiver_settings

#: The bridge, a program of its own that runs beside Murmur (see the guide).
BRIDGE: Traversable = files(__package__) / "bridge.py"


class MumbleConnector(WebhookConnector):
    """Delivers commands to remit-mumble's endpoint beside Murmur (``url``)."""

    name = "mumble"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options: ``url``, remit-mumble's endpoint, and an optional
        ``secret``; a new secret is made when none is given, and shown once for the bridge's
        ``[remit] secret``."""
        example = "http://mumble.example.org:7890/remit/commands"
        return receiver_settings(self.name, "remit-mumble", example, options)
