"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a text ending in a newline, a blank line, then one or more signature lines::

    <text, ending in a newline>

    — <key name> base64(4-byte key ID || Ed25519 signature of the text)

A key is named by its *key name* and its *key ID*, the first four bytes of
SHA-256(key name || 0x0A || 0x01 || 32-byte public key). Keys travel as strings: a verifier key
``name+hex(key ID)+base64(0x01 || public key)``, and a signer key
``PRIVATE+KEY+name+hex(key ID)+base64(0x01 || 32-byte seed)`` (the form Go's
``golang.org/x/mod/sumdb/note`` reads and writes).

Errors: a key string or a text to sign that cannot be used raises
:class:`~remit.errors.InvalidInput`; a note that is malformed, unsigned by any known key, or
carries a bad signature from a known key raises :class:`~remit.errors.VerificationError`.
Errors never repeat a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from remit.errors import InvalidInput, VerificationError

__all__ = [
    "MAX_SIGNATURES",
    "NoteVerifier",
    "Signer",
    "key_id",
    "verify_note",
]

MAX_SIGNATURES = 100
"""The most signature lines :func:`verify_note` reads; the spec asks for at least 16."""

_ED25519 = 0x01
_SIGNATURE_PREFIX = "— "  # em dash U+2014, space
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls other than newline


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key ID of the 32-byte Ed25519 ``public_key`` under the key ``name``."""
    _check_name(name, "name")
    _check_public_key(public_key)
    material = name.encode("utf-8") + b"\n" + bytes([_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _check_name(name: str, field: str) -> None:
    if (
        not isinstance(name, str)
        or not name
        or "+" in name
        or any(c.isspace() for c in name)
        or _CONTROL.search(name)
        or not _is_unicode(name)
    ):
        raise InvalidInput(
            f"a key name must be non-empty text without spaces or '+', not {name!r}", field=field
        )


def _check_public_key(public_key: bytes) -> None:
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise InvalidInput("an Ed25519 public key has 32 bytes", field="public_key")


def _is_unicode(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (Python strings may hold lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): alphabet and padding checked."""
    return base64.b64decode(text.encode("ascii"), validate=True)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class NoteVerifier:
    """A public Ed25519 key that may sign notes, with its key name and key ID."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if self.key_id != key_id(self.name, self.public_key):
            raise InvalidInput(f"the key ID does not belong to key {self.name!r}", field="key_id")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> NoteVerifier:
        """Return the verifier for ``public_key`` under ``name``, computing its key ID."""
        return cls(name, key_id(name, public_key), public_key)

    @classmethod
    def parse(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key string ``name+hex(key ID)+base64(0x01 || public key)``."""
        if not isinstance(vkey, str):
            raise InvalidInput("a verifier key is a string", field="verifier_key")
        parts = vkey.split("+", 2)
        if len(parts) != 3 or not _HEX_ID.fullmatch(parts[1]):
            raise InvalidInput(
                f"not a verifier key (name+keyid+base64): {vkey[:80]!r}", field="verifier_key"
            )
        name, hex_id, b64 = parts
        _check_name(name, "verifier_key")
        try:
            material = _b64decode(b64)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise InvalidInput(
                f"the key of verifier key {name!r} is not base64", field="verifier_key"
            ) from exc
        if material[:1] != bytes([_ED25519]) or len(material) != 33:
            raise InvalidInput(
                f"verifier key {name!r} is not an Ed25519 key (0x01 and 32 bytes)",
                field="verifier_key",
            )
        public_key = material[1:]
        if bytes.fromhex(hex_id) != key_id(name, public_key):
            raise InvalidInput(
                f"verifier key {name!r}: key ID {hex_id} does not match its key",
                field="verifier_key",
            )
        return cls(name, bytes.fromhex(hex_id), public_key)

    def to_text(self) -> str:
        """Return the verifier key string, the form :meth:`parse` reads."""
        material = _b64encode(bytes([_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def __str__(self) -> str:
        return self.to_text()

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature of ``message``."""
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """An Ed25519 private key that signs notes under a key name."""

    __slots__ = ("_key", "_name", "_verifier")

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        """Wrap an Ed25519 private key from ``cryptography`` under the key name ``name``."""
        _check_name(name, "name")
        self._name = name
        self._key = key
        self._verifier = NoteVerifier.from_public_key(name, key.public_key().public_bytes_raw())

    @classmethod
    def generate(cls, name: str) -> Signer:
        """Return a signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        """Return the signer whose Ed25519 private key is the 32-byte ``seed`` (RFC 8032)."""
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise InvalidInput("an Ed25519 private key seed has 32 bytes", field="seed")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_private_key(cls, skey: str) -> Signer:
        """Read a signer key string ``PRIVATE+KEY+name+hex(key ID)+base64(0x01 || seed)``."""
        parts = skey.split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX_ID.fullmatch(parts[3]):
            raise InvalidInput("not a signer key (PRIVATE+KEY+name+keyid+base64)", field="skey")
        name, hex_id, b64 = parts[2:]
        _check_name(name, "skey")
        try:
            material = _b64decode(b64)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise InvalidInput(f"the key of signer {name!r} is not base64", field="skey") from exc
        if material[:1] != bytes([_ED25519]) or len(material) != 33:
            raise InvalidInput(
                f"signer key {name!r} is not an Ed25519 key (0x01 and a 32-byte seed)",
                field="skey",
            )
        signer = cls.from_seed(name, material[1:])
        if signer.key_id != bytes.fromhex(hex_id):
            raise InvalidInput(
                f"signer key {name!r}: key ID {hex_id} does not match its key", field="skey"
            )
        return signer

    @property
    def name(self) -> str:
        """The key name written in signature lines."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID written at the start of each signature."""
        return self._verifier.key_id

    def private_key(self) -> str:
        """Return the signer key string, the form :meth:`from_private_key` reads. Keep it secret."""
        seed = self._key.private_bytes_raw()
        material = _b64encode(bytes([_ED25519]) + seed)
        return f"PRIVATE+KEY+{self._name}+{self.key_id.hex()}+{material}"

    def verifier(self) -> NoteVerifier:
        """Return the public half of this key."""
        return self._verifier

    def verifier_key(self) -> str:
        """Return the verifier key string others use to check this signer's notes."""
        return self._verifier.to_text()

    def sign(self, message: bytes) -> bytes:
        """Return the raw 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message)

    def signature_line(self, text: str) -> str:
        """Return the signature line (ending in a newline) of this key over the note ``text``."""
        _check_text(text)
        signature = self._key.sign(text.encode("utf-8"))
        return f"{_SIGNATURE_PREFIX}{self._name} {_b64encode(self.key_id + signature)}\n"

    def sign_note(self, text: str) -> str:
        """Return the signed note: ``text``, a blank line, and this key's signature line.

        ``text`` must end in a newline and hold no ASCII control character but newlines.
        """
        return f"{text}\n{self.signature_line(text)}"

    def __repr__(self) -> str:
        return f"<Signer {self._name}+{self.key_id.hex()}>"


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise InvalidInput("the text of a note must end in a newline", field="text")
    if _CONTROL.search(text):
        raise InvalidInput(
            "the text of a note holds no ASCII control character but newlines", field="text"
        )
    if not _is_unicode(text):
        raise InvalidInput("the text of a note must be valid Unicode", field="text")


def _known_keys(
    verifier_keys: str | NoteVerifier | Iterable[str | NoteVerifier],
) -> dict[tuple[str, bytes], NoteVerifier]:
    if isinstance(verifier_keys, str | NoteVerifier):
        verifier_keys = [verifier_keys]
    try:
        items = list(verifier_keys)
    except TypeError as exc:
        raise InvalidInput(
            "verifier keys are a key string, a NoteVerifier, or a collection of them",
            field="verifier_keys",
        ) from exc
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for item in items:
        verifier = item if isinstance(item, NoteVerifier) else NoteVerifier.parse(item)
        slot = (verifier.name, verifier.key_id)
        if known.setdefault(slot, verifier) != verifier:
            raise InvalidInput(
                f"two different keys share name {verifier.name!r} and key ID "
                f"{verifier.key_id.hex()}",
                field="verifier_keys",
            )
    return known


def _malformed(reason: str) -> VerificationError:
    return VerificationError(f"malformed signed note: {reason}", field="note")


def verify_note(
    note: str | bytes, verifier_keys: str | NoteVerifier | Iterable[str | NoteVerifier]
) -> str:
    """Check a signed note against the trusted keys and return its text.

    ``verifier_keys`` are verifier key strings or :class:`NoteVerifier` objects (one or many).
    Signatures by other keys are ignored, as the spec requires. Raises
    :class:`VerificationError` if the note is malformed, if any signature by a trusted key does
    not verify, or if no trusted key signed it; :class:`InvalidInput` if a verifier key cannot be
    read. The returned text ends in a newline and excludes the blank separator line.
    """
    known = _known_keys(verifier_keys)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed("not valid UTF-8") from exc
    if not isinstance(note, str):
        raise _malformed(f"a note is text, not {type(note).__name__}")
    if not _is_unicode(note):
        raise _malformed("not valid Unicode")
    if _CONTROL.search(note):
        raise _malformed("it holds an ASCII control character other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise _malformed("the signatures do not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"more than {MAX_SIGNATURES} signatures")
    body = text.encode("utf-8")

    verified = 0
    for line in lines:
        name, signature_id, signature = _parse_signature_line(line)
        verifier = known.get((name, signature_id))
        if verifier is None:
            continue  # a key we do not know: ignored, as the spec requires
        if not verifier.verify(body, signature):
            raise VerificationError(
                f"the signature of {verifier.to_text()} on this note does not verify",
                field="note",
            )
        verified += 1
    if not verified:
        raise VerificationError("no trusted key signed this note", field="note")
    return text


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    """Split ``— name base64`` into the name, the key ID and the signature."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise _malformed(f"a signature line must start with '— ', not {line[:20]!r}")
    name, space, b64 = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    try:
        _check_name(name, "note")
        if not space or not b64:
            raise ValueError("no signature after the key name")
        raw = _b64decode(b64)
    except (InvalidInput, ValueError, UnicodeEncodeError) as exc:
        raise _malformed(f"unreadable signature line {line[:40]!r}") from exc
    if len(raw) < 5:
        raise _malformed(f"the signature of {name!r} is too short")
    return name, raw[:4], raw[4:]
