"""Sources of IP location: the :class:`IPSource` interface, and the registries' data, iptocc.

A source answers one question: in which country (and perhaps subdivision) is this address? It
answers with a *place*, ``(country, subdivision)``, such as ``("CN", None)`` or
``("US", "US-CA")``, or with None when it cannot say. The :class:`~remit.location.Locator` asks
its sources, checks each answer against :mod:`remit.jurisdictions`, and turns the answers into a
:class:`~remit.location.Location` by its rule (``first`` or ``agree``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import metadata
from typing import Protocol

from iptocc import country_code as _country_code

from remit.location._address import IPAddress

__all__ = ["IPSource", "IptoccSource", "Place"]

#: A source's answer: an ISO 3166-1 alpha-2 country and an ISO 3166-2 subdivision or None.
Place = tuple[str, str | None]


class IPSource(Protocol):
    """Where an IP address is, according to one source of data.

    ``name`` names the source in a Location's evidence (and is its
    :attr:`~remit.location.Location.source` under the rule ``first``). ``family`` names who made
    the data: two sources of one family (two MaxMind databases, say) are not independent, so
    under the rule ``agree`` they count once towards the quorum. ``data_date`` is the date of the
    data, or None when unknown; remit warns when it is older than its limit.

    ``places_reserved`` says whether the source may place an address of
    :data:`~remit.location.RESERVED_NETWORKS` (private, loopback, documentation, …). Only the
    operator's own table does: public data sets know nothing true about a private address, so the
    :class:`~remit.location.Locator` does not even ask them.

    ``lookup`` must be fast (it runs at every join), must not raise for any address, and may raise
    :class:`~remit.errors.LocationDataError` only when its data turns out to be corrupt. A source
    whose data can be replaced while remit runs also has ``refresh() -> str | None`` (see
    :meth:`MaxMindSource.refresh <remit.location.MaxMindSource.refresh>`); one that holds files
    open has ``close()``.
    """

    @property
    def name(self) -> str:
        """The source's name, as it appears in evidence (``iptocc``, ``dbip``, ``static``, …)."""
        ...

    @property
    def family(self) -> str:
        """Who made the data (``rir``, ``dbip``, ``maxmind``, …): one family is one opinion."""
        ...

    @property
    def places_reserved(self) -> bool:
        """Whether the source may place addresses of the reserved networks."""
        ...

    @property
    def data_date(self) -> date | None:
        """The date of the source's data, or None when it is not known."""
        ...

    def lookup(self, address: IPAddress) -> Place | None:
        """The place of ``address``, or None when this source cannot say."""
        ...


class IptoccSource:
    """The Regional Internet Registries' allocation data, via ``iptocc``.

    The data is embedded in the ``iptocc`` wheel, so there is nothing to download or configure.
    It says which country an address block was allocated to, which is where the network that
    uses it is registered, not where the person using it is: good at the country level, and it
    never gives a subdivision. Some blocks are registered to a region (``EU``) rather than a
    country; the Locator does not use such an answer. The data's date is the day the wheel was
    built (its bill of materials' timestamp): iptocc rebuilds from the registries' files nightly.
    """

    name = "iptocc"
    family = "rir"
    places_reserved = False

    def __init__(self) -> None:
        self._places: dict[str, Place] = {}
        self.data_date = _iptocc_date()

    def lookup(self, address: IPAddress) -> Place | None:
        """The country the block holding ``address`` is allocated to, or None."""
        return self.place_for(_country_code(address.text))

    def answer_key(self, address: IPAddress) -> str | None:
        """A cheap stand-in for :meth:`lookup`'s answer (the country code) for the Locator."""
        return _country_code(address.text)

    def place_for(self, key: str | None) -> Place | None:
        """The answer :meth:`answer_key`'s ``key`` stands for."""
        if key is None:
            return None
        place = self._places.get(key)
        if place is None:
            place = self._places.setdefault(key, (key, None))
        return place

    def __repr__(self) -> str:
        return f"IptoccSource(data of {self.data_date})"


def _iptocc_date() -> date | None:
    """The ``metadata.timestamp`` of the bill of materials in iptocc's installed wheel."""
    try:
        text = metadata.distribution("iptocc").read_text("sboms/iptocc-py.cyclonedx.json")
        stamp = json.loads(text or "null")["metadata"]["timestamp"]
        return datetime.fromisoformat(stamp[:19]).date()
    except (metadata.PackageNotFoundError, OSError, ValueError, KeyError, TypeError):
        return None
