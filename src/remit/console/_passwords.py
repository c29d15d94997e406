"""Console passwords: hashed with scrypt (memory-hard, in the standard library), never stored.

A stored hash reads ``scrypt$N$r$p$salt$key`` (salt and key in base64), so the cost can be raised
later without making the passwords already set unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from remit.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024
_N, _R, _P, _KEY = 2**14, 8, 1, 32
#: Verified when a user has no password, so that an unknown name takes as long as a wrong password.
_DECOY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def check_new_password(password: str) -> str:
    """The password, refused when too short or too long to be one a person should use."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: must be at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: must be at most {MAX_LENGTH} characters", field="password")
    return password


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY, maxmem=256 * 1024 * 1024
    )


def hash_password(password: str) -> str:
    """The stored form of a new password (checked first)."""
    check_new_password(password)
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, _N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(key).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (None: the user has none)."""
    try:
        scheme, n, r, p, salt, key = (stored or _DECOY).split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:  # a malformed stored hash matches nothing
        return False
    return stored is not None and hmac.compare_digest(derived, base64.b64decode(key))
