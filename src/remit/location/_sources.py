"""Sources of IP location: the :class:`IPSource` interface and the default, :class:`IptoccSource`.

A source answers one question: in which country (and perhaps subdivision) is this address? It
answers with a *place*, ``(country, subdivision)``, such as ``("CN", None)`` or
``("US", "US-CA")``, or with None when it cannot say. The :class:`~remit.location.Locator` asks
its sources in order, checks each answer against :mod:`remit.jurisdictions`, and turns the first
usable one into a :class:`~remit.location.Location`.
"""

from __future__ import annotations

from typing import Protocol

from iptocc import country_code as _country_code

from remit.location._address import IPAddress

__all__ = ["IPSource", "IptoccSource", "Place"]

#: A source's answer: an ISO 3166-1 alpha-2 country and an ISO 3166-2 subdivision or None.
Place = tuple[str, str | None]


class IPSource(Protocol):
    """Where an IP address is, according to one source of data.

    ``name`` becomes :attr:`Location.source <remit.location.Location.source>`.
    ``places_reserved`` says whether the source may place an address of
    :data:`~remit.location.RESERVED_NETWORKS` (private, loopback, documentation, …). Only the
    operator's own table does: public data sets know nothing true about a private address, so the
    :class:`~remit.location.Locator` does not even ask them.

    ``lookup`` must be fast (it runs at every join), must not raise for any address, and may raise
    :class:`~remit.errors.LocationDataError` only when its data turns out to be corrupt.
    """

    @property
    def name(self) -> str:
        """The source's name, as it appears in a Location (``iptocc``, ``maxmind``, ``static``)."""
        ...

    @property
    def places_reserved(self) -> bool:
        """Whether the source may place addresses of the reserved networks."""
        ...

    def lookup(self, address: IPAddress) -> Place | None:
        """The place of ``address``, or None when this source cannot say."""
        ...


class IptoccSource:
    """The default source: the Regional Internet Registries' allocation data, via ``iptocc``.

    The data is embedded in the ``iptocc`` wheel, so there is nothing to download or configure.
    It says which country an address block was allocated to, which is where the network that
    uses it is registered: good at the country level, and it never gives a subdivision. Some
    blocks are registered to a region (``EU``) rather than a country; the Locator does not use
    such an answer.
    """

    name = "iptocc"
    places_reserved = False

    def lookup(self, address: IPAddress) -> Place | None:
        """The country the block holding ``address`` is allocated to, or None."""
        country = _country_code(address.text)
        return None if country is None else (country, None)

    def __repr__(self) -> str:
        return "IptoccSource()"
