"""Where each Janus session connected from, learnt from Janus's events, in this node's memory.

Janus reports a client's address on its transport events (``type`` 128: the request's or the
connection's ``ip``, under the transport's instance ``id``), and the transport instance that
created each session on the session's ``created`` event (``type`` 1). Together they place a
session; the VideoRoom's ``joined`` event then names the session that joined. The book is
bounded: the oldest entries go first, and a destroyed session's entry goes at once.
"""

from __future__ import annotations

import threading
from typing import TypeVar

LIMIT = 100_000
K = TypeVar("K")


class Addresses:
    """Transport instances' and Janus sessions' addresses, per platform."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._transports: dict[tuple[str, str], str] = {}
        self._sessions: dict[tuple[str, int], str] = {}

    def transport(self, platform: str, transport_id: str, ip: str) -> None:
        """A transport instance (an HTTP request, a WebSocket connection) came from ``ip``."""
        with self._lock:
            _put(self._transports, (platform, transport_id), ip, self._limit)

    def session_created(self, platform: str, session_id: int, transport_id: str) -> str | None:
        """A Janus session was created over a transport instance; its address, when known."""
        with self._lock:
            ip = self._transports.get((platform, transport_id))
            if ip is not None:
                _put(self._sessions, (platform, session_id), ip, self._limit)
            return ip

    def session_gone(self, platform: str, session_id: int) -> None:
        with self._lock:
            self._sessions.pop((platform, session_id), None)

    def of_session(self, platform: str, session_id: int | None) -> str | None:
        """The address a Janus session connected from, or None when this node never learnt it."""
        if session_id is None:
            return None
        with self._lock:
            return self._sessions.get((platform, session_id))


def _put(table: dict[K, str], key: K, value: str, limit: int) -> None:
    table.pop(key, None)
    table[key] = value
    while len(table) > limit:
        del table[next(iter(table))]
