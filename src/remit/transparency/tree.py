"""Building RFC 6962 roots and proofs: the reference recursion and an append-only tree.

:func:`root`, :func:`inclusion_proof` and :func:`consistency_proof` follow the recursive
definitions of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 over a list of leaf hashes; they are the
reference. :class:`MerkleTree` builds the same roots and proofs from stored perfect subtrees, in
O(log n) per proof. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from remit.errors import InvalidInput
from remit.transparency.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = ["MerkleTree", "consistency_proof", "inclusion_proof", "root"]

_sha256 = hashlib.sha256


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (for ``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- reference construction over a list of leaf hashes (RFC 9162 §2.1) ---------------------------


def _mth(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) by the recursive definition."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(_mth(leaves, start, start + k), _mth(leaves, start + k, end))


def _check_leaves(leaf_hashes: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaf_hashes):
        raise InvalidInput(
            f"tree size {size} is outside 0..{len(leaf_hashes)} (the number of leaves given)",
            field="size",
        )


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the root hash of the tree whose leaves have the given hashes.

    This is the recursive MTH of RFC 9162 §2.1.1, O(n); the empty tree has :data:`EMPTY_ROOT`.
    """
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the tree of the first ``size`` leaves.

    This is PATH(m, D[n]) of RFC 9162 §2.1.3.1, ordered from the leaf up. Requires
    ``0 <= index < size <= len(leaf_hashes)``; raises :class:`InvalidInput` otherwise.
    """
    _check_leaves(leaf_hashes, size)
    if not 0 <= index < size:
        raise InvalidInput(f"leaf index {index} is outside 0..{size - 1}", field="index")

    def path(m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, start, start + k), _mth(leaf_hashes, start + k, end)]
        return [*path(m - k, start + k, end), _mth(leaf_hashes, start, start + k)]

    return path(index, 0, size)


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int, size2: int) -> list[bytes]:
    """Return the proof that the tree of ``size1`` leaves is a prefix of the one of ``size2``.

    This is PROOF(m, D[n]) of RFC 9162 §2.1.4.1. Requires ``0 < size1 <= size2 <=
    len(leaf_hashes)`` (a proof from the empty tree is meaningless); raises
    :class:`InvalidInput` otherwise. The proof between equal sizes is empty.
    """
    _check_leaves(leaf_hashes, size2)
    if not 0 < size1 <= size2:
        raise InvalidInput(f"tree size {size1} is outside 1..{size2}", field="size1")

    def subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [_mth(leaf_hashes, start, end)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, start, start + k, complete), _mth(leaf_hashes, start + k, end)]
        return [*subproof(m - k, start + k, end, False), _mth(leaf_hashes, start, start + k)]

    return subproof(size1, 0, size2, True)


# --- proof planning shared by MerkleTree ---------------------------------------------------------


def _plan_inclusion(subtree: Callable[[int, int], bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) walked top-down without recursion; ``subtree`` gives MTH(D[a:b])."""
    siblings: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            siblings.append(subtree(start + k, end))
            end = start + k
        else:
            siblings.append(subtree(start, start + k))
            start += k
    siblings.reverse()
    return siblings


def _plan_consistency(subtree: Callable[[int, int], bytes], size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[size2]) walked top-down without recursion."""
    siblings: list[bytes] = []
    start, end, complete = 0, size2, True
    while size1 - start != end - start:
        k = _split(end - start)
        if size1 - start <= k:
            siblings.append(subtree(start + k, end))
            end = start + k
        else:
            siblings.append(subtree(start, start + k))
            start += k
            complete = False
    if not complete:
        siblings.append(subtree(start, end))
    siblings.reverse()
    return siblings


class MerkleTree:
    """An append-only Merkle tree held in memory.

    The tree keeps, for every level ``h``, the hashes of all complete subtrees of ``2**h``
    leaves, left to right: ``levels[0]`` are the leaf hashes, ``levels[h][i]`` covers leaves
    ``i * 2**h`` to ``(i + 1) * 2**h - 1``. Appending is amortised O(1) hashes; the root and
    proofs for any earlier size take O(log n) lookups and at most O(log n) hashes.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Start a tree, optionally with existing leaf hashes (in order)."""
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append_leaf_hash(value)

    @property
    def size(self) -> int:
        """The number of leaves in the tree."""
        return len(self._levels[0])

    def __len__(self) -> int:
        return len(self._levels[0])

    def __repr__(self) -> str:
        return f"<MerkleTree size={self.size}>"

    def append(self, data: bytes) -> int:
        """Append a leaf holding ``data``; return its index."""
        return self.append_leaf_hash(_sha256(b"\x00" + data).digest())

    def append_leaf_hash(self, value: bytes) -> int:
        """Append a leaf whose hash is already known; return its index."""
        if len(value) != HASH_SIZE:
            raise InvalidInput(
                f"a leaf hash has {HASH_SIZE} bytes, not {len(value)}", field="leaf_hash"
            )
        levels = self._levels
        below = levels[0]
        below.append(bytes(value))
        index = len(below) - 1
        level = 0
        while len(below) % 2 == 0:
            level += 1
            if level == len(levels):
                levels.append([])
            above = levels[level]
            above.append(_sha256(b"\x01" + below[-2] + below[-1]).digest())
            below = above
        return index

    def leaf_hash(self, index: int) -> bytes:
        """Return the hash of leaf ``index``."""
        if not 0 <= index < self.size:
            raise InvalidInput(f"leaf index {index} is outside 0..{self.size - 1}", field="index")
        return self._levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree of the first ``size`` leaves (default: all)."""
        size = self._tree_size(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

        Requires ``0 <= index < size <= self.size`` (``size`` defaults to the whole tree).
        """
        size = self._tree_size(size)
        if not 0 <= index < size:
            raise InvalidInput(f"leaf index {index} is outside 0..{size - 1}", field="index")
        return _plan_inclusion(self._subtree, index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the consistency proof from the tree of ``size1`` leaves to ``size2``.

        Requires ``0 < size1 <= size2 <= self.size`` (``size2`` defaults to the whole tree).
        """
        size2 = self._tree_size(size2)
        if not 0 < size1 <= size2:
            raise InvalidInput(f"tree size {size1} is outside 1..{size2}", field="size1")
        return _plan_consistency(self._subtree, size1, size2)

    def _tree_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise InvalidInput(f"tree size {size} is outside 0..{self.size}", field="size")
        return size

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a node of some tree: ``start`` is a multiple of a power of two
        at least ``end - start``, so the range splits into aligned complete subtrees."""
        levels = self._levels
        parts: list[bytes] = []
        while start < end:
            height = (end - start).bit_length() - 1
            parts.append(levels[height][start >> height])
            start += 1 << height
        result = parts.pop()
        while parts:
            result = _sha256(b"\x01" + parts.pop() + result).digest()
        return result
