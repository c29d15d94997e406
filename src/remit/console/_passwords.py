"""Console passwords: hashed with scrypt (memory-hard, in the standard library), never stored.

A stored hash reads ``scrypt$N$r$p$salt$key`` (salt and key in base64), so the cost can be raised
later without making the passwords already set unreadable: a hash made at another cost still
verifies, and :func:`needs_rehash` tells the sign-in to store it again at :data:`COST`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from remit.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024
#: scrypt's N, r and p for new passwords: N = 2**17 with r = 8 and p = 1 (128 MiB, OWASP's
#: minimum for scrypt). Passwords set at 2**14 (remit before 2026-12) are moved to it at sign-in.
COST = (2**17, 8, 1)
_KEY = 32
_ZEROS = "AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def check_new_password(password: str) -> str:
    """The password, refused when too short or too long to be one a person should use."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: must be at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: must be at most {MAX_LENGTH} characters", field="password")
    return password


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    memory = 128 * n * r * p + 1024 * 1024  # what scrypt needs, and some room
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY, maxmem=memory
    )


def hash_password(password: str) -> str:
    """The stored form of a new password (checked first), at :data:`COST`."""
    check_new_password(password)
    n, r, p = COST
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, n, r, p)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(key).decode()}"


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made at another cost than :data:`COST` (so, once its password
    has been verified, it should be stored again from it)."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or tuple(parts[1:4]) != tuple(map(str, COST))


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (None: the user has none; the
    check then takes as long as one at :data:`COST`, so an unknown name is not told apart)."""
    decoy = "scrypt${}${}${}$".format(*COST) + _ZEROS
    try:
        scheme, n, r, p, salt, key = (stored or decoy).split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:  # a malformed stored hash matches nothing
        return False
    return stored is not None and hmac.compare_digest(derived, base64.b64decode(key))
