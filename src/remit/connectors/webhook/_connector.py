"""Webhooks signed per the Standard Webhooks spec (headers webhook-id, -timestamp, -signature).

The body is ``{"type": …, "timestamp": …, "data": …}``; ``webhook-id`` is the command's
idempotency key, so a platform that sees the same id twice can ignore the repeat.

A rotated secret (``remit platform rotate``) keeps the old one in ``previous_secret`` until
``previous_secret_until``: until then each delivery is signed with both, space-separated in
``webhook-signature`` as the spec allows, so a platform verifying with either secret accepts it
while it deploys the new one.

Requests go out on keep-alive connections of the standard library's ``http.client``, one per
delivery thread and platform address: it costs a third of httpx's time per request, which is what
bounds the outbox's deliveries per second. A URL the environment sends through a proxy
(``HTTPS_PROXY`` and the like) goes through httpx, which speaks to proxies.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import ssl
import threading
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import certifi
import httpx
from standardwebhooks import Webhook

from remit._urls import has_credentials, shown_url
from remit.connectors._settings import (
    SECRET_PREFIX,
    Setting,
    checked_settings,
    http_url,
    webhook_secret,
)
from remit.enforcement import Command, Connector, Platform
from remit.errors import DeliveryError


def new_secret() -> str:
    """A new webhook signing secret, ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _webhook_url(value: str) -> str:
    if has_credentials(value):
        raise ValueError(
            f"{shown_url(value)!r} has a user name or password in it (user:password@), which "
            "remit refuses (a URL is shown in errors and logs); give the platform's credentials "
            "as the setting authorization=VALUE, sent as the Authorization header of every "
            "delivery (such as 'Basic dTpw' or 'Bearer K')"
        )
    return http_url(value)


def _header_value(value: str) -> str:
    if not (value.isascii() and value.isprintable()):
        raise ValueError("must be one line of printable characters (an HTTP header value)")
    return value


#: The webhook connector's settings (``remit platform add --webhook-url URL`` sets ``url``).
SETTINGS = (
    Setting("url", needs="a URL", check=_webhook_url),
    Setting("secret", check=webhook_secret, make=new_secret, show_made=True),
    # What the platform's endpoint asks of callers besides the signature: sent as the
    # Authorization header of every delivery, never shown.
    Setting("authorization", check=_header_value),
)


class WebhookConnector(Connector):
    """Delivers commands as signed POST requests to the platform's ``url``."""

    name = "webhook"

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[http.client.HTTPConnection | httpx.Client] = []
        self._proxies = urllib.request.getproxies()  # as the environment says when remit starts
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        """Close every connection the delivery threads opened (the enforcer calls this on stop)."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for connection in opened:
            connection.close()

    def _keep(self, opened: http.client.HTTPConnection | httpx.Client) -> None:
        with self._lock:
            self._opened.append(opened)

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=self._timeout)
            self._keep(client)
        return client

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        """This thread's keep-alive connection to a platform's address."""
        connections: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "connections", None
        )
        if connections is None:
            connections = self._local.connections = {}
        connection = connections.get((scheme, netloc))
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    netloc, timeout=self._timeout, context=self._tls_context()
                )
            else:
                connection = http.client.HTTPConnection(netloc, timeout=self._timeout)
            connections[scheme, netloc] = connection
            self._keep(connection)
        return connection

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body``; the answer's status. Raises ``OSError`` or ``http.client`` errors."""
        parts = urllib.parse.urlsplit(url)
        if self._proxied(parts.scheme, parts.hostname or ""):
            return self._client().post(url, content=body, headers=headers).status_code
        connection = self._connection(parts.scheme, parts.netloc)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        reused = connection.sock is not None
        try:
            return _exchange(connection, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused:
                raise
            # The platform closed the idle connection: send again on a new one (the
            # webhook-id lets the platform drop a repeat, should the first have arrived).
            return _exchange(connection, path, body, headers)
        except BaseException:
            connection.close()
            raise

    def _tls_context(self) -> ssl.SSLContext:
        """Certificates checked against the same CA bundle httpx uses (certifi's)."""
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=certifi.where())
            return self._tls

    def _proxied(self, scheme: str, host: str) -> bool:
        """Whether the environment sends requests to ``host`` through a proxy."""
        if not (self._proxies.get(scheme) or self._proxies.get("all")):
            return False
        return not urllib.request.proxy_bypass(host)

    @classmethod
    def settings(cls, url: str, secret: str) -> dict[str, str]:
        """The platform settings of a webhook ``url`` signed with ``secret``, checked."""
        return cls().configure({"url": url, "secret": secret})[0]

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options (``url``, optional ``secret``); a new secret is
        made when none is given, and shown once."""
        return checked_settings(self.name, options, SETTINGS)

    def rotate(
        self, settings: dict[str, str], old_until: datetime
    ) -> tuple[dict[str, str], dict[str, str]]:
        """A new secret in place of the platform's; the old one keeps signing until
        ``old_until`` (not at all when that is now or past). Returns the settings to store and
        the new secret to show once."""
        secret = new_secret()
        rotated = {k: v for k, v in settings.items() if not k.startswith("previous_secret")}
        rotated["secret"] = secret
        if old_until > datetime.now(UTC) and "secret" in settings:
            rotated["previous_secret"] = settings["secret"]
            rotated["previous_secret_until"] = old_until.astimezone(UTC).isoformat()
        return rotated, {"secret": secret}

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
            signature = " ".join(
                Webhook(secret).sign(command.key, sent, body)
                for secret in _signing_secrets(platform.settings, sent)
            )
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
        if platform.settings.get("authorization"):
            headers["authorization"] = platform.settings["authorization"]
        shown = shown_url(url)
        try:
            status = self._post(url, body.encode(), headers)
        except (OSError, http.client.HTTPException, httpx.HTTPError, ValueError) as exc:
            raise DeliveryError(
                f"platform {platform.name}: {type(exc).__name__} at {shown}"
            ) from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"platform {platform.name}: {shown} answered {status}")


def _signing_secrets(settings: dict[str, str], at: datetime) -> list[str]:
    """The secrets a delivery at ``at`` is signed with: the platform's, and the one it replaced
    while its grace period lasts."""
    secrets_ = [settings["secret"]]
    previous, until = settings.get("previous_secret"), settings.get("previous_secret_until")
    if previous and until:
        try:
            ends = datetime.fromisoformat(until)
        except ValueError:
            return secrets_  # an unreadable end: the grace period is over
        if ends.utcoffset() is not None and at < ends:
            secrets_.append(previous)
    return secrets_


def _exchange(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> int:
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()  # the whole answer, so that the connection can carry the next request
    return response.status
