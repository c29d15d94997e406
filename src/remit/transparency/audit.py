"""Auditing a log from outside, as ``remit log verify`` does: trust nothing the server says.

:func:`audit_log` fetches the log's signed checkpoint through a :class:`LogSource`, checks its
signature, checks that it extends the last checkpoint this auditor saw (:class:`AuditState`, kept
by the caller) with a consistency proof, and with ``full`` fetches every entry, re-hashes it and
checks the root. Any failure is a :class:`~remit.errors.VerificationError` saying what failed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from remit.errors import InvalidInput, VerificationError
from remit.transparency.checkpoint import Checkpoint, verify_checkpoint
from remit.transparency.merkle import verify_consistency
from remit.transparency.note import NoteVerifier
from remit.transparency.tree import MerkleTree

__all__ = ["PAGE", "AuditResult", "AuditState", "LogSource", "audit_log", "check_entry"]

#: Entries asked for per request when re-hashing the whole log (the API's own cap).
PAGE = 1000


class LogSource(Protocol):
    """The public log's API, as the auditor reads it (over HTTP, or in tests directly)."""

    def checkpoint(self) -> str:
        """The log's latest signed checkpoint."""

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The consistency proof between the trees of ``first`` and ``second`` entries."""

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """Entries ``start`` to ``end - 1`` as (index, data); possibly fewer."""


@dataclass(frozen=True)
class AuditState:
    """The last checkpoint an auditor verified for one log: what the next one must extend."""

    origin: str
    size: int
    root_hash: bytes
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root_hash": base64.b64encode(self.root_hash).decode("ascii"),
            "checkpoint": self.note,
        }

    @classmethod
    def from_json(cls, value: Any) -> AuditState:
        """Read a state written by :meth:`to_json`; ``InvalidInput`` when it is not one."""
        try:
            root_hash = base64.b64decode(value["root_hash"], validate=True)
            state = cls(
                str(value["origin"]), int(value["size"]), root_hash, str(value["checkpoint"])
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise InvalidInput("the saved log state is unreadable", field="state") from exc
        Checkpoint(state.origin, state.size, state.root_hash)  # checks the values
        return state


@dataclass(frozen=True)
class AuditResult:
    """What was verified: the new checkpoint, the one it extends, how many entries re-hashed."""

    checkpoint: Checkpoint
    state: AuditState
    previous: AuditState | None
    entries_checked: int | None
    #: The entries re-hashed, in order, when the audit was asked to keep them.
    entries: tuple[bytes, ...] | None = None


def check_entry(index: int, data: bytes) -> None:
    """``VerificationError`` unless entry ``index`` is a canonical JSON object with a kind."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError(f"entry {index} is not UTF-8 JSON", field="entry") from exc
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise VerificationError(f"entry {index} is not a JSON object with a kind", field="entry")
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if canonical.encode("utf-8") != data:
        raise VerificationError(f"entry {index} is not canonical JSON", field="entry")


def _rehash(source: LogSource, checkpoint: Checkpoint, kept: list[bytes] | None = None) -> int:
    tree = MerkleTree()
    size = checkpoint.size
    while tree.size < size:
        start = tree.size
        page = source.entries(start, min(size, start + PAGE))
        if not page:
            raise VerificationError(
                f"entry {start} is missing: the log returned nothing from index {start} of {size}",
                field="entries",
            )
        for n, (index, data) in enumerate(page):
            if index != start + n:
                raise VerificationError(
                    f"entry {start + n} is missing: the log returned entry {index} in its place",
                    field="entries",
                )
            check_entry(index, data)
            tree.append(data)
            if kept is not None:
                kept.append(data)
    if tree.size != size or tree.root() != checkpoint.root_hash:
        raise VerificationError(
            f"the {size} entries do not hash to the checkpoint's root: an entry was edited, "
            "dropped or added",
            field="entries",
        )
    return size


def audit_log(
    source: LogSource,
    verifier_keys: str | NoteVerifier | Iterable[str | NoteVerifier],
    *,
    state: AuditState | None = None,
    full: bool = False,
    origin: str | None = None,
    keep_entries: bool = False,
) -> AuditResult:
    """Verify the log's current checkpoint, its consistency with ``state``, and (``full``) every
    entry. Returns the new state to remember (and, with ``keep_entries``, the verified entries);
    raises ``VerificationError`` when anything fails.
    """
    note = source.checkpoint()
    expected_origin = origin or (state.origin if state is not None else None)
    checkpoint = verify_checkpoint(note, verifier_keys, origin=expected_origin)
    if state is not None:
        _check_extends(source, state, checkpoint)
    kept: list[bytes] | None = [] if full and keep_entries else None
    checked = _rehash(source, checkpoint, kept) if full else None
    new = AuditState(checkpoint.origin, checkpoint.size, checkpoint.root_hash, note)
    return AuditResult(checkpoint, new, state, checked, None if kept is None else tuple(kept))


def _check_extends(source: LogSource, state: AuditState, checkpoint: Checkpoint) -> None:
    if checkpoint.size < state.size:
        raise VerificationError(
            f"the log shrank from {state.size} to {checkpoint.size} entries since the last "
            "checkpoint seen",
            field="size",
        )
    if checkpoint.size == state.size:
        if checkpoint.root_hash != state.root_hash:
            raise VerificationError(
                f"the log's history was rewritten: a different tree of {state.size} entries "
                "than the last checkpoint seen",
                field="root_hash",
            )
        return
    if state.size == 0:
        return
    proof: Sequence[bytes] = source.consistency_proof(state.size, checkpoint.size)
    try:
        verify_consistency(
            state.size, checkpoint.size, proof, state.root_hash, checkpoint.root_hash
        )
    except VerificationError as exc:
        raise VerificationError(
            f"the log's history was rewritten: the tree of {checkpoint.size} entries is not "
            f"consistent with the last checkpoint seen ({state.size} entries): {exc.message}",
            field="consistency",
        ) from exc
