"""Platforms' settings sealed at rest: every value encrypted (AES-256-GCM) before it reaches the
database, opened again on read.

A platform's settings hold its webhook secret, the ``authorization`` header remit sends, a
conferencing server's API secret: whoever reads the database (a backup, a dump, a replica) would
hold them. So each value is stored as ``enc:v1:KEYID:BASE64`` (a random 96-bit nonce and the
ciphertext with its tag), its platform and setting name bound in as associated data, so that a
value moved to another platform or setting no longer opens. Every value is sealed, not only those
named secret: a plugin's credential is covered whatever it is called.

The key (32 random bytes, written as 64 hex digits) lives apart from the database: in
``REMIT_SECRETS_KEY`` when set (it wins), else in the file ``remit-secrets.key`` beside the log key
(mode 0600, created on the first start). ``KEYID`` names the key a value was sealed with (a hash
of it, never the key), so that a wrong key is told apart from a damaged value, and a node whose key
file was replaced by ``remit secrets rotate`` reads the new key on first sight of its id. Values
stored before sealing existed are plain; they open as they are and are sealed on the next start.
Errors never repeat a key or a value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from remit._files import write_private
from remit.errors import InvalidConfiguration

__all__ = [
    "ENV_KEY",
    "KEY_FILE",
    "PREFIX",
    "SealedKey",
    "Sealer",
    "key_id_of",
    "new_key",
    "read_key",
    "secrets_key_path",
]

#: What every sealed value starts with; the version names the algorithm and the layout.
PREFIX = "enc:v1:"
#: The key file's name, beside the log key.
KEY_FILE = "remit-secrets.key"
#: The environment variable that holds the key itself (64 hex digits); it wins over the file.
ENV_KEY = "REMIT_SECRETS_KEY"
_NONCE = 12


@dataclass(frozen=True, repr=False)
class SealedKey:
    """A secrets key and where it came from (a file's path, or the environment)."""

    raw: bytes
    source: str

    @property
    def id(self) -> str:
        return key_id_of(self.raw)

    def __repr__(self) -> str:  # never the key
        return f"SealedKey(id={self.id}, source={self.source})"


def key_id_of(raw: bytes) -> str:
    """The id of a key: 12 hex digits of a hash of it, which tells keys apart and reveals none."""
    return hashlib.sha256(b"remit secrets key id\0" + raw).hexdigest()[:12]


def new_key(source: str) -> SealedKey:
    return SealedKey(secrets.token_bytes(32), source)


def _parse(text: str, source: str) -> SealedKey:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidConfiguration(
            f"{source} is not a secrets key (64 hex digits)", field="secrets-key"
        )
    return SealedKey(raw, source)


def secrets_key_path(log_key: str | Path) -> Path:
    """Where the secrets key file lives: beside the log key ``log_key``."""
    return Path(log_key).with_name(KEY_FILE)


def read_key(path: Path, environ: Mapping[str, str] | None = None) -> SealedKey | None:
    """The key: from ``REMIT_SECRETS_KEY`` when set, else the file at ``path``; None when there
    is neither. ``InvalidConfiguration`` for a key that is not 64 hex digits or a file that
    cannot be read."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY, "").strip():
        return _parse(env[ENV_KEY], ENV_KEY)
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(
            f"cannot read the secrets key {path}", field="secrets-key"
        ) from exc
    return _parse(text, str(path))


def write_key(key: SealedKey, path: Path, *, exclusive: bool) -> None:
    """Write ``key`` to ``path`` (64 hex digits, mode 0600, whole or not at all)."""
    try:
        write_private(path, key.raw.hex() + "\n", exclusive=exclusive)
    except FileExistsError:
        raise
    except OSError as exc:
        raise InvalidConfiguration(
            f"cannot write the secrets key {path}: {exc.strerror}", field="secrets-key"
        ) from exc


def sealed_key_id(value: str) -> str | None:
    """The id of the key ``value`` was sealed with; None for a plain value."""
    if not value.startswith(PREFIX):
        return None
    return value[len(PREFIX) :].partition(":")[0]


def _aad(platform: str, name: str) -> bytes:
    return f"remit platform setting\0{platform}\0{name}".encode()


class Sealer:
    """Seals and opens the values of platforms' settings with one key.

    ``reload`` (for a key from a file) reads the key again; it is called when a value names a key
    this sealer does not hold, so that a node picks up a rotated key file without a restart."""

    def __init__(
        self, key: SealedKey, *, reload: Callable[[], SealedKey | None] | None = None
    ) -> None:
        self._use(key)
        self._reload = reload

    def _use(self, key: SealedKey) -> None:
        self._key = key
        self._aead = AESGCM(key.raw)

    @property
    def key(self) -> SealedKey:
        return self._key

    def seal(self, platform: str, name: str, value: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), _aad(platform, name))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self._key.id}:{body}"

    def open(self, platform: str, name: str, value: str) -> str:
        kid = sealed_key_id(value)
        if kid is None:
            return value  # stored before sealing: sealed on the next start
        if kid != self._key.id and self._reload is not None:
            fresh = self._reload()
            if fresh is not None and fresh.id == kid:
                self._use(fresh)
        if kid != self._key.id:
            raise InvalidConfiguration(
                f"platform {platform}: its settings were sealed with secrets key {kid}, but the "
                f"key in {self._key.source} is {self._key.id}: restore the right key "
                "(from the backup kept apart from the database)",
                field="secrets-key",
            )
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) + len(kid) + 1 :])
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(platform, name))
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise InvalidConfiguration(
                f"platform {platform}: its setting {name} does not open with secrets key "
                f"{kid} (damaged, or moved from another platform or setting)",
                field="secrets-key",
            ) from exc
        return plain.decode("utf-8")

    def seal_all(self, platform: str, settings: Mapping[str, str]) -> dict[str, str]:
        return {name: self.seal(platform, name, value) for name, value in settings.items()}

    def open_all(self, platform: str, settings: Mapping[str, str]) -> dict[str, str]:
        return {name: self.open(platform, name, value) for name, value in settings.items()}


def open_plain(platform: str, settings: Mapping[str, str]) -> dict[str, str]:
    """Settings read without a key: plain values as they are; a sealed one is an error."""
    for name, value in settings.items():
        kid = sealed_key_id(value)
        if kid is not None:
            raise InvalidConfiguration(
                f"platform {platform}: its setting {name} is sealed with secrets key {kid}, "
                "and this store was opened without a secrets key",
                field="secrets-key",
            )
    return dict(settings)
