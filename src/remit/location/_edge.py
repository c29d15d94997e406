"""The client's address behind proxies: :class:`TrustedProxies` and ``X-Forwarded-For``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from remit.errors import InvalidAddress, InvalidConfiguration
from remit.location._address import IPAddress, parse_address

__all__ = ["TrustedProxies"]

_FIELD = "trusted_proxies"
_XFF = "x-forwarded-for"
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class TrustedProxies:
    """The networks of the proxies (load balancers, meeting gateways) whose headers remit believes.

    ``X-Forwarded-For`` is written by whoever sends the request, so a client can put any address
    in it. Only the part added by proxies the operator runs can be believed: :meth:`client_ip`
    starts from the connection's peer and walks the header from the right, past each trusted
    proxy, to the first address that is not one.
    """

    def __init__(self, networks: Iterable[str] = ()) -> None:
        """Trust the given networks (``10.0.0.0/8``, ``2001:db8::/32``, or single addresses)."""
        if isinstance(networks, str):
            networks = (networks,)
        spans: list[tuple[int, int, int]] = []
        names: list[str] = []
        for cidr in networks:
            try:
                if not isinstance(cidr, str):
                    raise TypeError(f"expected text, got {type(cidr).__name__}")
                net = ipaddress.ip_network(cidr, strict=True)
            except (TypeError, ValueError) as exc:
                raise InvalidConfiguration(
                    f"{_FIELD}: {cidr!r} is not a network in CIDR notation ({exc})", field=_FIELD
                ) from exc
            if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED):
                raise InvalidConfiguration(
                    f"{_FIELD}: {cidr!r} is IPv4-mapped; write it as IPv4", field=_FIELD
                )
            spans.append((net.version, int(net.network_address), int(net.broadcast_address)))
            names.append(str(net))
        self._spans = tuple(dict.fromkeys(spans))
        #: The trusted networks, in canonical CIDR notation.
        self.networks = tuple(dict.fromkeys(names))

    def __contains__(self, address: object) -> bool:
        """Whether a parsed address lies in a trusted network."""
        if not isinstance(address, IPAddress):
            return False
        version, value = address.version, address.value
        return any(v == version and start <= value <= end for v, start, end in self._spans)

    def __bool__(self) -> bool:
        return bool(self._spans)

    def __repr__(self) -> str:
        return f"TrustedProxies({list(self.networks)!r})"

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The address of the client behind the trusted proxies, as canonical text.

        ``peer`` is the address the connection came from; ``forwarded_for`` is the value of the
        ``X-Forwarded-For`` header (several header lines joined with ``,`` in order), or None.

        When the peer is not a trusted proxy the header is ignored, since anyone can write it, and
        the peer is the client. When it is, the header is read from the right, skipping trusted
        proxies; the first address that is not one is the client. If every address is a trusted
        proxy, the leftmost is the client. Entries left of the client's are never read: they came
        from the client, and may be anything. A malformed entry among those read was written by
        a trusted proxy, and is an :class:`~remit.errors.InvalidAddress` with field
        ``x-forwarded-for``; a malformed peer has field ``peer``. An IPv4-mapped address is
        returned as IPv4.
        """
        address = parse_address(peer, field="peer")
        if forwarded_for is None or address not in self:
            return address.text
        if not isinstance(forwarded_for, str):
            raise InvalidAddress(
                f"{_XFF}: expected text, got {type(forwarded_for).__name__}", field=_XFF
            )
        if not forwarded_for.strip():
            return address.text
        for entry in reversed(forwarded_for.split(",")):
            address = parse_address(entry.strip(), field=_XFF)
            if address not in self:
                return address.text
        return address.text
