"""A MaxMind database as a source of IP location: :class:`MaxMindSource`."""

from __future__ import annotations

import mmap
import os
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import maxminddb

from remit.errors import LocationDataError
from remit.location._address import IPAddress
from remit.location._sources import Place

__all__ = ["MaxMindSource"]

_FIELD = "maxmind_path"
_METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
_SEPARATOR = 16  # bytes of zeros between the search tree and the data section
_CHUNK = 1 << 20  # nodes checked at a time, to bound the memory the check needs
#: Public addresses looked up when the database is opened, so that a database whose data
#: section cannot be decoded fails at load time rather than at the first join.
_PROBES = ("1.1.1.1", "8.8.8.8", "81.2.69.160", "2001:4860:4860::8888", "2a02:ff40::1")
#: Words one of which a database's type must hold: databases of countries or cities. (IPinfo's
#: Lite database, of countries and networks, calls itself ``ipinfo lite.mmdb``.)
_KINDS = ("country", "city", "enterprise", "location", "ipinfo lite")
#: The maker of a database, by the start of its type.
_FAMILIES = (("geoip", "maxmind"), ("geolite", "maxmind"), ("dbip", "dbip"), ("ipinfo", "ipinfo"))


class MaxMindSource:
    """A MaxMind-format database (``.mmdb``) of countries or cities, read with ``maxminddb``.

    GeoIP2 and GeoLite2 Country and City databases, DB-IP's Lite databases and IPinfo's Lite
    database all have this format. The answer is the record's located country:
    ``country.iso_code`` (MaxMind, DB-IP) or ``country_code`` (IPinfo). There is deliberately no
    fall back to ``registered_country`` (where the network's owner is registered): a block
    registered to a company in one country is often used in another, and a participant placed by
    their provider's paperwork could be acted on in a country they are not in. An address without
    a located country is unknown to this source. ``represented_country`` (embassies, military
    bases) is not used either. A City database also gives the most specific subdivision (the last
    of ``subdivisions``), as ``f"{country}-{code}"``.

    ``name`` names the source in evidence (several databases may be configured, each with its
    own name). Its ``family`` is the maker, read from the database's type (``GeoLite2-City`` is
    ``maxmind``, ``DBIP-Country-Lite`` is ``dbip``), so that two databases of one maker count
    once towards a quorum. Its ``data_date`` is the database's build date.

    The database is checked when it is opened, and every problem is a
    :class:`~remit.errors.LocationDataError` with a one-line message: a missing or unreadable
    file, a file that is not a MaxMind database, a database of another kind (Anonymous IP, ASN,
    …), a search tree that is truncated or whose records point outside the file or back to its
    root, and data that cannot be decoded at a set of probe addresses. A data error met later, at
    a lookup, is a :class:`~remit.errors.LocationDataError` too; nothing else escapes. The check
    reads every record of the search tree: about 0.1 s per million nodes (a City database has
    a few million).

    A lookup that finds a record costs about 5 µs with the C extension of ``maxminddb``, which
    decodes the whole record; one that finds none, about 0.2 µs. (``iptocc`` takes about 0.1 µs.)

    The file is memory-mapped. Replace it atomically, by writing the new database beside it and
    renaming it over the old one (as ``geoipupdate`` does): :meth:`refresh` notices the new file,
    checks it as at opening, and uses it from then on; a replacement that fails the check is
    refused, the database already open stays in use, and :attr:`problem` says why. Truncating or
    rewriting the open file in place can crash the process.
    """

    places_reserved = False

    def __init__(self, path: str | os.PathLike[str], *, name: str = "maxmind") -> None:
        """Open and check the database at ``path``."""
        self.name = name
        self._path = os.fspath(path)
        #: Why the last replacement of the file was refused, or None.
        self.problem: str | None = None
        self._signature = _signature(self._path)
        self._refused: tuple[int, ...] | None = None
        self._state = self._open()

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    @property
    def database_type(self) -> str:
        """The database's own name for its kind, such as ``GeoLite2-City``."""
        return self._state.database_type

    @property
    def family(self) -> str:
        """The database's maker, from its type: ``maxmind``, ``dbip``, ``ipinfo``, …."""
        return _family(self._state.database_type, self.name)

    @property
    def data_date(self) -> date:
        """The day the database was built (its ``build_epoch``)."""
        return self._state.built

    def lookup(self, address: IPAddress) -> Place | None:
        """The country (and subdivision, from a City database) of ``address``, or None."""
        state = self._state
        if state.ipv4_only and address.version == 6:
            return None
        try:
            record = state.reader.get(address.text)
        except Exception as exc:
            raise self._error(f"corrupt data for {address.text}: {_reason(exc)}") from exc
        if not isinstance(record, dict):
            return None
        return _place(record)

    def refresh(self) -> str | None:
        """Use the file at :attr:`path` if it was replaced; what happened, or None if nothing.

        The replacement is checked as at opening. If it fails, the database already open stays in
        use, :attr:`problem` says why, and the same file is not tried again; a later replacement
        is. A file removed without a replacement is a problem too. Lookups running meanwhile use
        the old database or the new one, never a half-open one.
        """
        signature = _signature(self._path)
        if signature == self._signature or (signature and signature == self._refused):
            return None
        loaded = f"keeping the database of {self.data_date}"
        if not signature:
            if self.problem is None:
                self.problem = f"{self._path}: the file is gone; {loaded}"
                return self.problem
            return None
        try:
            state = self._open()
        except LocationDataError as exc:
            self._refused = signature
            self.problem = f"replacement refused: {exc.message}; {loaded}"
            return self.problem
        self._state, self._signature, self.problem, self._refused = state, signature, None, None
        return f"{self.name}: {self._path}: now using the {state.database_type} of {state.built}"

    def close(self) -> None:
        """Release the database file."""
        self._state.reader.close()

    def __enter__(self) -> MaxMindSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MaxMindSource {self.name} {self._path} ({self.database_type})>"

    def _error(self, reason: str) -> LocationDataError:
        return LocationDataError(f"{_FIELD}: {self._path}: {reason}", field=_FIELD)

    def _open(self) -> _State:
        try:
            reader = maxminddb.open_database(self._path)
        except maxminddb.InvalidDatabaseError as exc:
            raise self._error("not a MaxMind DB file, or a truncated or corrupt one") from exc
        except Exception as exc:  # the reader fails in many ways on files that are not databases
            raise self._error(_reason(exc)) from exc
        try:
            meta = reader.metadata()
            self._check_metadata(meta)
            self._check_search_tree(meta.node_count, meta.record_size)
            ipv4_only = meta.ip_version == 4
            for probe in _PROBES:
                if not (ipv4_only and ":" in probe):
                    reader.get(probe)
            kind = str(meta.database_type)
            self._check_kind(kind)
            built = datetime.fromtimestamp(int(meta.build_epoch), UTC).date()
        except LocationDataError:
            reader.close()
            raise
        except Exception as exc:
            reader.close()
            raise self._error(f"corrupt database: {_reason(exc)}") from exc
        return _State(reader, ipv4_only, kind, built)

    def _check_kind(self, kind: str) -> None:
        if not any(word in kind.lower() for word in _KINDS):
            raise self._error(
                f"a {kind!r} database; remit needs a database of countries or cities (GeoIP2 or "
                "GeoLite2 Country or City, DB-IP or IPinfo Lite)"
            )

    def _check_metadata(self, meta: Any) -> None:
        if meta.ip_version not in (4, 6) or meta.record_size not in (24, 28, 32):
            raise self._error(
                f"corrupt metadata: ip_version {meta.ip_version}, record_size {meta.record_size}"
            )
        if not isinstance(meta.node_count, int) or meta.node_count < 1:
            raise self._error(f"corrupt metadata: node_count {meta.node_count!r}")

    def _check_search_tree(self, node_count: int, record_size: int) -> None:
        """Check every record of the search tree, as libmaxminddb checks the ones it reads.

        A record is a node below ``node_count`` other than the root, ``node_count`` itself (no
        data), or a pointer past the 16-byte separator into the data section.
        """
        with (
            open(self._path, "rb") as file,
            mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as m,
        ):
            node_bytes = record_size // 4
            tree_size = node_count * node_bytes
            data_size = m.rfind(_METADATA_MARKER) - tree_size - _SEPARATOR
            if data_size <= 0:
                raise self._error(
                    f"corrupt search tree: {node_count} nodes of {node_bytes} bytes do not fit "
                    "before the metadata"
                )
            end = node_count + _SEPARATOR + data_size
            step = _CHUNK * node_bytes
            for start in range(0, tree_size, step):
                chunk = m[start : min(tree_size, start + step)]
                if _has_bad_record(_columns(chunk, record_size), node_count, end):
                    raise self._error(
                        "corrupt search tree: a record points back to the root, into the "
                        "separator, or past the data section"
                    )


class _State(NamedTuple):
    """One open database: swapped whole when the file is replaced."""

    reader: Any
    ipv4_only: bool
    database_type: str
    built: date


def _signature(path: str) -> tuple[int, ...]:
    """What changes when the file is replaced or rewritten; empty when there is no file."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _family(database_type: str, name: str) -> str:
    kind = database_type.lower()
    for prefix, family in _FAMILIES:
        if kind.startswith(prefix):
            return family
    return name


# The check works on *columns*: for every record of a chunk, as 32-bit big-endian integers, the
# first bytes, the second bytes, and so on, each column a bytes object. Comparing a column with a
# constant is a bytes.translate, and combining comparisons is arithmetic on integers holding one
# 0/1 byte per record, so a search tree of millions of nodes is checked in a fraction of a second.


def _columns(tree: bytes, record_size: int) -> list[bytes]:
    """The four big-endian byte columns of all records of whole nodes (order of records aside)."""
    if record_size == 32:
        return [tree[i::8] + tree[4 + i :: 8] for i in range(4)]
    if record_size == 24:
        rest = [tree[i::6] + tree[3 + i :: 6] for i in range(3)]
        return [bytes(len(rest[0])), *rest]
    middle = tree[3::7]  # 28 bits: the middle byte holds the top nibble of each record
    top = middle.translate(_HIGH_NIBBLE) + middle.translate(_LOW_NIBBLE)
    return [top, tree[0::7] + tree[4::7], tree[1::7] + tree[5::7], tree[2::7] + tree[6::7]]


def _has_bad_record(columns: list[bytes], node_count: int, end: int) -> bool:
    """Whether a record is 0 (the root), in the separator, or at or past ``end``."""
    ones = int.from_bytes(b"\x01" * len(columns[0]))
    zero = ones ^ _at_least(columns, 1, ones)
    separator = _at_least(columns, node_count + 1, ones) & ~_at_least(
        columns, node_count + _SEPARATOR, ones
    )
    return bool(zero or separator or _at_least(columns, end, ones))


def _at_least(columns: list[bytes], bound: int, ones: int) -> int:
    """One byte per record, 1 where the record is at least ``bound``, else 0."""
    if bound > 0xFFFFFFFF:
        return 0
    found, equal = 0, ones
    for column, byte in zip(columns, bound.to_bytes(4, "big"), strict=True):
        found |= equal & int.from_bytes(column.translate(_ABOVE[byte]))
        equal &= int.from_bytes(column.translate(_EQUAL[byte]))
    return found | equal


_HIGH_NIBBLE = bytes(b >> 4 for b in range(256))
_LOW_NIBBLE = bytes(b & 0x0F for b in range(256))
# _ABOVE[c] maps a byte to 1 if it is above c, _EQUAL[c] to 1 if it equals c.
_ABOVE = [bytes(c + 1) + b"\x01" * (255 - c) for c in range(256)]
_EQUAL = [bytes(c) + b"\x01" + bytes(255 - c) for c in range(256)]


def _place(record: dict[str, Any]) -> Place | None:
    country = record.get("country")
    code = country.get("iso_code") if isinstance(country, dict) else record.get("country_code")
    if not isinstance(code, str):
        return None
    subdivisions = record.get("subdivisions")
    if isinstance(subdivisions, list) and subdivisions and isinstance(subdivisions[-1], dict):
        sub = subdivisions[-1].get("iso_code")
        if isinstance(sub, str):
            return (code, f"{code}-{sub}")
    return (code, None)


def _reason(exc: BaseException) -> str:
    """A one-line reason from a foreign exception."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
