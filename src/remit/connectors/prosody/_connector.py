"""Commands to Prosody: Standard Webhooks signed POSTs to the endpoint ``mod_remit`` serves.

The Lua module verifies each signature with Prosody's own HMAC-SHA256 and answers 2xx only once
the command is carried out (the occupant kicked, or already gone), so the outbox retries a kick
that could not happen yet. Signing and keep-alive delivery are the webhook connector's: Prosody
is one more receiver of the same signed requests, with its own settings checked here.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from remit.connectors._settings import Setting, checked_settings, http_url, webhook_secret
from remit.connectors.webhook import WebhookConnector, new_secret

#: The Prosody module, as installed next to Prosody's own (see the guide).
MODULE: Traversable = files(__package__) / "mod_remit.lua"

SETTINGS = (
    Setting(
        "url",
        needs="mod_remit's URL, such as https://conference.example.org:5281/remit/commands",
        check=http_url,
    ),
    Setting("secret", check=webhook_secret, make=new_secret, show_made=True),
)


class ProsodyConnector(WebhookConnector):
    """Delivers commands to ``mod_remit``'s endpoint on the MUC component (``url``)."""

    name = "prosody"

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options: ``url``, the module's endpoint
        (``http(s)://<component host>:<port>/remit/commands``), and an optional ``secret``;
        a new secret is made when none is given, and shown once for ``remit_secret``."""
        return checked_settings(self.name, options, SETTINGS)
