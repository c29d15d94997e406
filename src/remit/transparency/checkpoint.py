"""C2SP transparency log checkpoints (https://c2sp.org/tlog-checkpoint).

A checkpoint is the text of a signed note stating a log's tree head::

    example.com/remit/log      the origin: which log this is
    20852163                   the tree size, in decimal without leading zeros
    CsUYapGGPo4d…q2I=          the base64 root hash of the RFC 6962 tree of that size
    (optional extension lines, each non-empty)

Every line ends in a newline.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from remit.errors import InvalidInput, VerificationError
from remit.transparency.merkle import HASH_SIZE
from remit.transparency.note import NoteVerifier, verify_note

__all__ = ["Checkpoint", "verify_checkpoint"]

_MAX_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f]")


def _check_line(value: str, field: str) -> None:
    if not isinstance(value, str) or not value or _CONTROL.search(value):
        raise InvalidInput(
            f"a checkpoint {field} is a non-empty line without control characters, not {value!r}",
            field=field,
        )


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its tree: the origin, the tree size and the root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InvalidInput(f"a tree size is an integer, not {self.size!r}", field="size")
        if not 0 <= self.size <= _MAX_SIZE:
            raise InvalidInput(f"tree size {self.size} is outside 0..2**64-1", field="size")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise InvalidInput(f"a root hash has {HASH_SIZE} bytes", field="root_hash")
        if not isinstance(self.extensions, tuple):
            raise InvalidInput("checkpoint extensions are a tuple of lines", field="extensions")
        for line in self.extensions:
            _check_line(line, "extensions")

    def to_text(self) -> str:
        """Return the checkpoint text, ready to be signed as a note."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint text (a note's text, without its signatures).

        Raises :class:`InvalidInput` unless the text is at least three non-empty lines, each
        ending in a newline: an origin, a decimal size without leading zeros and a base64
        32-byte root hash (canonical padding), then any extension lines.
        """
        if not isinstance(text, str) or not text.endswith("\n"):
            raise InvalidInput("a checkpoint ends in a newline", field="checkpoint")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise InvalidInput(
                "a checkpoint has at least three lines (origin, size, root hash), none empty",
                field="checkpoint",
            )
        origin, size_line, root_line, *extensions = lines
        if len(size_line) > 20 or not _DECIMAL.fullmatch(size_line) or int(size_line) > _MAX_SIZE:
            raise InvalidInput(
                f"the checkpoint size {size_line!r} is not a decimal number without leading "
                "zeros below 2**64",
                field="size",
            )
        try:
            root_hash = base64.b64decode(root_line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise InvalidInput(
                f"the checkpoint root hash {root_line!r} is not base64", field="root_hash"
            ) from exc
        if base64.b64encode(root_hash).decode("ascii") != root_line:
            raise InvalidInput(
                f"the checkpoint root hash {root_line!r} is not canonical base64", field="root_hash"
            )
        return cls(origin, int(size_line), root_hash, tuple(extensions))


def verify_checkpoint(
    note: str | bytes,
    verifier_keys: str | NoteVerifier | Iterable[str | NoteVerifier],
    *,
    origin: str | None = None,
) -> Checkpoint:
    """Check a signed checkpoint against the trusted keys and return it.

    Raises :class:`VerificationError` if the note does not verify (see
    :func:`~remit.transparency.note.verify_note`), if its text is not a checkpoint, or if
    ``origin`` is given and the checkpoint names another log. Raises :class:`InvalidInput` if
    a verifier key cannot be read.
    """
    text = verify_note(note, verifier_keys)
    try:
        checkpoint = Checkpoint.parse(text)
    except InvalidInput as exc:
        raise VerificationError(
            f"the signed note is not a checkpoint: {exc.message}", field="note"
        ) from exc
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(
            f"the checkpoint is from log {checkpoint.origin!r}, not {origin!r}", field="origin"
        )
    return checkpoint
