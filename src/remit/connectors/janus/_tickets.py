"""Join tokens and publisher ids that remit can recompute, so it needs no table of its own.

A token names the participant and the meeting's host, and is signed for one room with the
platform's ``token_secret``: the same participant in the same room always gets the same token.
remit can therefore revoke it from a removal command's data alone, restore it after Janus
restarts, and, when Janus reports a join with it, tell who joined (Janus's ``joined`` event
carries the token) without trusting the client. The publisher id remit assigns is derived the
same way, so a removal knows which feed to ``kick``.

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from remit._checks import ascii_digits

PREFIX = "rt1."
#: The participant remit rosters for a publisher it cannot identify (no token of its own, or a
#: publisher id other than the one remit assigned): removing it kicks that feed.
UNKNOWN_FEED = "janus-feed-"
#: The largest id a JavaScript client can hold exactly (2**53 - 1).
MAX_ID = 2**53 - 1


def new_secret() -> str:
    """A new token secret: 32 random bytes, hex."""
    return secrets.token_hex(32)


def _mac(secret: str, *parts: str) -> bytes:
    message = "\0".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token(secret: str, room: str, participant: str, host: str | None) -> str:
    """The join token of ``participant`` in ``room`` (hosted by ``host``)."""
    payload = _b64(json.dumps([participant, host], separators=(",", ":")).encode())
    return f"{PREFIX}{payload}.{_b64(_mac(secret, 'token', room, payload)[:16])}"


def read_token(secret: str, room: str, text: str) -> tuple[str, str | None] | None:
    """The participant and host a token of ``room`` names, or None when it is not remit's."""
    if not text.startswith(PREFIX) or text.count(".") != 2:
        return None
    payload, _, tag = text.removeprefix(PREFIX).partition(".")
    try:
        good = hmac.compare_digest(_unb64(tag), _mac(secret, "token", room, payload)[:16])
        if not good:
            return None
        value = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and (value[1] is None or isinstance(value[1], str))
    ):
        return value[0], value[1]
    return None


def feed_id(secret: str, room: str, participant: str) -> int:
    """The VideoRoom publisher id remit assigns to ``participant`` in ``room``: 1 to 2**53 - 1."""
    digest = _mac(secret, "feed", room, participant)
    return int.from_bytes(digest[:8], "big") % MAX_ID + 1


def feed_of(secret: str, room: str, participant: str) -> int | None:
    """The publisher id to kick for a rostered participant (None: not a number remit can use)."""
    if participant.startswith(UNKNOWN_FEED):
        number = participant.removeprefix(UNKNOWN_FEED)
        return int(number) if ascii_digits(number) else None
    return feed_id(secret, room, participant)
