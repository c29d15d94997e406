"""IPv6 addresses that carry a public IPv4 address: NAT64 (RFC 6052), 6to4 and Teredo.

A participant behind such a translation or tunnel is where its IPv4 address is: remit places them
by that address and records how it was found (``Location.embedded``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from socket import AF_INET, inet_ntop

from remit.errors import InvalidConfiguration
from remit.location._address import IPAddress

__all__ = ["WELL_KNOWN_NAT64", "Transitions"]

_FIELD = "nat64_prefixes"
#: The NAT64 well-known prefix (RFC 6052): always read.
WELL_KNOWN_NAT64 = "64:ff9b::/96"
#: The prefix lengths RFC 6052 defines, with where the 32 bits of IPv4 sit for each: pairs of
#: (shift, mask) whose parts are joined high to low. Bits 64 to 71 (the "u" octet) are skipped.
_LAYOUTS: dict[int, tuple[tuple[int, int], ...]] = {
    32: ((64, 0xFFFFFFFF),),
    40: ((64, 0xFFFFFF), (48, 0xFF)),
    48: ((64, 0xFFFF), (40, 0xFFFF)),
    56: ((64, 0xFF), (32, 0xFFFFFF)),
    64: ((24, 0xFFFFFFFF),),
    96: ((0, 0xFFFFFFFF),),
}
_U_OCTET = 0xFF << 56
_SIX_TO_FOUR = 0x2002  # 2002::/16: the IPv4 address is bits 16 to 47
_TEREDO = 0x20010000  # 2001::/32: the client's address is the last 32 bits, inverted


class Transitions:
    """Finds the IPv4 address inside a NAT64, 6to4 or Teredo address.

    ``nat64_prefixes`` are the operator's own NAT64 prefixes (``2001:db8:64::/96``), each of a
    length RFC 6052 defines (32, 40, 48, 56, 64 or 96); the well-known ``64:ff9b::/96`` is always
    read. Anything else is an :class:`~remit.errors.InvalidConfiguration`.
    """

    def __init__(self, nat64_prefixes: Iterable[str] = ()) -> None:
        """Read the well-known prefix and ``nat64_prefixes``."""
        if isinstance(nat64_prefixes, str):
            nat64_prefixes = (nat64_prefixes,)
        found: dict[str, tuple[int, int]] = {}
        for text in (WELL_KNOWN_NAT64, *nat64_prefixes):
            network = _prefix(text)
            found[str(network)] = (network.prefixlen, int(network.network_address))
        #: The NAT64 prefixes read, in canonical notation, the well-known one first.
        self.nat64_prefixes = tuple(found)
        self._nat64 = tuple(
            (length, value >> (128 - length), _LAYOUTS[length]) for length, value in found.values()
        )
        #: Whether some prefix lies outside the reserved networks (checked for every address).
        self.operator = len(self._nat64) > 1

    def embedded(self, address: IPAddress) -> tuple[IPAddress, str] | None:
        """The IPv4 address ``address`` carries, and how (``nat64``, ``6to4``, ``teredo``)."""
        if address.version != 6:
            return None
        value = address.value
        if value >> 112 == _SIX_TO_FOUR:
            return _v4((value >> 80) & 0xFFFFFFFF), "6to4"
        if value >> 96 == _TEREDO:
            return _v4((value & 0xFFFFFFFF) ^ 0xFFFFFFFF), "teredo"
        for length, prefix, layout in self._nat64:
            if value >> (128 - length) == prefix and (length == 96 or not value & _U_OCTET):
                v4 = 0
                for shift, mask in layout:
                    v4 = (v4 << mask.bit_length()) | ((value >> shift) & mask)
                return _v4(v4), "nat64"
        return None

    def __repr__(self) -> str:
        return f"Transitions(nat64_prefixes={list(self.nat64_prefixes)!r})"


def _v4(value: int) -> IPAddress:
    return IPAddress(inet_ntop(AF_INET, value.to_bytes(4)), 4, value)


def _prefix(text: object) -> ipaddress.IPv6Network:
    try:
        if not isinstance(text, str):
            raise TypeError(f"expected text, got {type(text).__name__}")
        network = ipaddress.ip_network(text, strict=True)
    except (TypeError, ValueError) as exc:
        raise InvalidConfiguration(
            f"{_FIELD}: {text!r} is not a network in CIDR notation ({exc})", field=_FIELD
        ) from exc
    if not isinstance(network, ipaddress.IPv6Network) or network.prefixlen not in _LAYOUTS:
        raise InvalidConfiguration(
            f"{_FIELD}: {text!r} is not an IPv6 prefix of a length RFC 6052 defines "
            f"({', '.join(f'/{n}' for n in _LAYOUTS)})",
            field=_FIELD,
        )
    return network
