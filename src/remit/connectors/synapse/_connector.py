"""The ``synapse`` connector: commands as signed webhooks to the remit module inside Synapse.

Signing and delivery are the webhook connector's; what differs is the address (the module's web
resource under the homeserver's URL) and that the homeserver answers 2xx only once a kick is done.
"""

from __future__ import annotations

from remit.connectors._settings import Setting, checked_settings, http_url
from remit.connectors.synapse._paths import COMMANDS_PATH
from remit.connectors.synapse._signature import secret_key
from remit.connectors.webhook import WebhookConnector, new_secret


def _base_url(value: str) -> str:
    """The homeserver's base URL, as the module's resource is reached under it from remit."""
    if "?" in http_url(value) or "#" in value:
        raise ValueError("the homeserver's base URL, without a query")
    return value.rstrip("/") + COMMANDS_PATH


def _secret(value: str) -> str:
    secret_key(value)  # a ValueError says why the module could not use it
    return value


SETTINGS = (
    Setting("url", needs="the homeserver's URL", check=_base_url),
    Setting("secret", check=_secret, make=new_secret, show_made=True),
)


class SynapseConnector(WebhookConnector):
    """Delivers remit's commands to a Synapse homeserver running the remit module."""

    name = "synapse"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from ``url`` (the homeserver's base URL, as the module's web resource is
        reached from remit) and an optional ``secret``; a new secret is made, and shown once,
        when none is given."""
        return checked_settings(self.name, options, SETTINGS)
