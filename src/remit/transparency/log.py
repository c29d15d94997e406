"""The transparency log a node keeps: entries in a :class:`LogStore`, the tree in memory.

:class:`TransparencyLog` is an order listener (``Node(..., log=log)``): every order change
the node sees becomes one entry per transition not logged yet. Appends are idempotent by key, so
several nodes, resyncs and retries log each transition once; at start, the node's first resync
hands it every order, so a crash between an order change and its entry loses nothing.

Each node holds a :class:`~remit.transparency.tree.MerkleTree` of all leaf hashes, rebuilt from the
store when it opens and caught up from the store before it answers (entries other nodes
appended). A log not opened yet opens itself on first use (a node opens it once its decision
index is served, so that the rebuild never delays admissions; a call meanwhile waits for it).
Checkpoints are C2SP signed notes over the tree head, kept in the store too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from remit.errors import InvalidInput, RemitError, StoreError, VerificationError
from remit.orders import Order
from remit.transparency import entries
from remit.transparency._logstore import Leaf, LogRecord, LogStore
from remit.transparency.checkpoint import Checkpoint
from remit.transparency.merkle import HASH_SIZE
from remit.transparency.note import Signer, verify_note
from remit.transparency.tree import MerkleTree

__all__ = ["MAX_ENTRIES_PER_CALL", "TransparencyLog"]

#: The most entries one call to :meth:`TransparencyLog.entries` returns.
MAX_ENTRIES_PER_CALL = 1000
_PAGE = 10_000
_BATCH = 1000
_ORDER_PREFIX = "order/"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TransparencyLog:
    """The public log: append entries, sign checkpoints, prove inclusion and consistency."""

    def __init__(
        self,
        store: LogStore,
        signer: Signer,
        *,
        origin: str,
        secret: bytes,
        clock: Callable[[], datetime] = _utcnow,
        verifiers: Sequence[str] | None = None,
    ) -> None:
        Checkpoint(origin, 0, bytes(32))  # refuses an origin that cannot be a checkpoint line
        self.store = store
        self.signer = signer
        self.origin = origin
        self.clock = clock
        self._secret = secret
        #: The verifier keys the last stored checkpoint may be signed with (the signing key's and
        #: the earlier ones' after ``remit keys rotate``); None: its signature is not checked.
        self._verifiers = None if verifiers is None else list(verifiers)
        self._tree = MerkleTree()
        self._logged: dict[str, int] = {}  # order id -> highest transition sequence logged
        self._pending: dict[str, Order] = {}  # orders whose entries could not be stored yet
        self._note: tuple[int, str] | None = None
        self._lock = threading.RLock()
        self._opened = False

    # Life ------------------------------------------------------------------------------------
    def open(self) -> TransparencyLog:
        """Rebuild the tree from the store and check it against the last signed checkpoint.

        ``StoreError`` when entries are missing, or when the stored log no longer matches the
        last checkpoint it signed (someone edited the database): a node never serves such a log.
        """
        with self._lock:
            self._opened = False
            self._tree = MerkleTree()
            self._logged = {}
            self._sync()
            self._check_against_last_checkpoint()
            self._opened = True
        return self

    @property
    def opened(self) -> bool:
        """Whether the tree was rebuilt and checked (by :meth:`open`, or by a first use)."""
        return self._opened

    def _ensure_open(self) -> None:
        if not self._opened:
            self.open()

    def _check_against_last_checkpoint(self) -> None:
        note = self.store.latest_checkpoint()
        if note is None:
            return
        split = note.rfind("\n\n")
        try:
            last = Checkpoint.parse(note[: split + 1])
        except InvalidInput as exc:
            raise StoreError(f"the last stored checkpoint is unreadable: {exc.message}") from exc
        if self._verifiers is not None:
            try:
                verify_note(note, self._verifiers)
            except VerificationError as exc:
                raise StoreError(
                    f"the last stored checkpoint is not signed by this log's key nor by an earlier "
                    f"one (remit keys rotate keeps those): {exc.message}"
                ) from exc
        if last.size > self._tree.size:
            raise StoreError(
                f"the log holds {self._tree.size} entries but its last signed checkpoint "
                f"counts {last.size}: entries were removed"
            )
        if self._tree.root(last.size) != last.root_hash:
            raise StoreError(
                f"the log's first {last.size} entries no longer match its last signed "
                "checkpoint: they were changed"
            )

    @property
    def size(self) -> int:
        """How many entries this node's tree holds (call :meth:`refresh` to catch up)."""
        with self._lock:
            self._ensure_open()
            return self._tree.size

    def refresh(self) -> None:
        """Catch up with entries other nodes appended."""
        with self._lock:
            self._ensure_open()
            self._sync()

    def _sync(self, end: int | None = None) -> None:
        """Append the store's leaves from the tree's size to ``end`` (default: the store's size)."""
        target = self.store.size() if end is None else end
        tree = self._tree
        while tree.size < target:
            start = tree.size
            leaves = self.store.leaves(start, min(target, start + _PAGE))
            if not leaves:
                raise StoreError(f"log entry {start} is missing from the store")
            for n, leaf in enumerate(leaves):
                if leaf.index != start + n:
                    raise StoreError(f"log entry {start + n} is missing from the store")
                if len(leaf.leaf_hash) != HASH_SIZE:
                    raise StoreError(f"log entry {leaf.index} has a corrupt leaf hash")
                tree.append_leaf_hash(leaf.leaf_hash)
                self._note_logged(leaf)

    def _note_logged(self, leaf: Leaf) -> None:
        if leaf.key.startswith(_ORDER_PREFIX):
            order_id, _, sequence = leaf.key[len(_ORDER_PREFIX) :].rpartition("/")
            if sequence.isdigit() and int(sequence) > self._logged.get(order_id, 0):
                self._logged[order_id] = int(sequence)

    # Appending -------------------------------------------------------------------------------
    def append_records(self, records: Sequence[LogRecord]) -> list[int]:
        """Append entries (each once, by key) and return their indexes."""
        if not records:
            return []
        with self._lock:
            self._ensure_open()
            indexes = self.store.append(records)
            self._sync(max(indexes) + 1)
            self._note = None
            return indexes

    def order_changed(self, order: Order) -> None:
        """Log the transitions of ``order`` not logged yet (an ``OrderListener``).

        When the store fails, the order is kept and logged with the next change (or at the
        next start, whose first resync hands every order to the log again).
        """
        with self._lock:
            batch = [*self._pending.values(), order]
            try:
                self.log_orders(batch)
            except RemitError:
                for pending in batch:
                    self._pending[pending.id] = pending
                raise
            self._pending.clear()

    def log_orders(self, orders: Iterable[Order]) -> int:
        """Log the transitions of many orders not logged yet, in batches; return how many."""
        with self._lock:
            self._ensure_open()
            records: list[LogRecord] = []
            for order in orders:
                after = self._logged.get(order.id, 0)
                if order.transitions and order.transitions[-1].sequence > after:
                    records += entries.order_records(order, self._secret, after=after)
            for start in range(0, len(records), _BATCH):
                self.append_records(records[start : start + _BATCH])
            return len(records)

    def append_enforcement_counts(
        self, order_id: str, day: date, counts_by_country: Mapping[str, Mapping[str, int]]
    ) -> int:
        """Log one day of an order's enforcement: counts per country, no one named."""
        record = entries.enforcement_record(order_id, day, counts_by_country)
        return self.append_records([record])[0]

    def append_appeal_outcome(
        self,
        order_id: str,
        outcome: str,
        scope: Iterable[str],
        *,
        at: datetime | None = None,
        appeal_id: str | None = None,
    ) -> int:
        """Log an appeal ``filed``, ``upheld`` or ``reversed`` for the places in ``scope``."""
        record = entries.appeal_record(
            order_id, outcome, scope, at=at or self.clock(), appeal_id=appeal_id
        )
        return self.append_records([record])[0]

    # Reading ---------------------------------------------------------------------------------
    def checkpoint(self) -> str:
        """The signed checkpoint (a C2SP signed note) of the whole log, caught up first."""
        with self._lock:
            self._ensure_open()
            self._sync()
            size = self._tree.size
            if self._note is not None and self._note[0] == size:
                return self._note[1]
            text = Checkpoint(self.origin, size, self._tree.root()).to_text()
            note = self.signer.sign_note(text)
            self.store.save_checkpoint(size, note)
            self._note = (size, note)
            return note

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``start`` to ``end - 1``, at most :data:`MAX_ENTRIES_PER_CALL` of them."""
        if start < 0:
            raise InvalidInput(f"start: {start} is negative", field="start")
        if end < start:
            raise InvalidInput(f"end: {end} is before start {start}", field="end")
        end = min(end, start + MAX_ENTRIES_PER_CALL, self.store.size())
        return self.store.entries(start, end) if start < end else []

    def entries_of_kind(self, kinds: Collection[str]) -> list[bytes]:
        """Every entry of one of ``kinds``, in log order."""
        return self.store.entries_of_kind(kinds)

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash of entry ``index``."""
        with self._lock:
            self._ensure_open()
            return self._tree.leaf_hash(index)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The proof that entry ``index`` is in the tree of ``size`` entries."""
        with self._lock:
            self._ensure_open()
            self._check_size(size, "size")
            if not 0 <= index < size:
                raise InvalidInput(f"index: must be below size {size}", field="index")
            return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The proof that the tree of ``first`` entries is a prefix of the one of ``second``."""
        with self._lock:
            self._ensure_open()
            self._check_size(second, "second")
            if not 1 <= first <= second:
                raise InvalidInput(f"first: must be from 1 to second ({second})", field="first")
            return self._tree.consistency_proof(first, second)

    def _check_size(self, size: int, field: str) -> None:
        if size > self._tree.size:
            self._sync()
        if not 1 <= size <= self._tree.size:
            raise InvalidInput(
                f"{field}: must be from 1 to the log's size ({self._tree.size})", field=field
            )
