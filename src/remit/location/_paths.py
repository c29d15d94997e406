"""The hot paths of the :class:`~remit.location.Locator`: from an address to a kept Location.

Each is a closure over the Locator's tables, built again when the data changes, so that a join
pays for asking the sources and one dictionary look-up, never for building evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from remit.location._address import IPAddress
from remit.location._model import UNKNOWN, Location
from remit.location._sources import IPSource, Place

__all__ = ["Link", "agree_path", "asker", "first_path"]

Lookup = Callable[[IPAddress], Place | None]
#: One source under ``first``: its lookup, its name, and the Locations made from its answers.
Link = tuple[Lookup, str, dict[Place, Location]]
Key = tuple[Place | None, ...]
Path = Callable[[IPAddress], Location]


def asker(lookups: tuple[Lookup, ...]) -> Callable[[IPAddress], Key]:
    """One function asking every source, specialised for the common counts of sources."""
    if not lookups:
        return lambda address: ()
    if len(lookups) == 1:
        (one,) = lookups
        return lambda address: (one(address),)
    if len(lookups) == 2:
        one, two = lookups
        return lambda address: (one(address), two(address))
    return lambda address: tuple([lookup(address) for lookup in lookups])


def first_path(chain: tuple[Link, ...], made: Callable[[str, Place], Location]) -> Path:
    """Under ``first``: the first usable answer of ``chain``, its Location made once."""

    def first(address: IPAddress) -> Location:
        for lookup, name, cache in chain:
            place = lookup(address)
            if place is not None:
                location = cache.get(place)
                if location is None:
                    location = cache.setdefault(place, made(name, place))
                if location is not UNKNOWN:
                    return location
        return UNKNOWN

    return first


def agree_path(
    sources: Sequence[IPSource], agreed: dict[Key, Location], resolve: Callable[[Key], Location]
) -> Path:
    """Under ``agree`` with no override: every source asked, the answers looked up in ``agreed``.

    With two sources (the default), a source may answer with a cheap key that stands for its
    place (``answer_key`` and ``place_for``: a code index, a country code), so that the pair of
    keys, not a pair of places, is hashed at every join.
    """
    if len(sources) == 2:
        one, two = (getattr(s, "answer_key", s.lookup) for s in sources)
        place_one, place_two = (getattr(s, "place_for", _same) for s in sources)
        by_keys: dict[tuple[object, object], Location] = {}

        def two_sources(address: IPAddress) -> Location:
            keys = (one(address), two(address))
            location = by_keys.get(keys)
            if location is None:
                places = (place_one(keys[0]), place_two(keys[1]))
                location = agreed.get(places)
                if location is None:
                    location = agreed.setdefault(places, resolve(places))
                location = by_keys.setdefault(keys, location)
            return location

        return two_sources
    ask = asker(tuple(s.lookup for s in sources))

    def any_sources(address: IPAddress) -> Location:
        key = ask(address)
        location = agreed.get(key)
        if location is None:
            location = agreed.setdefault(key, resolve(key))
        return location

    return any_sources


def _same(place: Place | None) -> Place | None:
    return place
