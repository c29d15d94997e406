"""The operator's own table of networks and places: :class:`StaticSource`."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from remit import jurisdictions
from remit.errors import InvalidConfiguration, UnknownJurisdiction
from remit.location._address import IPAddress
from remit.location._sources import Place

__all__ = ["StaticSource"]

_FIELD = "static_table"
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class StaticSource:
    """The operator's table: networks (CIDR) placed in a country or subdivision.

    For overrides (an office network, a VPN exit the operator knows), for private networks, and
    for tests. Unlike public data, this table may place *reserved* addresses (private, loopback,
    documentation, …): test clients that connect from ``127.0.0.10`` and ``127.0.0.20`` are placed
    by a table such as ``{"127.0.0.10": "CN", "127.0.0.20": "HK"}``.

    Build it from a mapping, or load it from a file with :meth:`from_file`. The file format::

        # Lines hold "cidr,place". A "#" starts a comment that runs to the end of the line.
        127.0.0.10,CN
        127.0.0.20/32, HK
        10.20.0.0/16, US-CA   # the California office
        2001:db8:1::/48, TW

    UTF-8 text, one entry per line, no header line; blank lines and the spaces around each field
    are ignored. ``cidr`` is an IPv4 or IPv6 network with no host bits set (``10.20.0.0/16``, not
    ``10.20.1.2/16``); a bare address is that one address. IPv4-mapped IPv6 networks are refused:
    write them as IPv4, as remit locates ``::ffff:1.2.4.8`` as ``1.2.4.8``. ``place`` is a country
    (``CN``) or a subdivision (``US-CA``) that :mod:`remit.jurisdictions` knows; a group such as
    ``EU`` is refused, because a participant is in one place. A network listed twice is refused.
    Every error is an :class:`~remit.errors.InvalidConfiguration` naming the line (or the entry).

    An address takes the place of the most specific network holding it, so ``127.0.0.10/32``
    wins over ``127.0.0.0/8``.
    """

    name = "static"
    family = "static"
    places_reserved = True
    #: The operator's own statement about their own networks: it has no data date to age.
    data_date = None

    def __init__(self, table: Mapping[str, str]) -> None:
        """A table from a mapping of CIDR to place, such as ``{"10.20.0.0/16": "US-CA"}``."""
        if not isinstance(table, Mapping):
            raise InvalidConfiguration(
                f"{_FIELD}: expected a mapping of network to place, got {type(table).__name__}",
                field=_FIELD,
            )
        self._origin = "mapping"
        self._build((f"{_FIELD} entry {cidr!r}", cidr, place) for cidr, place in table.items())

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> StaticSource:
        """Load a table from a file in the format described on the class."""
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise InvalidConfiguration(
                f"{_FIELD}: cannot read {os.fspath(path)}: {reason}", field=_FIELD
            ) from exc
        source = cls.__new__(cls)
        source._origin = os.fspath(path)
        source._build(_lines(source._origin, text))
        return source

    def _build(self, entries: Iterable[tuple[str, str, str]]) -> None:
        tables: dict[tuple[int, int], dict[int, Place]] = {}
        for where, cidr, place in entries:
            network = _network(where, cidr)
            bits = network.max_prefixlen
            shift = bits - network.prefixlen
            table = tables.setdefault((network.version, shift), {})
            key = int(network.network_address) >> shift
            if key in table:
                raise InvalidConfiguration(
                    f"{where}: network {network} is listed twice", field=_FIELD
                )
            table[key] = _place(where, place)
        self._count = sum(len(t) for t in tables.values())
        # Per version, the tables from the most specific prefix length to the least.
        self._v4 = tuple((shift, t) for (v, shift), t in sorted(tables.items()) if v == 4)
        self._v6 = tuple((shift, t) for (v, shift), t in sorted(tables.items()) if v == 6)

    def lookup(self, address: IPAddress) -> Place | None:
        """The place of the most specific listed network holding ``address``, or None."""
        value = address.value
        for shift, table in self._v4 if address.version == 4 else self._v6:
            place = table.get(value >> shift)
            if place is not None:
                return place
        return None

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"<StaticSource {self._origin}: {self._count} networks>"


def _lines(origin: str, text: str) -> Iterable[tuple[str, str, str]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.partition("#")[0].strip()
        if not line:
            continue
        where = f"{_FIELD} {origin}, line {number}"
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 2 or not all(fields):
            raise InvalidConfiguration(
                f"{where}: expected 'cidr,place', got {line!r}", field=_FIELD
            )
        yield where, fields[0], fields[1]


def _network(where: str, cidr: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(cidr, str):
        raise InvalidConfiguration(f"{where}: the network must be text", field=_FIELD)
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise InvalidConfiguration(
            f"{where}: {cidr!r} is not a network in CIDR notation ({exc})", field=_FIELD
        ) from exc
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        raise InvalidConfiguration(
            f"{where}: {cidr!r} is IPv4-mapped; write it as IPv4 (remit locates ::ffff:a.b.c.d "
            "as a.b.c.d)",
            field=_FIELD,
        )
    return network


def _place(where: str, code: object) -> Place:
    if not isinstance(code, str):
        raise InvalidConfiguration(f"{where}: the place must be text", field=_FIELD)
    try:
        found = jurisdictions.get(code, field=_FIELD)
    except UnknownJurisdiction as exc:
        raise InvalidConfiguration(
            f"{where}: {exc.message.removeprefix(f'{_FIELD}: ')}", field=_FIELD
        ) from exc
    if found.kind == "group":
        raise InvalidConfiguration(
            f"{where}: {found.code} is a group of countries; a network is placed in one country "
            "or subdivision",
            field=_FIELD,
        )
    return (found.code[:2], found.code if found.kind == "subdivision" else None)
