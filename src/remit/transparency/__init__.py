"""The transparency core: RFC 6962 Merkle trees, their proofs, signed checkpoints, and the log.

Pure hashing and verification (:mod:`~remit.transparency.merkle`), building trees and proofs
(:mod:`~remit.transparency.tree`), and C2SP signed notes and
checkpoints with Ed25519 keys (:mod:`~remit.transparency.note`,
:mod:`~remit.transparency.checkpoint`). Verifiers raise :class:`~remit.errors.VerificationError`.

The public log itself: what its entries say (:mod:`~remit.transparency.entries`), where they are
kept (:class:`LogStore`; the SQL one is in :mod:`remit.store`), the log a node keeps
(:class:`TransparencyLog`), its key file (:mod:`~remit.transparency.keyfile`), auditing it from
outside (:mod:`~remit.transparency.audit`), the transparency report
(:mod:`~remit.transparency.report`) and the Lumen export (:mod:`~remit.transparency.lumen`).
"""

from remit.transparency._logstore import Leaf, LogRecord, LogStore, MemoryLogStore
from remit.transparency.checkpoint import Checkpoint, verify_checkpoint
from remit.transparency.log import MAX_ENTRIES_PER_CALL, TransparencyLog
from remit.transparency.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from remit.transparency.note import MAX_SIGNATURES, NoteVerifier, Signer, key_id, verify_note
from remit.transparency.tree import MerkleTree, consistency_proof, inclusion_proof, root

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_ENTRIES_PER_CALL",
    "MAX_SIGNATURES",
    "Checkpoint",
    "Leaf",
    "LogRecord",
    "LogStore",
    "MemoryLogStore",
    "MerkleTree",
    "NoteVerifier",
    "Signer",
    "TransparencyLog",
    "consistency_proof",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]
