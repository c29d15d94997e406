"""What the web console keeps: each user's password hash and the signed-in sessions.

Kept apart from :class:`~remit.store.Store` because only the console needs it: the API signs in
with bearer tokens. Passwords and session ids are stored only as hashes, so a copy of the
database lets no one sign in. Two implementations: :class:`MemoryConsoleStore` for unit tests and
``SqlConsoleStore`` on the store's database (tables ``console_passwords`` and
``console_sessions``, migration 0004).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from remit.errors import Conflict, InvalidInput
from remit.store import _checks
from remit.store._interface import Store


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: the SHA-256 of its cookie, who it is, and its CSRF token."""

    id_hash: str
    user: str
    csrf: str
    created_at: datetime
    expires_at: datetime


class ConsoleStore(Protocol):
    """Passwords and console sessions. Raises only remit errors."""

    def set_password(self, name: str, password_hash: str, at: datetime) -> None:
        """Set ``name``'s password hash and end all their sessions (``NotFound``: no user)."""

    def password_hash(self, name: str) -> str | None:
        """The stored hash of ``name``'s password, or None when they have none."""

    def add_session(self, session: ConsoleSession) -> None:
        """Store a new session (``Conflict`` when its id hash exists)."""

    def get_session(self, id_hash: str) -> ConsoleSession | None:
        """The session with this id hash, or None (expired ones too: the caller checks)."""

    def end_session(self, id_hash: str) -> None:
        """Forget a session (sign-out). Nothing happens when there is none."""

    def end_expired(self, now: datetime) -> int:
        """Forget every session that expired before ``now``; returns how many."""


def checked(session: ConsoleSession) -> ConsoleSession:
    """The session, refused when a store could not keep it as it is."""
    _checks.token_hash(session.id_hash)
    _checks.aware(session.created_at, "created_at")
    _checks.aware(session.expires_at, "expires_at")
    if not session.csrf:
        raise InvalidInput("csrf: must not be empty", field="csrf")
    return session


class MemoryConsoleStore:
    """A :class:`ConsoleStore` in memory, beside a :class:`~remit.store.MemoryStore`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}
        self._sessions: dict[str, ConsoleSession] = {}

    def set_password(self, name: str, password_hash: str, at: datetime) -> None:
        self._store.get_user(name)  # NotFound when there is no such user
        with self._lock:
            self._passwords[name] = password_hash
            for key in [k for k, s in self._sessions.items() if s.user == name]:
                del self._sessions[key]

    def password_hash(self, name: str) -> str | None:
        with self._lock:
            return self._passwords.get(name)

    def add_session(self, session: ConsoleSession) -> None:
        checked(session)
        with self._lock:
            if session.id_hash in self._sessions:
                raise Conflict("that session id is already in use")
            self._sessions[session.id_hash] = session

    def get_session(self, id_hash: str) -> ConsoleSession | None:
        with self._lock:
            return self._sessions.get(id_hash)

    def end_session(self, id_hash: str) -> None:
        with self._lock:
            self._sessions.pop(id_hash, None)

    def end_expired(self, now: datetime) -> int:
        with self._lock:
            gone = [k for k, s in self._sessions.items() if s.expires_at < now]
            for key in gone:
                del self._sessions[key]
            return len(gone)


__all__ = ["ConsoleSession", "ConsoleStore", "MemoryConsoleStore", "checked"]

if TYPE_CHECKING:

    def _is_a_console_store(store: MemoryConsoleStore) -> ConsoleStore:
        return store
