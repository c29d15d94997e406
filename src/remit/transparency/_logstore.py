"""Where the transparency log keeps its entries: the :class:`LogStore` interface, and one in memory.

A log store holds entries in index order, 0, 1, 2, … without gaps, each with a unique *key*
(``order/<id>/<sequence>``, ``enforcement/<order>/<day>``, …) so that appending an entry twice
(several nodes, a resync, a retry) stores it once. It also keeps the signed checkpoints. The SQL
implementation lives in :mod:`remit.store`; :class:`MemoryLogStore` is for unit tests.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from remit.errors import InvalidInput, StoreError
from remit.transparency.merkle import leaf_hash

__all__ = ["MAX_KEY", "MAX_KIND", "Leaf", "LogRecord", "LogStore", "MemoryLogStore"]

MAX_KEY = 400
MAX_KIND = 32


@dataclass(frozen=True, slots=True)
class LogRecord:
    """An entry to append: its idempotency ``key``, its ``kind`` and its bytes (the leaf data)."""

    key: str
    kind: str
    data: bytes
    #: SHA-256(0x00 || data), the RFC 6962 leaf hash.
    leaf_hash: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key or len(self.key) > MAX_KEY:
            raise InvalidInput(f"a log key has 1 to {MAX_KEY} characters", field="key")
        if not isinstance(self.kind, str) or not self.kind or len(self.kind) > MAX_KIND:
            raise InvalidInput(f"a log entry kind has 1 to {MAX_KIND} characters", field="kind")
        if not isinstance(self.data, bytes):
            raise InvalidInput("log entry data is bytes", field="data")
        object.__setattr__(self, "leaf_hash", leaf_hash(self.data))


@dataclass(frozen=True, slots=True)
class Leaf:
    """What a node needs of a stored entry to rebuild its tree: index, key and leaf hash."""

    index: int
    key: str
    leaf_hash: bytes


class LogStore(Protocol):
    """The log's entries and checkpoints. Raises only remit errors (``StoreError`` mostly)."""

    def append(self, records: Sequence[LogRecord]) -> list[int]:
        """Append the records whose keys are not stored yet, in order, numbered without gaps
        from the current size, in one transaction. Returns each record's index (the stored one
        for a key already there). Concurrent appends (other nodes) are serialised.
        """

    def size(self) -> int:
        """How many entries the log holds."""

    def leaves(self, start: int, end: int) -> list[Leaf]:
        """The leaves ``start`` to ``end - 1`` (fewer when the log is shorter), in order."""

    def entries(self, start: int, end: int) -> list[bytes]:
        """The data of entries ``start`` to ``end - 1`` (fewer when the log is shorter).

        ``StoreError`` when an entry inside the log is missing.
        """

    def entries_of_kind(self, kinds: Collection[str]) -> list[bytes]:
        """The data of every entry of one of ``kinds``, in index order (for the report)."""

    def save_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint of the log at ``size`` entries (the first one per size)."""

    def latest_checkpoint(self) -> str | None:
        """The signed checkpoint of the largest size kept, or None."""


def check_range(start: int, end: int) -> None:
    """``InvalidInput`` unless ``0 <= start <= end``."""
    if start < 0:
        raise InvalidInput(f"start: {start} is negative", field="start")
    if end < start:
        raise InvalidInput(f"end: {end} is before start {start}", field="end")


class MemoryLogStore:
    """A :class:`LogStore` in memory, for tests. One lock makes every method atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[LogRecord] = []
        self._by_key: dict[str, int] = {}
        self._checkpoints: dict[int, str] = {}

    def append(self, records: Sequence[LogRecord]) -> list[int]:
        with self._lock:
            indexes = []
            for record in records:
                index = self._by_key.get(record.key)
                if index is None:
                    index = len(self._records)
                    self._records.append(record)
                    self._by_key[record.key] = index
                indexes.append(index)
            return indexes

    def size(self) -> int:
        with self._lock:
            return len(self._records)

    def leaves(self, start: int, end: int) -> list[Leaf]:
        check_range(start, end)
        with self._lock:
            chosen = self._records[start:end]
        return [Leaf(start + n, r.key, r.leaf_hash) for n, r in enumerate(chosen)]

    def entries(self, start: int, end: int) -> list[bytes]:
        check_range(start, end)
        with self._lock:
            return [r.data for r in self._records[start:end]]

    def entries_of_kind(self, kinds: Collection[str]) -> list[bytes]:
        wanted = frozenset(kinds)
        with self._lock:
            return [r.data for r in self._records if r.kind in wanted]

    def save_checkpoint(self, size: int, note: str) -> None:
        with self._lock:
            if size > len(self._records):
                raise StoreError(f"a checkpoint of {size} entries for a log of fewer")
            self._checkpoints.setdefault(size, note)

    def latest_checkpoint(self) -> str | None:
        with self._lock:
            return self._checkpoints[max(self._checkpoints)] if self._checkpoints else None
