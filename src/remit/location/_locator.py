"""From a participant's signals to one :class:`Location`: the :class:`Locator`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from remit import jurisdictions
from remit.errors import InvalidConfiguration, UnknownJurisdiction
from remit.location._address import IPAddress, is_reserved, parse_address
from remit.location._edge import TrustedProxies
from remit.location._maxmind import MaxMindSource
from remit.location._model import UNKNOWN, Location
from remit.location._phone import locate_phone
from remit.location._sources import IPSource, IptoccSource, Place
from remit.location._static import StaticSource

__all__ = ["SIGNALS", "SOURCE_NAMES", "Locator"]

#: The kinds of signal that are evidence of where a participant is.
SIGNALS = ("ip", "phone")
#: The IP sources :meth:`Locator.from_settings` can build, by name.
SOURCE_NAMES = ("static", "maxmind", "iptocc")

_Link = tuple[Callable[[IPAddress], Place | None], dict[Place, Location], str]


class Locator:
    """Resolves a participant's signals to a :class:`Location`.

    Two kinds of signal are evidence of where a participant is: ``ip``, the address they connect
    from, and ``phone``, the number they dial in from. A country the participant declares, or the
    country of their billing address, is never evidence: anyone can claim any country, and remit
    acts on a participant only where their location is established.

    ``ip_sources`` are asked in order, and the first usable answer wins; its ``name`` becomes
    :attr:`Location.source`. An address in :data:`~remit.location.RESERVED_NETWORKS` (private,
    loopback, CGNAT, documentation, multicast, …) is not the address of one place: only the sources
    that declare ``places_reserved`` (the operator's :class:`StaticSource`) are asked about it, so
    it is unknown unless the operator's own table places it (as tests place clients at
    ``127.0.0.10``). An answer is used only if its country is an ISO 3166-1 country that
    :mod:`remit.jurisdictions` knows (``EU``, which registries give some blocks, is not), and its
    subdivision is kept only if it lies in that country; a subdivision code remit does not know
    keeps the country alone, unless its last part is a country code (``CN-HK`` is remit's ``HK``),
    which makes the answer unusable.

    ``precedence`` orders the signals for :meth:`locate`, by default ``("ip", "phone")``: where
    the participant connects from, else where they dial in from. For a participant who dials in,
    give their number and not the address of the telephony gateway. ``trusted_proxies`` are the
    networks of the operator's proxies, for :meth:`client_ip`.

    Locations are shared: the same answer from the same source returns the same instance.
    """

    def __init__(
        self,
        *,
        ip_sources: Iterable[IPSource] | None = None,
        precedence: Sequence[str] = ("ip", "phone"),
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        """A locator asking ``ip_sources`` in order (by default the RIR data of ``iptocc``)."""
        sources = (IptoccSource(),) if ip_sources is None else tuple(ip_sources)
        if not sources:
            raise InvalidConfiguration(
                "ip_sources: empty; give at least one source", field="ip_sources"
            )
        self._sources = sources
        self._precedence = _check_precedence(precedence)
        self._proxies = TrustedProxies(trusted_proxies)
        links: tuple[_Link, ...] = tuple((source.lookup, {}, source.name) for source in sources)
        self._chain = links
        self._reserved_chain = tuple(
            link for link, source in zip(links, sources, strict=True) if source.places_reserved
        )

    @classmethod
    def from_settings(
        cls,
        *,
        maxmind_path: str | os.PathLike[str] | None = None,
        static_table: str | os.PathLike[str] | Mapping[str, str] | None = None,
        order: Sequence[str] = ("static", "maxmind", "iptocc"),
        precedence: Sequence[str] = ("ip", "phone"),
        trusted_proxies: Iterable[str] = (),
    ) -> Locator:
        """A locator built from settings: sources named in ``order``, each built from its setting.

        ``static`` is a :class:`StaticSource` from ``static_table`` (a file path or a mapping),
        ``maxmind`` a :class:`MaxMindSource` on ``maxmind_path``, ``iptocc`` the built-in RIR data.
        A source named in ``order`` whose setting is not given is left out, so the default order
        works with no settings at all. An unknown or repeated name, a setting whose source is not
        in ``order``, or an order that leaves no source is an
        :class:`~remit.errors.InvalidConfiguration`; a MaxMind database that cannot be used is a
        :class:`~remit.errors.LocationDataError`.
        """
        names = _check_order(order)
        configured = {"static": static_table is not None, "maxmind": maxmind_path is not None}
        for name, given in configured.items():
            if given and name not in names:
                raise InvalidConfiguration(
                    f"order: {name} is configured but not in the order {list(names)}", field="order"
                )
        if not any(configured.get(name, True) for name in names):
            raise InvalidConfiguration(
                f"order: none of {list(names)} is configured; add iptocc or give its setting",
                field="order",
            )
        precedence = _check_precedence(precedence)
        proxies = TrustedProxies(trusted_proxies)
        sources: list[IPSource] = []
        try:
            for name in names:
                if name == "iptocc":
                    sources.append(IptoccSource())
                elif name == "static" and static_table is not None:
                    if isinstance(static_table, Mapping):
                        sources.append(StaticSource(static_table))
                    else:
                        sources.append(StaticSource.from_file(static_table))
                elif name == "maxmind" and maxmind_path is not None:
                    sources.append(MaxMindSource(maxmind_path))
        except BaseException:
            _close(sources)
            raise
        return cls(ip_sources=sources, precedence=precedence, trusted_proxies=proxies.networks)

    @property
    def ip_sources(self) -> tuple[IPSource, ...]:
        """The IP sources, in the order they are asked."""
        return self._sources

    @property
    def precedence(self) -> tuple[str, ...]:
        """The signal kinds, in the order :meth:`locate` uses them."""
        return self._precedence

    @property
    def trusted_proxies(self) -> TrustedProxies:
        """The proxies whose ``X-Forwarded-For`` entries are believed."""
        return self._proxies

    def locate_ip(self, ip: str) -> Location:
        """The location of the address ``ip``; :data:`UNKNOWN` when no source places it.

        An invalid address is an :class:`~remit.errors.InvalidAddress` with field ``ip``.
        """
        address = parse_address(ip)
        for lookup, cache, name in self._reserved_chain if is_reserved(address) else self._chain:
            place = lookup(address)
            if place is not None:
                location = cache.get(place)
                if location is None:
                    location = cache.setdefault(place, _location(place, name))
                if location is not UNKNOWN:
                    return location
        return UNKNOWN

    def locate_phone(self, number: str) -> Location:
        """The location of the dial-in number ``number`` (see :func:`locate_phone`)."""
        return locate_phone(number)

    def evidence(
        self, ip: str | None = None, phone: str | None = None
    ) -> tuple[tuple[str, Location], ...]:
        """Each signal given (not None) and in the precedence, in that order, with its location.

        Every signal given is parsed, so an invalid one is an error whatever the others say:
        :class:`~remit.errors.InvalidAddress` (field ``ip``) or
        :class:`~remit.errors.InvalidPhoneNumber` (field ``phone``). A signal whose kind is not in
        the precedence is ignored.
        """
        found: list[tuple[str, Location]] = []
        for kind in self._precedence:
            if kind == "ip" and ip is not None:
                found.append(("ip", self.locate_ip(ip)))
            elif kind == "phone" and phone is not None:
                found.append(("phone", locate_phone(phone)))
        return tuple(found)

    def locate(self, ip: str | None = None, phone: str | None = None) -> Location:
        """The location from the first signal, in precedence order, that places the participant.

        A signal that resolves to unknown (a private address, a non-geographic number) gives way
        to the next; when none places the participant, the location is :data:`UNKNOWN`. Errors
        are those of :meth:`evidence`.
        """
        if phone is None and self._precedence[0] == "ip":  # the common case, kept short
            return UNKNOWN if ip is None else self.locate_ip(ip)
        for _, location in self.evidence(ip, phone):
            if location.country is not None:
                return location
        return UNKNOWN

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address behind the trusted proxies (:meth:`TrustedProxies.client_ip`)."""
        return self._proxies.client_ip(peer, forwarded_for)

    def close(self) -> None:
        """Close the sources that hold files open (a :class:`MaxMindSource`)."""
        _close(self._sources)

    def __repr__(self) -> str:
        names = ", ".join(source.name for source in self._sources)
        return f"<Locator sources=[{names}] precedence={list(self._precedence)}>"


def _close(sources: Iterable[IPSource]) -> None:
    for source in sources:
        close = getattr(source, "close", None)
        if callable(close):
            close()


def _location(place: Place, source: str) -> Location:
    """The Location for a source's answer, or UNKNOWN when the answer cannot be used."""
    try:
        country_code, subdivision = place
        country = jurisdictions.get(country_code, field="country")
    except (UnknownJurisdiction, TypeError, ValueError):
        return UNKNOWN
    if country.kind != "country":
        return UNKNOWN  # a group, such as EU
    if subdivision is None:
        return Location(country.code, None, source)
    if not isinstance(subdivision, str) or subdivision[:3].upper() != f"{country.code}-":
        return UNKNOWN
    if jurisdictions.is_known(subdivision):
        found = jurisdictions.get(subdivision)
        return (
            Location(country.code, found.code, source) if found.kind == "subdivision" else UNKNOWN
        )
    if jurisdictions.is_known(subdivision[3:]):
        return UNKNOWN  # CN-HK: remit's HK, which is not part of CN
    return Location(country.code, None, source)  # a code remit does not know, such as CN-22


def _check_precedence(kinds: Sequence[str]) -> tuple[str, ...]:
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise InvalidConfiguration(
            f"precedence: expected a sequence of signal kinds such as {SIGNALS}, got {kinds!r}",
            field="precedence",
        )
    found = tuple(kinds)
    if not found:
        raise InvalidConfiguration(
            f"precedence: empty; name at least one of {', '.join(SIGNALS)}", field="precedence"
        )
    for kind in found:
        if kind not in SIGNALS:
            raise InvalidConfiguration(
                f"precedence: {kind!r} is not a location signal; the signals are "
                f"{', '.join(SIGNALS)}. A self-declared or billing country is never evidence of "
                "where a participant is",
                field="precedence",
            )
    if len(set(found)) != len(found):
        raise InvalidConfiguration(
            f"precedence: {list(found)} repeats a signal", field="precedence"
        )
    return found


def _check_order(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InvalidConfiguration(
            f"order: expected a sequence of source names such as {SOURCE_NAMES}, got {names!r}",
            field="order",
        )
    found = tuple(names)
    for name in found:
        if name not in SOURCE_NAMES:
            raise InvalidConfiguration(
                f"order: {name!r} is not a location source; the sources are "
                f"{', '.join(SOURCE_NAMES)}",
                field="order",
            )
    if len(set(found)) != len(found):
        raise InvalidConfiguration(f"order: {list(found)} repeats a source", field="order")
    return found
