"""Webhooks signed per the Standard Webhooks spec (headers webhook-id, -timestamp, -signature).

The body is ``{"type": …, "timestamp": …, "data": …}``; ``webhook-id`` is the command's
idempotency key, so a platform that sees the same id twice can ignore the repeat.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from remit.enforcement import Command, Platform
from remit.errors import DeliveryError, InvalidConfiguration

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A new webhook signing secret, ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookConnector:
    """Delivers commands as signed POST requests to the platform's ``url``."""

    name = "webhook"

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._local = threading.local()

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=self._timeout)
        return client

    @staticmethod
    def settings(url: str, secret: str) -> dict[str, str]:
        """The platform settings this connector needs, checked."""
        if not url.startswith(("http://", "https://")):
            raise InvalidConfiguration(
                f"webhook-url: {url!r} is not an http(s) URL", field="webhook-url"
            )
        if not secret.startswith(SECRET_PREFIX):
            raise InvalidConfiguration("secret: must start with whsec_", field="secret")
        return {"url": url, "secret": secret}

    def deliver(self, platform: Platform, command: Command) -> None:
        """POST the command, signed; any answer but 2xx is a :class:`DeliveryError`."""
        url = platform.settings.get("url", "")
        sent = datetime.now(UTC)
        body = json.dumps(
            {"type": command.type, "timestamp": sent.isoformat(), "data": command.data},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        try:
            signature = Webhook(platform.settings["secret"]).sign(command.key, sent, body)
        except (KeyError, ValueError, TypeError) as exc:
            raise DeliveryError(
                f"platform {platform.name}: its webhook secret is unusable"
            ) from exc
        headers = {
            "webhook-id": command.key,
            "webhook-timestamp": str(int(sent.timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }
        try:
            response = self._client().post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"platform {platform.name}: {type(exc).__name__} at {url}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"platform {platform.name}: {url} answered {response.status_code}")
