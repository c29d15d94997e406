"""C2SP signed notes and tlog checkpoints: published examples, round trips, tampering, and
malformed input that must end in a remit error, never a foreign one."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.errors import InvalidInput, RemitError, VerificationError
from remit.transparency import (
    MAX_SIGNATURES,
    Checkpoint,
    MerkleTree,
    NoteVerifier,
    Signer,
    key_id,
    verify_checkpoint,
    verify_consistency,
    verify_note,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "note" / "vectors.json").read_text("utf-8")
)
ROOT = hashlib.sha256(b"a root").digest()


def _name(case: dict[str, Any]) -> str:
    return str(case["name"])


# --- published examples -------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["signed_notes"], ids=_name)
def test_published_note_verifies(case: dict[str, Any]) -> None:
    assert verify_note(case["note"], case["verifier_keys"]) == case["text"]
    assert verify_note(case["note"].encode("utf-8"), case["verifier_keys"]) == case["text"]
    for vkey in case["verifier_keys"]:
        assert verify_note(case["note"], vkey) == case["text"]
        assert NoteVerifier.parse(vkey).to_text() == vkey


@pytest.mark.parametrize(
    "case", [c for c in VECTORS["signed_notes"] if "signer_key" in c], ids=_name
)
def test_published_signer_key_reproduces_its_signature(case: dict[str, Any]) -> None:
    signer = Signer.from_private_key(case["signer_key"])
    assert signer.private_key() == case["signer_key"]
    assert signer.verifier_key() == case["verifier_keys"][0]
    assert signer.sign_note(case["text"]) == case["note"]


@pytest.mark.parametrize("case", VECTORS["unverifiable_notes"], ids=_name)
def test_published_note_without_its_key_is_not_trusted(case: dict[str, Any]) -> None:
    name = case["note"].rsplit("\n— ", 1)[1].split(" ")[0]
    impostor = Signer.generate(name)  # same name, another key: its signatures are ignored
    with pytest.raises(VerificationError, match="no trusted key"):
        verify_note(case["note"], impostor.verifier_key())
    # The body, with its own blank line, is what a real signer signs and a verifier returns.
    assert verify_note(impostor.sign_note(case["text"]), impostor.verifier()) == case["text"]


@pytest.mark.parametrize("case", VECTORS["checkpoints"], ids=_name)
def test_published_checkpoint_parses(case: dict[str, Any]) -> None:
    text = case["note"].split("\n\n", 1)[0] + "\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint == Checkpoint(
        case["origin"], case["size"], base64.b64decode(case["root_hash"])
    )
    assert checkpoint.to_text() == text
    with pytest.raises(VerificationError):
        verify_checkpoint(case["note"], Signer.generate(case["origin"]).verifier_key())


# --- keys ---------------------------------------------------------------------------------------


def test_key_id_is_the_truncated_hash_of_name_type_and_key() -> None:
    public_key = bytes(range(32))
    expected = hashlib.sha256(b"log.example\n\x01" + public_key).digest()[:4]
    assert key_id("log.example", public_key) == expected


def test_signer_keys_round_trip() -> None:
    signer = Signer.generate("remit.example/log")
    again = Signer.from_private_key(signer.private_key())
    assert again.verifier_key() == signer.verifier_key()
    assert again.sign(b"x") == signer.sign(b"x")
    assert NoteVerifier.parse(signer.verifier_key()) == signer.verifier()
    assert str(signer.verifier()) == signer.verifier_key()
    assert signer.private_key() not in repr(signer)
    assert signer.verifier_key().startswith("remit.example/log+" + signer.key_id.hex() + "+")


def _mangled(key: str) -> list[str]:
    """Every proper substring of ``key`` and every copy with one character incremented."""
    cuts = {key[i:j] for i in range(len(key) + 1) for j in range(i, len(key) + 1)} - {key}
    bumps = {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    return sorted(cuts | bumps)


def test_every_mangled_verifier_key_is_refused() -> None:
    vkey = VECTORS["signed_notes"][0]["verifier_keys"][0]
    for bad in _mangled(vkey):
        with pytest.raises(InvalidInput):
            NoteVerifier.parse(bad)


def test_every_mangled_signer_key_is_refused_without_repeating_it() -> None:
    skey = VECTORS["signed_notes"][1]["signer_key"]
    secret = skey.rsplit("+", 1)[1][4:]
    for bad in _mangled(skey):
        with pytest.raises(InvalidInput) as caught:
            Signer.from_private_key(bad)
        assert secret not in str(caught.value)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0here", "nl\n"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(InvalidInput):
        Signer.generate(name)


def test_verifier_objects_check_their_key_id() -> None:
    public_key = Signer.generate("a").verifier().public_key
    with pytest.raises(InvalidInput):
        NoteVerifier("a", b"\x00\x00\x00\x00", public_key)
    with pytest.raises(InvalidInput):
        NoteVerifier.from_public_key("a", public_key[:31])
    with pytest.raises(InvalidInput):
        Signer.from_seed("a", b"short")


@pytest.mark.parametrize("keys", [None, 42, [42], ["not a key"], [b"bytes"]], ids=repr)
def test_unusable_verifier_keys_are_refused(keys: Any) -> None:
    with pytest.raises(InvalidInput):
        verify_note(GOOD, keys)


def test_key_id_refuses_what_is_not_a_key() -> None:
    with pytest.raises(InvalidInput):
        key_id("surrogate\ud800", bytes(32))
    with pytest.raises(InvalidInput):
        key_id("a", bytes(31))


def test_two_keys_with_one_name_and_key_id_are_ambiguous() -> None:
    # Found by a birthday search: two 32-byte keys whose key IDs collide under this name.
    first, second = (hashlib.sha256(b"remit test key %d" % i).digest() for i in (7299, 83795))
    a = NoteVerifier.from_public_key("collide.example", first)
    b = NoteVerifier.from_public_key("collide.example", second)
    assert a.key_id == b.key_id
    with pytest.raises(InvalidInput, match="share"):
        verify_note("x\n\n— collide.example AAAAAAA=\n", [a, b])


# --- signing and verifying ----------------------------------------------------------------------


def test_cosigned_note_verifies_with_either_key() -> None:
    log, witness = Signer.generate("log.example"), Signer.generate("witness.example")
    text = "hello\n"
    note = log.sign_note(text) + witness.signature_line(text)
    assert verify_note(note, log.verifier_key()) == text
    assert verify_note(note, witness.verifier_key()) == text
    assert verify_note(note, [log.verifier_key(), witness.verifier()]) == text


def test_a_bad_signature_from_a_trusted_key_rejects_the_note() -> None:
    log, witness = Signer.generate("log.example"), Signer.generate("witness.example")
    forged = witness.signature_line("something else\n")
    note = log.sign_note("hello\n") + forged
    with pytest.raises(VerificationError, match="does not verify"):
        verify_note(note, [log.verifier_key(), witness.verifier_key()])
    assert verify_note(note, log.verifier_key()) == "hello\n"  # the unknown key is ignored


def test_wrong_key_is_detected() -> None:
    note = Signer.generate("log.example").sign_note("hello\n")
    with pytest.raises(VerificationError, match="no trusted key"):
        verify_note(note, Signer.generate("log.example").verifier_key())
    with pytest.raises(VerificationError, match="no trusted key"):
        verify_note(note, [])


def _replace_signature(note: str, change: Callable[[bytes], bytes]) -> str:
    head, line = note[:-1].rsplit("\n", 1)
    prefix, b64 = line.rsplit(" ", 1)
    return f"{head}\n{prefix} {base64.b64encode(change(base64.b64decode(b64))).decode()}\n"


def test_tampered_signature_is_detected() -> None:
    signer = Signer.generate("log.example")
    note = signer.sign_note("hello\n")
    flipped = _replace_signature(note, lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]))
    truncated = _replace_signature(note, lambda raw: raw[:-1])
    for bad in (flipped, truncated):
        with pytest.raises(VerificationError):
            verify_note(bad, signer.verifier_key())


@pytest.mark.parametrize(
    "text",
    ["hello", "tab\there\n", "nul\x00\n", "cr\r\n", "surrogate \ud800\n"],
    ids=["no final newline", "tab", "nul", "carriage return", "lone surrogate"],
)
def test_text_that_cannot_be_signed(text: str) -> None:
    with pytest.raises(InvalidInput):
        Signer.generate("log.example").sign_note(text)


SIGNER = Signer.generate("log.example")
GOOD = SIGNER.sign_note("hello\n")
SIG_LINE = GOOD.split("\n\n", 1)[1]


@pytest.mark.parametrize(
    "note",
    [
        pytest.param("", id="empty"),
        pytest.param("hello\n", id="no signatures"),
        pytest.param("hello\n\n", id="blank line, no signature"),
        pytest.param(GOOD[:-1], id="no final newline"),
        pytest.param(GOOD.replace("\n\n", "\n"), id="no blank line"),
        pytest.param(GOOD + "\n", id="trailing blank line"),
        pytest.param(GOOD.replace("—", "-"), id="hyphen for em dash"),
        pytest.param(GOOD.replace("— ", "—"), id="no space after dash"),
        pytest.param(GOOD.replace("log.example ", "log.example  "), id="two spaces"),
        pytest.param(GOOD.replace("log.example ", "log+example "), id="plus in name"),
        pytest.param(GOOD.rsplit(" ", 1)[0] + "\n", id="no signature after name"),
        pytest.param(GOOD[:-2] + "!\n", id="not base64"),
        pytest.param(GOOD.rsplit(" ", 1)[0] + " AAAAAA==\n", id="signature too short"),
        pytest.param("hello\n\n" + SIG_LINE * (MAX_SIGNATURES + 1), id="too many signatures"),
        pytest.param("hel\x01lo\n\n" + SIG_LINE, id="control character"),
        pytest.param("hello\r\n\n" + SIG_LINE, id="carriage return"),
        pytest.param("hello \ud800\n\n" + SIG_LINE, id="lone surrogate"),
        pytest.param(b"hello \xff\n\n" + SIG_LINE.encode(), id="invalid UTF-8"),
        pytest.param(None, id="not text"),
    ],
)
def test_malformed_notes_are_refused(note: Any) -> None:
    with pytest.raises(VerificationError):
        verify_note(note, SIGNER.verifier_key())


def test_a_note_may_hold_blank_lines_and_many_unknown_signatures() -> None:
    text = "first\n\nsecond \u00e8\n"
    others = "".join(Signer.generate(f"other{i}.example").signature_line(text) for i in range(15))
    note = SIGNER.sign_note(text) + others
    assert verify_note(note, SIGNER.verifier_key()) == text


# --- checkpoints --------------------------------------------------------------------------------


def test_checkpoint_text_is_three_lines_and_extensions() -> None:
    checkpoint = Checkpoint("log.example", 7, ROOT, ("ext one",))
    b64 = base64.b64encode(ROOT).decode()
    assert checkpoint.to_text() == f"log.example\n7\n{b64}\next one\n"
    assert Checkpoint.parse(checkpoint.to_text()) == checkpoint


origins = st.text(
    st.characters(min_codepoint=0x20, exclude_characters="\x7f", exclude_categories=["Cs"]),
    min_size=1,
    max_size=30,
)


@settings(deadline=None, max_examples=50)
@given(
    origin=origins,
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(origins, max_size=3).map(tuple),
)
def test_checkpoints_round_trip_through_signed_notes(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert Checkpoint.parse(checkpoint.to_text()) == checkpoint
    note = SIGNER.sign_note(checkpoint.to_text())
    assert verify_checkpoint(note, SIGNER.verifier_key(), origin=origin) == checkpoint


def test_signed_checkpoints_chain_with_consistency_proofs() -> None:
    tree = MerkleTree()
    signed = []
    for n in range(1, 40):
        tree.append(b"entry %d" % n)
        if n % 7 == 0:
            signed.append(SIGNER.sign_note(Checkpoint("log.example", n, tree.root()).to_text()))
    heads = [
        verify_checkpoint(note, SIGNER.verifier_key(), origin="log.example") for note in signed
    ]
    for old, new in itertools.pairwise(heads):
        proof = tree.consistency_proof(old.size, new.size)
        verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


@pytest.mark.parametrize("part", ["origin", "size", "root"])
def test_tampered_checkpoint_is_detected(part: str) -> None:
    checkpoint = Checkpoint("log.example", 41, ROOT)
    note = SIGNER.sign_note(checkpoint.to_text())
    origin, size, root_b64 = note.split("\n")[:3]
    replaced = {
        "origin": (origin, "log.exampl3"),
        "size": (f"\n{size}\n", "\n42\n"),
        "root": (root_b64, base64.b64encode(hashlib.sha256(b"other").digest()).decode()),
    }[part]
    with pytest.raises(VerificationError, match="does not verify"):
        verify_checkpoint(note.replace(*replaced, 1), SIGNER.verifier_key())


def test_checkpoint_from_another_log_is_refused() -> None:
    note = SIGNER.sign_note(Checkpoint("log.example", 1, ROOT).to_text())
    with pytest.raises(VerificationError, match=r"not 'other\.example'"):
        verify_checkpoint(note, SIGNER.verifier_key(), origin="other.example")


def test_signed_text_that_is_not_a_checkpoint_is_refused() -> None:
    with pytest.raises(VerificationError, match="not a checkpoint"):
        verify_checkpoint(SIGNER.sign_note("hello\n"), SIGNER.verifier_key())


B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(f"log\n1\n{B64}", id="no final newline"),
        pytest.param("log\n1\n", id="two lines"),
        pytest.param(f"\n1\n{B64}\n", id="empty origin"),
        pytest.param(f"log\n01\n{B64}\n", id="leading zero"),
        pytest.param(f"log\n-1\n{B64}\n", id="negative"),
        pytest.param(f"log\n+1\n{B64}\n", id="plus sign"),
        pytest.param(f"log\n\uff11\n{B64}\n", id="fullwidth digit"),
        pytest.param(f"log\n {1}\n{B64}\n", id="space"),
        pytest.param(f"log\n{2**64}\n{B64}\n", id="beyond 64 bits"),
        pytest.param(f"log\n{'9' * 5000}\n{B64}\n", id="five thousand digits"),
        pytest.param("log\n1\nnot base64!\n", id="root not base64"),
        pytest.param(f"log\n1\n{B64[:-4]}\n", id="short root"),
        pytest.param(f"log\n1\n{B64[:-2]}J=\n", id="non-canonical base64"),
        pytest.param(f"log\n1\n{B64}\n\next\n", id="empty extension line"),
        pytest.param(f"log\n1\n{B64}\n\n", id="trailing blank line"),
        pytest.param(f"log\t1\n1\n{B64}\n", id="control character"),
        pytest.param(None, id="not text"),
    ],
)
def test_malformed_checkpoints_are_refused(text: Any) -> None:
    with pytest.raises(InvalidInput):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        pytest.param("", 1, ROOT, (), id="empty origin"),
        pytest.param("a\nb", 1, ROOT, (), id="newline in origin"),
        pytest.param("log", -1, ROOT, (), id="negative size"),
        pytest.param("log", 2**64, ROOT, (), id="size beyond 64 bits"),
        pytest.param("log", True, ROOT, (), id="bool size"),
        pytest.param("log", 1, ROOT[:31], (), id="short root"),
        pytest.param("log", 1, ROOT, ("",), id="empty extension"),
        pytest.param("log", 1, ROOT, ["ext"], id="extensions as a list"),
    ],
)
def test_impossible_checkpoints_cannot_be_made(
    origin: str, size: int, root: bytes, extensions: Any
) -> None:
    with pytest.raises(InvalidInput):
        Checkpoint(origin, size, root, extensions)


GARBAGE: list[Any] = ["", "\n\n\n", "— \n\n— \n", "x\n\n— a =\n", b"\xc0\x80\n\n", 42, [], {}]
READERS: list[Callable[[Any], object]] = [
    lambda item: verify_note(item, SIGNER.verifier_key()),
    lambda item: verify_checkpoint(item, SIGNER.verifier_key()),
    Checkpoint.parse,
    NoteVerifier.parse,
    Signer.from_private_key,
]


@pytest.mark.parametrize("item", GARBAGE, ids=repr)
@pytest.mark.parametrize("read", READERS, ids=range(len(READERS)))
def test_no_foreign_exception_escapes_on_garbage(item: Any, read: Callable[[Any], object]) -> None:
    with pytest.raises(RemitError):
        read(item)
