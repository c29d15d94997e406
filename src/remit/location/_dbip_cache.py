"""The DB-IP tables as built, kept in a file of the user's cache so the next process reads them.

Building the tables from the shipped SQLite file walks some 700,000 ranges in Python: about a
second and a quarter, at every start of every node (measured with ``remit bench start``: a
fifth of a node's start over 100,000 orders). The tables built are plain arrays of numbers, so
they are written once, as they are, to ``<cache>/dbip-<key>.bin``, and read back in a few
milliseconds by every later process.

The cache is an optimisation and nothing more: a file that is missing, belongs to other data (the
key is made of the source file's path, size and modification time and of this format's
version), was cut short or altered (a SHA-256 of its contents is checked), or is not readable is
ignored, and the tables are built from the source as before; a cache folder that cannot be
written is no error either. Nothing in it is executed or unpickled: it holds numbers only.

The folder: ``REMIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/remit``, else ``~/.cache/remit``;
created 0700, each file written 0600 under a temporary name and renamed into place, so that a
reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import sys
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIXED", "Built", "cache_dir", "load", "save"]

log = logging.getLogger("remit.location")

#: Bumped whenever what is written changes meaning.
FORMAT = 1
_MAGIC = b"remit-dbip\n"
_LENGTH = struct.Struct(">I")
#: In the /24 and /16 tables: the block holds more than one answer; search the ranges.
MIXED = 255


@dataclass(frozen=True, slots=True)
class Built:
    """What :class:`remit.location._dbip._Table` builds from the source: everything it looks up
    with. ``codes`` are the country codes in the order of their indexes (index 0: no answer)."""

    codes: tuple[str, ...]
    v4_starts: array[int]  # "Q": the first address of each run
    v4_codes: bytes  # the run's code index
    v4_blocks: bytes  # per /24
    v4_top: bytes  # per /16
    v6_starts: list[int]
    v6_codes: bytes
    rows: int


def cache_dir() -> Path | None:
    """Where the cache is kept (see the module's description), or None when no folder is known."""
    chosen = os.environ.get("REMIT_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "remit"
    try:
        return Path.home() / ".cache" / "remit"
    except RuntimeError:  # no home directory known
        return None


def _key(source: str) -> tuple[str, dict[str, object]]:
    """The cache file's name for ``source`` as it is now, and what the name stands for."""
    stat = os.stat(source)
    facts: dict[str, object] = {
        "format": FORMAT,
        "source": os.path.realpath(source),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "byteorder": sys.byteorder,
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:24]
    return f"dbip-{digest}.bin", facts


def _parts(built: Built) -> list[bytes]:
    # IPv6 starts in two 64-bit halves; the last start, one past the last range, may be 2**128
    # and is kept in the header.
    starts = built.v6_starts[:-1]
    high = array("Q", (start >> 64 for start in starts))
    low = array("Q", (start & 0xFFFF_FFFF_FFFF_FFFF for start in starts))
    return [
        built.v4_starts.tobytes(),
        built.v4_codes,
        built.v4_blocks,
        built.v4_top,
        high.tobytes(),
        low.tobytes(),
        built.v6_codes,
    ]


def save(source: str, built: Built) -> None:
    """Write ``built`` for ``source`` to the cache; a failure is logged, never raised."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        name, facts = _key(source)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        parts = _parts(built)
        payload = b"".join(_LENGTH.pack(len(part)) + part for part in parts)
        header = dict(facts, codes=list(built.codes), rows=built.rows)
        header["v6_after"] = str(built.v6_starts[-1])
        header["sha256"] = hashlib.sha256(payload).hexdigest()
        fd, temporary = tempfile.mkstemp(prefix=".dbip-", dir=folder)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_MAGIC + json.dumps(header).encode() + b"\n" + payload)
            os.replace(temporary, folder / name)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        log.info("dbip: the built tables are not cached (%s): each start builds them again", exc)


def load(source: str) -> Built | None:
    """The tables cached for ``source`` as it is now, or None (see the module's description)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        name, facts = _key(source)
        data = (folder / name).read_bytes()
    except OSError:
        return None
    try:
        return _decode(data, facts)
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        log.info("dbip: the cached tables at %s are not used (%s)", folder / name, exc)
        return None


def _decode(data: bytes, facts: dict[str, object]) -> Built:
    if not data.startswith(_MAGIC):
        raise ValueError("not a cache file of remit's")
    end = data.index(b"\n", len(_MAGIC))
    header = json.loads(data[len(_MAGIC) : end])
    payload = memoryview(data)[end + 1 :]
    if any(header.get(k) != v for k, v in facts.items()):
        raise ValueError("made from other data")
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise ValueError("its contents do not match their checksum")
    parts, at = [], 0
    while at < len(payload):
        (length,) = _LENGTH.unpack_from(payload, at)
        at += _LENGTH.size
        parts.append(bytes(payload[at : at + length]))
        at += length
    v4_starts_raw, v4_codes, v4_blocks, v4_top, high_raw, low_raw, v6_codes = parts
    v4_starts = array("Q")
    v4_starts.frombytes(v4_starts_raw)
    high, low = array("Q"), array("Q")
    high.frombytes(high_raw)
    low.frombytes(low_raw)
    codes = tuple(header["codes"])
    indexes = bytes(range(len(codes) + 1))  # 0: no answer, then one per code
    after = int(header["v6_after"])
    if (
        len(v4_starts) != len(v4_codes)
        or len(high) != len(low)
        or len(low) + 1 != len(v6_codes)
        or len(v4_blocks) != 1 << 24
        or len(v4_top) != 1 << 16
        or any(table.translate(None, indexes) for table in (v4_codes, v6_codes))
        or any(table.translate(None, indexes + bytes((MIXED,))) for table in (v4_blocks, v4_top))
    ):
        raise ValueError("its tables do not fit together")
    return Built(
        codes=codes,
        v4_starts=v4_starts,
        v4_codes=v4_codes,
        v4_blocks=v4_blocks,
        v4_top=v4_top,
        v6_starts=[*(h << 64 | lo for h, lo in zip(high, low, strict=True)), after],
        v6_codes=v6_codes,
        rows=int(header["rows"]),
    )
