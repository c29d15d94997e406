"""What remit learned at token time, sealed into the token for the join that follows.

LiveKit's webhooks say who joined which room, not from where: a ``participant_joined`` event
carries the participant's identity and the attributes of the token they joined with, never their
address. So the token remit mints carries the participant's address (and dial-in number, language
and the room's host) in one attribute, sealed: encrypted and authenticated with AES-256-GCM under
a key derived from the platform's LiveKit API secret (HKDF-SHA256), and bound to the identity and
the room. Other participants see the attribute but cannot read it; nobody without the secret can
make one that remit accepts; and remit keeps no table of tokens, so a restart loses nothing.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The participant attribute that holds the seal.
ATTRIBUTE = "remit.seal"
_VERSION = b"\x01"
_INFO = b"remit livekit participant seal v1"


@dataclass(frozen=True)
class Sealed:
    """What a join needs that LiveKit does not report: personal data, seen only by remit."""

    ip: str | None = None
    phone: str | None = None
    language: str | None = None
    host: str | None = None


def _key(api_secret: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return AESGCM(derived.derive(api_secret.encode()))


def _bound(identity: str, room: str) -> bytes:
    """The associated data: a seal opens only for the identity and room it was made for."""
    return json.dumps([identity, room], ensure_ascii=False).encode()


def seal(api_secret: str, identity: str, room: str, sealed: Sealed) -> str:
    """The attribute value carrying ``sealed`` for ``identity`` in ``room``."""
    plain = json.dumps(
        {k: v for k, v in vars(sealed).items() if v is not None},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    nonce = os.urandom(12)
    box = _key(api_secret).encrypt(nonce, plain, _bound(identity, room))
    return base64.urlsafe_b64encode(_VERSION + nonce + box).decode().rstrip("=")


def unseal(api_secret: str, identity: str, room: str, value: str) -> Sealed | None:
    """What ``value`` carries, or None when it is not a seal remit made for this identity and
    room with this secret (forged, altered, moved to another person, or another platform's)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        if raw[:1] != _VERSION or len(raw) < 1 + 12 + 16:
            return None
        plain = _key(api_secret).decrypt(raw[1:13], raw[13:], _bound(identity, room))
        fields = json.loads(plain)
    except (ValueError, InvalidTag):
        return None
    if not isinstance(fields, dict):
        return None
    known = {k: v for k, v in fields.items() if k in Sealed.__dataclass_fields__}
    if not all(isinstance(v, str) for v in known.values()):
        return None
    return Sealed(**known)
