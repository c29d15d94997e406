"""Checking a Standard Webhooks signature with the standard library alone.

This runs inside Synapse's process, where the ``standardwebhooks`` package is not installed: the
spec is small enough to follow directly. The signed content is ``{id}.{timestamp}.{body}``, the
key is the base64 after ``whsec_``, and ``webhook-signature`` holds one or more space-separated
``v1,<base64 HMAC-SHA256>`` (several while a secret is being rotated).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
#: How far a webhook's timestamp may be from our clock, either way (the spec's five minutes):
#: an old request replayed by someone who recorded it is refused.
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The webhook is unsigned, forged, or too old or too new to accept."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret; ``ValueError`` when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is whsec_ and base64") from exc
    if not key:
        raise ValueError("a webhook secret is whsec_ and base64")
    return key


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,…`` signature of one webhook."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(key: bytes, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Check a webhook's headers (lower-case names) against ``body``; returns its ``webhook-id``.

    Raises :class:`SignatureError` when a header is missing, the timestamp is outside the
    tolerance, or no ``v1`` signature matches.
    """
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not a number") from exc
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is too far from now")
    expected = sign(key, webhook_id, timestamp, body)
    for signature in signatures.split():
        if signature.startswith("v1,") and hmac.compare_digest(signature, expected):
            return webhook_id
    raise SignatureError("no signature matches")
