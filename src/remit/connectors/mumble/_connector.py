"""Commands to remit-mumble: Standard Webhooks signed POSTs to the endpoint the bridge serves.

The bridge checks each signature and answers 2xx once the command is carried out (the user moved
out of the channel or kicked, or already gone), so the outbox retries what could not happen yet.
Signing and keep-alive delivery are the webhook connector's; the settings are checked here.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from remit.connectors.webhook import SECRET_PREFIX, WebhookConnector, new_secret
from remit.errors import InvalidConfiguration

#: The bridge, a program of its own that runs beside Murmur (see the guide).
BRIDGE: Traversable = files(__package__) / "bridge.py"

SETTINGS = ("url", "secret")


class MumbleConnector(WebhookConnector):
    """Delivers commands to remit-mumble's endpoint beside Murmur (``url``)."""

    name = "mumble"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options: ``url``, the bridge's endpoint
        (``http://<bridge host>:<port>/remit/commands``), and an optional ``secret``; a new
        secret is made when none is given, and shown once for the bridge's ``[remit] secret``."""
        unknown = sorted(set(options) - set(SETTINGS))
        if unknown:
            raise InvalidConfiguration(
                f"{unknown[0]}: not a setting of the mumble connector (url, secret)",
                field=unknown[0],
            )
        url = options.get("url")
        if not url:
            raise InvalidConfiguration(
                "url: the mumble connector needs remit-mumble's URL, "
                "such as http://mumble.example.org:7890/remit/commands",
                field="url",
            )
        if not url.startswith(("http://", "https://")):
            raise InvalidConfiguration(f"url: {url!r} is not an http(s) URL", field="url")
        secret = options.get("secret") or new_secret()
        if not secret.startswith(SECRET_PREFIX):
            raise InvalidConfiguration("secret: must start with whsec_", field="secret")
        shown = {} if "secret" in options else {"secret": secret}
        return {"url": url, "secret": secret}, shown
