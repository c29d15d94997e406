"""IP addresses as remit reads them, and the reserved ranges that never place anyone.

:func:`parse_address` is on the hot path of every join, so it parses with ``socket.inet_pton``
(about 0.1 µs) rather than :mod:`ipaddress` (about 2 µs), and :func:`is_reserved` settles most
addresses by a table indexed by their first 8 (IPv4) or 16 (IPv6) bits, and the rest by a binary
search of sorted integer ranges, all built once at import.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton
from typing import NamedTuple

from remit.errors import InvalidAddress

__all__ = ["RESERVED_NETWORKS", "IPAddress", "is_reserved", "parse_address"]


class IPAddress(NamedTuple):
    """A parsed IP address: its canonical text, its version (4 or 6) and its integer value.

    An IPv4-mapped IPv6 address (``::ffff:1.2.4.8``) is its IPv4 address (``1.2.4.8``).
    """

    text: str
    version: int
    value: int


_from_bytes = int.from_bytes
_new = tuple.__new__
_MAPPED = 0xFFFF  # the value of an IPv4-mapped IPv6 address, shifted right by 32 bits


def parse_address(text: str, *, field: str = "ip") -> IPAddress:
    """Parse one IPv4 or IPv6 address, or raise :class:`~remit.errors.InvalidAddress`.

    Only the plain forms are accepted: dotted-quad IPv4 (``1.2.4.8``) and RFC 4291 IPv6
    (``2001:da8::1``, also with an embedded dotted quad). Refused, with an error naming the
    input: the empty string, surrounding whitespace, leading zeros (``001.002.004.008`` reads as
    octal to some parsers and decimal to others), zone ids (``fe80::1%eth0``), networks in CIDR
    notation, short forms (``1.2.4``), and anything that is not a ``str``.

    POSIX ``inet_pton`` accepts exactly the canonical dotted quad, so an IPv4 address keeps the
    text it was given; IPv6 text is made canonical with ``inet_ntop``.
    """
    try:
        if ":" in text:
            packed = inet_pton(AF_INET6, text)
            value = _from_bytes(packed)
            if value >> 32 != _MAPPED:
                return _new(IPAddress, (inet_ntop(AF_INET6, packed), 6, value))
            return _new(IPAddress, (inet_ntop(AF_INET, packed[12:]), 4, value & 0xFFFFFFFF))
        return _new(IPAddress, (text, 4, _from_bytes(inet_pton(AF_INET, text))))
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidAddress(_explain(text, field), field=field) from exc


def _explain(text: object, field: str) -> str:
    """Why ``text`` is not an address: only called on the error path."""
    if not isinstance(text, str):
        return f"{field}: expected an IP address as text, got {type(text).__name__}"
    if not text:
        return f"{field}: empty, expected an IP address"
    shown = repr(text) if len(text) <= 64 else repr(text[:64]) + "…"
    if text != text.strip():
        reason = "has surrounding whitespace"
    elif "%" in text:
        reason = "carries a zone id (%…); give the address without it"
    elif "/" in text:
        reason = "is a network (CIDR notation), not one address"
    elif _has_leading_zero(text):
        reason = "is ambiguous: a part with a leading zero reads as octal to some parsers"
    else:
        reason = "is not an IPv4 or IPv6 address"
    return f"{field}: {shown} {reason}"


def _has_leading_zero(text: str) -> bool:
    """Whether the dotted quad in ``text`` (alone or after IPv6) has a part like ``01``."""
    parts = text.rpartition(":")[2].split(".")
    return len(parts) > 1 and any(len(p) > 1 and p.isdigit() and p[0] == "0" for p in parts)


#: Networks that are not the unicast address of one place, with the reason. No location source
#: places an address in them, except the operator's own table (:class:`StaticSource`).
RESERVED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this network, including the unspecified address 0.0.0.0"),
    ("10.0.0.0/8", "private use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space: carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "AS112 anycast: many places"),
    ("192.52.193.0/24", "automatic multicast tunnelling anycast: many places"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast: many places"),
    ("192.168.0.0/16", "private use (RFC 1918)"),
    ("192.175.48.0/24", "AS112 direct delegation anycast: many places"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved for future use"),
    ("255.255.255.255/32", "limited broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b::/96", "IPv4/IPv6 translation (NAT64)"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
    ("100::/64", "discard-only"),
    ("::/3", "outside global unicast (2000::/3): not allocated to any registry"),
    ("2001::/23", "IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT, AS112, …"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("2620:4f:8000::/48", "AS112 direct delegation anycast: many places"),
    ("3fff::/20", "documentation"),
    ("4000::/2", "outside global unicast (2000::/3): not allocated to any registry"),
    ("5f00::/16", "segment routing (SRv6) SIDs"),
    ("8000::/1", "outside global unicast (2000::/3): not allocated to any registry"),
    ("fc00::/7", "unique local (private use)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)


def _ranges(version: int) -> tuple[list[int], list[int]]:
    """The reserved networks of one version as sorted, merged [start, end] integer ranges."""
    spans = sorted(
        (int(net.network_address), int(net.broadcast_address))
        for net in (ipaddress.ip_network(cidr) for cidr, _ in RESERVED_NETWORKS)
        if net.version == version
    )
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _blocks(starts: list[int], ends: list[int], shift: int) -> bytes:
    """For each block of ``2**shift`` addresses: 0 none reserved, 1 all reserved, 2 some."""
    table = bytearray(1 << (32 if shift == 24 else 128) - shift)
    for start, end in zip(starts, ends, strict=True):
        first, last = start >> shift, end >> shift
        for block in (first, last):
            whole = start <= block << shift and ((block + 1) << shift) - 1 <= end
            table[block] = max(table[block], 2) if not whole else 1
        table[first + 1 : last] = b"\x01" * max(0, last - first - 1)
    return bytes(table)


_V4_STARTS, _V4_ENDS = _ranges(4)
_V6_STARTS, _V6_ENDS = _ranges(6)
# A first look by the first 8 (IPv4) or 16 (IPv6) bits settles most addresses without a search.
_V4_BLOCKS = _blocks(_V4_STARTS, _V4_ENDS, 24)
_V6_BLOCKS = _blocks(_V6_STARTS, _V6_ENDS, 112)


def is_reserved(address: IPAddress) -> bool:
    """Whether ``address`` lies in one of :data:`RESERVED_NETWORKS`."""
    value = address.value
    if address.version == 4:
        block = _V4_BLOCKS[value >> 24]
        if block != 2:
            return block == 1
        i = bisect_right(_V4_STARTS, value)
        return i > 0 and value <= _V4_ENDS[i - 1]
    block = _V6_BLOCKS[value >> 112]
    if block != 2:
        return block == 1
    i = bisect_right(_V6_STARTS, value)
    return i > 0 and value <= _V6_ENDS[i - 1]
