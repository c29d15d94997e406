"""The console's cookies against other origins: names, the signed sign-in token, fetch metadata.

Cookies are not kept apart by port, and a page on another port of the same host (or, over plain
http, any host sharing a parent domain) may set cookies for remit. Three things stop it from
signing a victim in as someone else (login CSRF by cookie tossing):

- over https the cookies are named ``__Host-remit_session`` and ``__Host-remit_signin``: a
  browser takes such a cookie only when set by a secure origin of this very host, with ``Path=/``
  and no ``Domain``. Over plain http the prefix is not allowed, so the names are the plain ones
  (run the console over https anywhere but on one's own machine; see docs/security.md);
- the sign-in form's double-submit token is signed (an HMAC with a key derived from the log key,
  so that every node of one deployment checks it alike) and expires with its cookie: a token
  remit did not issue, in the last hour, is refused;
- a POST to ``/signin`` that the browser says comes from another origin is refused:
  ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or, from a browser that does not
  send it, an ``Origin`` whose host is not the request's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.requests import Request

from remit.api import Node
from remit.errors import InvalidAddress
from remit.location import parse_address
from remit.transparency.note import Signer

__all__ = ["SIGNIN_TTL_S", "SigninTokens", "cookie_name", "from_this_origin", "is_https"]

#: How long a sign-in form's token (and its cookie) lasts.
SIGNIN_TTL_S = 3600
_PREFIX = "__Host-"


def is_https(node: Node, request: Request) -> bool:
    """Whether the browser reached the console over https: the request's own scheme, or
    ``X-Forwarded-Proto: https`` from a proxy the node trusts (``--trusted-proxy``, the one
    owner of proxy headers; from anyone else the header is ignored)."""
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto")
    if proto is None or request.client is None:
        return False
    try:
        peer = parse_address(request.client.host)
    except InvalidAddress:
        return False
    nearest = proto.split(",")[-1].strip().lower()  # what the proxy next to remit says
    return peer in node.locator.trusted_proxies and nearest == "https"


def cookie_name(base: str, https: bool) -> str:
    """``__Host-`` and ``base`` over https, ``base`` over plain http."""
    return _PREFIX + base if https else base


class SigninTokens:
    """Issues and checks the sign-in form's tokens: ``nonce.issued.mac``, the MAC keyed by a
    secret derived from the log's key (a random one for this process when there is no log)."""

    def __init__(self, signer: Signer | None, clock: Callable[[], float] = time.time) -> None:
        if signer is None:
            self._key = secrets.token_bytes(32)
        else:
            self._key = hmac.new(
                signer.private_key().encode("ascii"),
                b"remit console: sign-in form tokens",
                "sha256",
            ).digest()
        self._clock = clock

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _now(self) -> int:
        return int(self._clock())

    def issue(self) -> str:
        """A new token, for the form and its cookie."""
        body = f"{secrets.token_urlsafe(24)}.{self._now()}"
        return f"{body}.{self._mac(body)}"

    def valid(self, token: str) -> bool:
        """Whether ``token`` is one this deployment issued within :data:`SIGNIN_TTL_S`."""
        nonce, dot, rest = token.partition(".")
        issued, dot2, mac = rest.partition(".")
        if not (nonce and dot and dot2 and issued.isascii() and issued.isdigit()):
            return False
        if not hmac.compare_digest(self._mac(f"{nonce}.{issued}"), mac):
            return False
        return 0 <= self._now() - int(issued) <= SIGNIN_TTL_S


def from_this_origin(request: Request) -> bool:
    """Whether the browser says the POST comes from the console's own pages (True as well for
    a client that sends neither ``Sec-Fetch-Site`` nor ``Origin``, which is no browser's form)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin.strip().lower() == "null":
        return False
    return urlsplit(origin.strip()).netloc.lower() == request.headers.get("host", "").lower()
