"""The transparency core: RFC 6962 Merkle trees, their proofs, and signed checkpoints.

Pure hashing and verification (:mod:`~remit.transparency.merkle`), building trees and proofs
(:mod:`~remit.transparency.tree`), and C2SP signed notes and
checkpoints with Ed25519 keys (:mod:`~remit.transparency.note`,
:mod:`~remit.transparency.checkpoint`). Verifiers raise :class:`~remit.errors.VerificationError`.
"""

from remit.transparency.checkpoint import Checkpoint, verify_checkpoint
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
    "MAX_SIGNATURES",
    "Checkpoint",
    "MerkleTree",
    "NoteVerifier",
    "Signer",
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
