"""RFC 6962 Merkle trees: transparency-dev's published vectors, known answers, and properties.

The vectors in tests/data/merkle come from github.com/transparency-dev/merkle (testdata/,
Apache-2.0, see the LICENSE beside them). Each is a happy path or a systematic corruption of
one; every file is checked, and a test pins how many there are so none can be skipped silently.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.errors import InvalidInput, VerificationError
from remit.transparency import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "merkle"
VECTOR_COUNTS = {"inclusion": 86, "consistency": 84}

# The RFC 6962 reference test leaves and the roots of their trees of sizes 0..8, as published in
# transparency-dev/merkle testonly/constants.go (and certificate-transparency before it).
RFC_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _vectors(kind: str) -> list[Path]:
    return sorted((DATA / kind).rglob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return vector


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in vector["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(DATA))


# --- the published vectors ------------------------------------------------------------------------


def test_every_vector_in_the_folder_is_checked() -> None:
    found = {kind: len(_vectors(kind)) for kind in VECTOR_COUNTS}
    assert found == VECTOR_COUNTS
    on_disk = sum(1 for p in DATA.rglob("*") if p.is_file() and p.suffix == ".json")
    assert on_disk == sum(VECTOR_COUNTS.values())
    assert (DATA / "LICENSE").is_file()


@pytest.mark.parametrize("path", _vectors("inclusion"), ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vectors("consistency"), ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    args = (v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize(
    "path", [p for p in _vectors("inclusion") if p.name == "happy-path.json"], ids=_id
)
def test_tree_builds_the_published_inclusion_proof(path: Path) -> None:
    v = _load(path)
    tree = MerkleTree(leaf_hash(d) for d in RFC_LEAVES)
    assert tree.leaf_hash(v["leafIdx"]) == _b64(v["leafHash"])
    assert tree.root(v["treeSize"]) == _b64(v["root"])
    assert tree.inclusion_proof(v["leafIdx"], v["treeSize"]) == _proof(v)


@pytest.mark.parametrize(
    "path", [p for p in _vectors("consistency") if p.name == "happy-path.json"], ids=_id
)
def test_tree_builds_the_published_consistency_proof(path: Path) -> None:
    v = _load(path)
    tree = MerkleTree(leaf_hash(d) for d in RFC_LEAVES)
    assert tree.root(v["size1"]) == _b64(v["root1"])
    assert tree.root(v["size2"]) == _b64(v["root2"])
    assert tree.consistency_proof(v["size1"], v["size2"]) == _proof(v)


# --- known answers ------------------------------------------------------------------------------


def test_hashes_are_domain_separated_sha256() -> None:
    assert EMPTY_ROOT.hex() == RFC_ROOTS[0].hex()
    assert leaf_hash(b"") == RFC_ROOTS[1]
    assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")) == RFC_ROOTS[2]


def test_roots_of_the_rfc_6962_test_trees() -> None:
    hashes = [leaf_hash(d) for d in RFC_LEAVES]
    tree = MerkleTree()
    assert tree.root() == EMPTY_ROOT == root([])
    for size, expected in enumerate(RFC_ROOTS[1:], start=1):
        assert tree.append(RFC_LEAVES[size - 1]) == size - 1
        assert tree.size == len(tree) == size
        assert tree.root() == root(hashes[:size]) == expected
    assert [tree.root(size) for size in range(9)] == RFC_ROOTS


def test_every_proof_of_a_small_tree_matches_the_reference() -> None:
    hashes = [leaf_hash(i.to_bytes(2, "big")) for i in range(33)]
    tree = MerkleTree(hashes)
    for size2 in range(1, 34):
        root2 = root(hashes[:size2])
        for index in range(size2):
            proof = tree.inclusion_proof(index, size2)
            assert proof == inclusion_proof(hashes, index, size2)
            assert root_from_inclusion_proof(hashes[index], index, size2, proof) == root2
            verify_inclusion(hashes[index], index, size2, proof, root2)
        for size1 in range(1, size2 + 1):
            proof = tree.consistency_proof(size1, size2)
            assert proof == consistency_proof(hashes, size1, size2)
            verify_consistency(size1, size2, proof, root(hashes[:size1]), root2)


# --- preconditions ------------------------------------------------------------------------------

H = leaf_hash(b"x")


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root_"),
    [
        pytest.param(H, 0, 0, [], H, id="empty tree"),
        pytest.param(H, 1, 1, [], H, id="index at size"),
        pytest.param(H, -1, 1, [], H, id="negative index"),
        pytest.param(H, True, 2, [H], H, id="bool index"),
        pytest.param(H[:31], 0, 1, [], H, id="short leaf hash"),
        pytest.param(H, 0, 1, [], H + b"\x00", id="long root"),
        pytest.param(H, 0, 2, [H[:31]], H, id="short proof hash"),
        pytest.param(H, 0, 1, [H], H, id="proof too long"),
        pytest.param(H, 0, 2, [], H, id="proof too short"),
        pytest.param("x" * 32, 0, 1, [], H, id="text, not bytes"),
    ],
)
def test_verify_inclusion_refuses_broken_preconditions(
    leaf: Any, index: Any, size: int, proof: list[bytes], root_: bytes
) -> None:
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, size, proof, root_)


@pytest.mark.parametrize(
    ("size1", "size2", "proof", "root1", "root2"),
    [
        pytest.param(0, 0, [], EMPTY_ROOT, EMPTY_ROOT, id="both empty"),
        pytest.param(0, 1, [], EMPTY_ROOT, H, id="from the empty tree"),
        pytest.param(2, 1, [H], H, H, id="shrinking"),
        pytest.param(-1, 1, [], H, H, id="negative"),
        pytest.param(1, 1, [H], H, H, id="equal sizes with a proof"),
        pytest.param(1, 1, [], H, leaf_hash(b"y"), id="equal sizes, two roots"),
        pytest.param(1, 2, [], H, H, id="empty proof"),
        pytest.param(1, 2, [H, H], H, H, id="proof too long"),
        pytest.param(1, 2, [H], H[:16], H, id="short root1"),
        pytest.param(1, 2, [H], H, b"", id="empty root2"),
    ],
)
def test_verify_consistency_refuses_broken_preconditions(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, root1, root2)


def test_builders_refuse_impossible_arguments() -> None:
    tree = MerkleTree([H, H, H])
    hashes = [H, H, H]
    calls: list[Callable[[], object]] = [
        lambda: tree.inclusion_proof(3),
        lambda: tree.inclusion_proof(0, 4),
        lambda: tree.inclusion_proof(-1, 2),
        lambda: tree.consistency_proof(0, 2),
        lambda: tree.consistency_proof(3, 2),
        lambda: tree.root(4),
        lambda: tree.root(-1),
        lambda: tree.leaf_hash(3),
        lambda: tree.append_leaf_hash(b"short"),
        lambda: inclusion_proof(hashes, 0, 4),
        lambda: inclusion_proof(hashes, 2, 2),
        lambda: consistency_proof(hashes, 0, 3),
        lambda: consistency_proof(hashes, 2, 4),
    ]
    for call in calls:
        with pytest.raises(InvalidInput):
            call()


# --- properties ---------------------------------------------------------------------------------


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


leaf_data = st.lists(st.binary(max_size=12), min_size=1, max_size=200)


@settings(deadline=None)
@given(leaf_data)
def test_tree_roots_equal_the_recursive_definition(data: list[bytes]) -> None:
    tree = MerkleTree()
    hashes = []
    for item in data:
        tree.append(item)
        hashes.append(leaf_hash(item))
        assert tree.root() == root(hashes)
    assert [tree.root(size) for size in range(len(hashes) + 1)] == [
        root(hashes[:size]) for size in range(len(hashes) + 1)
    ]


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_every_inclusion_proof_verifies_and_no_bit_flip_does(
    size: int, data: st.DataObject
) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size + data.draw(st.integers(0, 5)))]
    tree = MerkleTree(hashes)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree.inclusion_proof(index, size)
    root_ = tree.root(size)
    assert proof == inclusion_proof(hashes, index, size)
    verify_inclusion(hashes[index], index, size, proof, root_)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(VerificationError):
        verify_inclusion(_flip(hashes[index], bit), index, size, proof, root_)
    with pytest.raises(VerificationError):
        verify_inclusion(hashes[index], index, size, proof, _flip(root_, bit))
    for position in range(len(proof)):
        broken = [*proof]
        broken[position] = _flip(proof[position], bit)
        with pytest.raises(VerificationError):
            verify_inclusion(hashes[index], index, size, broken, root_)
    if size > 1:
        other = (index + data.draw(st.integers(1, size - 1), label="shift")) % size
        with pytest.raises(VerificationError):
            verify_inclusion(hashes[index], other, size, proof, root_)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_every_consistency_proof_verifies_and_no_bit_flip_does(
    size2: int, data: st.DataObject
) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size2)]
    tree = MerkleTree(hashes)
    size1 = data.draw(st.integers(1, size2), label="size1")
    proof = tree.consistency_proof(size1, size2)
    root1, root2 = tree.root(size1), tree.root(size2)
    assert proof == consistency_proof(hashes, size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, _flip(root1, bit), root2)
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, root1, _flip(root2, bit))
    for position in range(len(proof)):
        broken = [*proof]
        broken[position] = _flip(proof[position], bit)
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, broken, root1, root2)
    if size1 < size2:
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, proof[:-1], root1, root2)
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, [*proof, root2], root1, root2)
