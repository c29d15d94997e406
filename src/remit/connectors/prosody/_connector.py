"""Commands to Prosody: Standard Webhooks signed POSTs to the endpoint ``mod_remit`` serves.

The Lua module verifies each signature with Prosody's own HMAC-SHA256 and answers 2xx only once
the command is carried out (the occupant kicked, or already gone), so the outbox retries a kick
that could not happen yet. Signing and keep-alive delivery are the webhook connector's: Prosody
is one more receiver of the same signed requests, with its own settings checked here.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from remit.connectors.webhook import SECRET_PREFIX, WebhookConnector, new_secret
from remit.errors import InvalidConfiguration

#: The Prosody module, as installed next to Prosody's own (see the guide).
MODULE: Traversable = files(__package__) / "mod_remit.lua"

SETTINGS = ("url", "secret")


class ProsodyConnector(WebhookConnector):
    """Delivers commands to ``mod_remit``'s endpoint on the MUC component (``url``)."""

    name = "prosody"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options: ``url``, the module's endpoint
        (``http(s)://<component host>:<port>/remit/commands``), and an optional ``secret``;
        a new secret is made when none is given, and shown once for ``remit_secret``."""
        unknown = sorted(set(options) - set(SETTINGS))
        if unknown:
            raise InvalidConfiguration(
                f"{unknown[0]}: not a setting of the prosody connector (url, secret)",
                field=unknown[0],
            )
        url = options.get("url")
        if not url:
            raise InvalidConfiguration(
                "url: the prosody connector needs mod_remit's URL, "
                "such as https://conference.example.org:5281/remit/commands",
                field="url",
            )
        if not url.startswith(("http://", "https://")):
            raise InvalidConfiguration(f"url: {url!r} is not an http(s) URL", field="url")
        secret = options.get("secret") or new_secret()
        if not secret.startswith(SECRET_PREFIX):
            raise InvalidConfiguration("secret: must start with whsec_", field="secret")
        shown = {} if "secret" in options else {"secret": secret}
        return {"url": url, "secret": secret}, shown
