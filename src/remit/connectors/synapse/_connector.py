"""The ``synapse`` connector: commands as signed webhooks to the remit module inside Synapse.

Signing and delivery are the webhook connector's; what differs is the address (the module's web
resource under the homeserver's URL) and that the homeserver answers 2xx only once a kick is done.
"""

from __future__ import annotations

from remit.connectors.synapse._paths import COMMANDS_PATH
from remit.connectors.synapse._signature import secret_key
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.errors import InvalidConfiguration

OPTIONS = ("url", "secret")


class SynapseConnector(WebhookConnector):
    """Delivers remit's commands to a Synapse homeserver running the remit module."""

    name = "synapse"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from ``url`` (the homeserver's base URL, as the module's web resource is
        reached from remit) and an optional ``secret``; a new secret is made, and shown once,
        when none is given."""
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise InvalidConfiguration(
                f"{unknown[0]}: not a setting of the synapse connector (url, secret)",
                field=unknown[0],
            )
        base = options.get("url", "")
        if not base:
            raise InvalidConfiguration(
                "url: the synapse connector needs the homeserver's URL", field="url"
            )
        if not base.startswith(("http://", "https://")):
            raise InvalidConfiguration(f"url: {base!r} is not an http(s) URL", field="url")
        if "?" in base or "#" in base:
            raise InvalidConfiguration(
                "url: the homeserver's base URL, without a query", field="url"
            )
        secret = options.get("secret") or new_secret()
        try:
            secret_key(secret)
        except ValueError as exc:
            raise InvalidConfiguration(f"secret: {exc}", field="secret") from exc
        shown = {} if "secret" in options else {"secret": secret}
        return {"url": base.rstrip("/") + COMMANDS_PATH, "secret": secret}, shown
