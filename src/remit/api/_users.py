"""Users and their API tokens: tokens are shown once and stored only as their hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from remit.errors import InvalidInput
from remit.store import Role, Store, User

TOKEN_PREFIX = "remit_"


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex. Tokens are never stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A new API token: ``remit_`` and 32 random bytes, URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_user(store: Store, name: str, roles: Iterable[str], *, now: datetime) -> str:
    """Add a user with ``roles`` and return their new API token (shown once, stored hashed)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or name != name.strip():
        raise InvalidInput(
            "name: must be a non-empty name without surrounding spaces", field="name"
        )
    try:
        role_set = frozenset(Role(r) for r in roles)
    except ValueError as exc:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role: must be one of {known}", field="role") from exc
    if not role_set:
        raise InvalidInput("role: give at least one role", field="role")
    token = new_token()
    store.add_user(User(name=name, roles=role_set, created_at=now), hash_token(token))
    return token
