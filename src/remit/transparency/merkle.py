"""RFC 6962 / RFC 9162 Merkle tree hashing: roots, proofs and an append-only tree.

Everything here is pure: bytes in, bytes out, no I/O. Hashes are 32-byte SHA-256 digests::

    leaf_hash(d)    = SHA-256(0x00 || d)
    node_hash(l, r) = SHA-256(0x01 || l || r)
    EMPTY_ROOT      = SHA-256("")

The verifiers :func:`verify_inclusion` and :func:`verify_consistency` state and check their
preconditions and raise :class:`~remit.errors.VerificationError` when a proof does not hold.
Building trees and proofs is in :mod:`remit.transparency.tree`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from remit.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root hash of the empty tree: SHA-256 of the empty string."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of a leaf holding ``data``: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node with children ``left`` and ``right``."""
    return _sha256(b"\x01" + left + right).digest()


def _check_size(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VerificationError(
            f"{field} must be a non-negative integer, not {value!r}", field=field
        )


def _check_hash(value: bytes, field: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        length = len(value) if isinstance(value, bytes) else type(value).__name__
        raise VerificationError(f"{field} must be {HASH_SIZE} bytes, not {length}", field=field)


def _check_proof(proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise VerificationError(
            f"the proof has {len(proof)} hashes where {expected} are expected", field="proof"
        )
    for position, value in enumerate(proof):
        _check_hash(value, f"proof[{position}]")


def _inclusion_proof_length(index: int, size: int) -> int:
    """Return how many hashes the inclusion proof of leaf ``index`` in a tree of ``size`` has.

    The path from the leaf to the root has one sibling per level below the point where the paths
    to ``index`` and to the last leaf ``size - 1`` meet, plus one left sibling for every level
    above it where the path turns right. Requires ``0 <= index < size``.
    """
    below = (index ^ (size - 1)).bit_length()
    return below + (index >> below).bit_count()


def _consistency_proof_length(size1: int, size2: int) -> int:
    """Return how many hashes the consistency proof from ``size1`` to ``size2`` has.

    It is the inclusion proof of the last leaf of the old tree, less the levels inside the old
    tree's rightmost complete subtree, plus that subtree's own hash unless the old tree is
    itself complete (a power of two), whose hash the verifier already holds.
    Requires ``0 < size1 < size2``.
    """
    inside = (size1 & -size1).bit_length() - 1  # height of the old tree's last complete subtree
    length = _inclusion_proof_length(size1 - 1, size2) - inside
    return length if size1 == 1 << inside else length + 1


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` chains leaf ``index`` (with ``leaf_hash``) up to.

    Preconditions, each raising :class:`VerificationError`: ``0 <= index < size``; the leaf hash
    and every proof hash are 32 bytes; the proof has exactly the length the tree shape requires.
    """
    _check_size(index, "index")
    _check_size(size, "size")
    if index >= size:
        raise VerificationError(f"leaf index {index} is not below tree size {size}", field="index")
    _check_hash(leaf_hash, "leaf_hash")
    _check_proof(proof, _inclusion_proof_length(index, size))

    node, last = index, size - 1  # positions of our node and of the rightmost node, per level
    result = leaf_hash
    for sibling in proof:
        if last == 0:  # unreachable once the length is checked; kept as the RFC's own test
            raise VerificationError("the proof is longer than the tree is high", field="proof")
        if node & 1 or node == last:
            result = _sha256(b"\x01" + sibling + result).digest()
            while not node & 1 and node:  # a right-border node with no sibling: lift it
                node >>= 1
                last >>= 1
        else:
            result = _sha256(b"\x01" + result + sibling).digest()
        node >>= 1
        last >>= 1
    if last != 0:  # unreachable once the length is checked
        raise VerificationError("the proof ends below the root", field="proof")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf ``index`` with ``leaf_hash`` is in the tree of ``size`` leaves and ``root``.

    Preconditions, each raising :class:`VerificationError`: ``0 <= index < size``; ``leaf_hash``,
    ``root`` and every proof hash are 32 bytes; the proof has exactly the length the tree shape
    requires. Raises :class:`VerificationError` if the proof does not lead to ``root``.
    """
    _check_hash(root, "root")
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise VerificationError(
            f"the inclusion proof of leaf {index} leads to {computed.hex()}, not to the root "
            f"{root.hex()} of the tree of size {size}",
            field="root",
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size1`` leaves with ``root1`` is a prefix of ``size2``'s ``root2``.

    Preconditions, each raising :class:`VerificationError`: ``0 < size1 <= size2`` (a proof from
    the empty tree is meaningless); ``root1``, ``root2`` and every proof hash are 32 bytes; when
    the sizes are equal the proof is empty (and the roots must be equal), otherwise it has exactly
    the length the two tree shapes require. Raises :class:`VerificationError` if the proof does
    not reproduce both roots.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 > size2:
        raise VerificationError(f"tree size {size1} is larger than {size2}", field="size1")
    if size1 == 0:
        raise VerificationError(
            "a consistency proof from the empty tree is meaningless", field="size1"
        )
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    if size1 == size2:
        _check_proof(proof, 0)
        if root1 != root2:
            raise VerificationError(
                f"two different roots for the same tree size {size1}", field="root2"
            )
        return
    _check_proof(proof, _consistency_proof_length(size1, size2))

    hashes = list(proof)
    if size1 & (size1 - 1) == 0:  # the old tree is complete: its root is the first node
        hashes.insert(0, root1)
    node, last = size1 - 1, size2 - 1
    while node & 1:  # climb to the root of the old tree's rightmost complete subtree
        node >>= 1
        last >>= 1
    old = new = hashes[0]
    for sibling in hashes[1:]:
        if last == 0:  # unreachable once the length is checked
            raise VerificationError("the proof is longer than the tree is high", field="proof")
        if node & 1 or node == last:
            old = _sha256(b"\x01" + sibling + old).digest()
            new = _sha256(b"\x01" + sibling + new).digest()
            while not node & 1 and node:
                node >>= 1
                last >>= 1
        else:
            new = _sha256(b"\x01" + new + sibling).digest()
        node >>= 1
        last >>= 1
    if last != 0:  # unreachable once the length is checked
        raise VerificationError("the proof ends below the root", field="proof")
    if old != root1:
        raise VerificationError(
            f"the consistency proof does not lead to the root of the tree of size {size1}",
            field="root1",
        )
    if new != root2:
        raise VerificationError(
            f"the consistency proof does not lead to the root of the tree of size {size2}",
            field="root2",
        )
