"""What the web console keeps: password hashes, signed-in sessions and failed sign-ins.

Kept apart from :class:`~remit.store.Store` because only the console needs it: the API signs in
with bearer tokens. Passwords and session ids are stored only as hashes, so a copy of the
database lets no one sign in. Failed sign-ins are kept by the SHA-256 of what they are counted
under (:func:`signin_key`: a user name as typed, a client address), briefly, so that every node
sharing the database throttles password guessing alike. Two implementations:
:class:`MemoryConsoleStore` for unit tests and ``SqlConsoleStore`` on the store's database
(tables ``console_passwords`` and ``console_sessions``, migration 0004;
``console_signin_failures``, migration 0005).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from remit._checks import aware
from remit.errors import Conflict, InvalidInput
from remit.store import _checks
from remit.store._interface import Store

#: The longest sign-in attempt id a store keeps.
ATTEMPT = 64


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: the SHA-256 of its cookie, who it is, and its CSRF token."""

    id_hash: str
    user: str
    csrf: str
    created_at: datetime
    expires_at: datetime


#: What failed sign-ins are counted under.
SIGNIN_KINDS = ("user", "address")


def signin_key(kind: str, value: str) -> str:
    """The SHA-256 stored for failed sign-ins under ``kind`` (``user``: a name as typed, compared
    without regard to case; ``address``: a client's address) and ``value``."""
    if kind not in SIGNIN_KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(SIGNIN_KINDS)}", field="kind")
    if not isinstance(value, str):
        raise InvalidInput("value: must be text", field="value")
    text = f"{kind}\n{value.casefold() if kind == 'user' else value}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class ConsoleStore(Protocol):
    """Passwords, console sessions and failed sign-ins. Raises only remit errors."""

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

    def add_signin_attempt(self, attempt: str, keys: Mapping[str, str], at: datetime) -> None:
        """Count a sign-in attempt as a failure under each of ``keys`` (kind -> value: ``user``,
        the name as typed; ``address``, the client's), until :meth:`forget_signin_attempt`
        takes it back (``Conflict`` when ``attempt`` is counted already)."""

    def forget_signin_attempt(self, attempt: str) -> None:
        """Take back an attempt (it signed in, or was refused unheard). Nothing when none."""

    def signin_failures(self, kind: str, value: str, since: datetime) -> list[tuple[str, datetime]]:
        """The failures counted under ``kind`` ``value`` at or after ``since``, as (attempt,
        when), oldest first."""

    def clear_signin_failures(self, kind: str, value: str) -> None:
        """Forget the failures counted under ``kind`` ``value`` (a user signed in)."""

    def end_signin_failures(self, before: datetime) -> int:
        """Forget every failure older than ``before``; returns how many."""


def checked(session: ConsoleSession) -> ConsoleSession:
    """The session, refused when a store could not keep it as it is."""
    _checks.token_hash(session.id_hash)
    aware(session.created_at, "created_at")
    aware(session.expires_at, "expires_at")
    if not session.csrf:
        raise InvalidInput("csrf: must not be empty", field="csrf")
    return session


def checked_attempt(attempt: str, keys: Mapping[str, str], at: datetime) -> list[str]:
    """The hashes to store for an attempt, refused when a store could not keep it as it is."""
    if not isinstance(attempt, str) or not 1 <= len(attempt) <= ATTEMPT:
        raise InvalidInput(f"attempt: must be 1 to {ATTEMPT} characters", field="attempt")
    aware(at, "at")
    found = list(dict.fromkeys(signin_key(kind, value) for kind, value in keys.items()))
    if not found:
        raise InvalidInput("keys: must not be empty", field="keys")
    return found


class MemoryConsoleStore:
    """A :class:`ConsoleStore` in memory, beside a :class:`~remit.store.MemoryStore`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}
        self._sessions: dict[str, ConsoleSession] = {}
        #: Failed sign-ins as (attempt, key, when).
        self._failures: list[tuple[str, str, datetime]] = []

    def set_password(self, name: str, password_hash: str, at: datetime) -> None:
        self._store.get_user(name)  # NotFound when there is no such user
        user_key = signin_key("user", name)
        with self._lock:
            self._passwords[name] = password_hash
            for key in [k for k, s in self._sessions.items() if s.user == name]:
                del self._sessions[key]
            self._failures = [f for f in self._failures if f[1] != user_key]

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

    def add_signin_attempt(self, attempt: str, keys: Mapping[str, str], at: datetime) -> None:
        found = checked_attempt(attempt, keys, at)
        with self._lock:
            if any(f[0] == attempt for f in self._failures):
                raise Conflict("that sign-in attempt is already counted")
            self._failures.extend((attempt, key, at) for key in found)

    def forget_signin_attempt(self, attempt: str) -> None:
        with self._lock:
            self._failures = [f for f in self._failures if f[0] != attempt]

    def signin_failures(self, kind: str, value: str, since: datetime) -> list[tuple[str, datetime]]:
        key = signin_key(kind, value)
        aware(since, "since")
        with self._lock:
            found = [(a, at) for a, k, at in self._failures if k == key and at >= since]
        return sorted(found, key=lambda f: (f[1], f[0]))

    def clear_signin_failures(self, kind: str, value: str) -> None:
        key = signin_key(kind, value)
        with self._lock:
            self._failures = [f for f in self._failures if f[1] != key]

    def end_signin_failures(self, before: datetime) -> int:
        aware(before, "before")
        with self._lock:
            kept = [f for f in self._failures if f[2] >= before]
            gone, self._failures = len(self._failures) - len(kept), kept
            return gone


__all__ = [
    "ConsoleSession",
    "ConsoleStore",
    "MemoryConsoleStore",
    "checked",
    "checked_attempt",
    "signin_key",
]

if TYPE_CHECKING:

    def _is_a_console_store(store: MemoryConsoleStore) -> ConsoleStore:
        return store
