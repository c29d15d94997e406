"""The registry: ISO 3166-1 countries and 3166-2 subdivisions (from pycountry) and named groups.

A *place* is what a location resolves to and what a scope is made of: a country (``CN``) or a
subdivision (``UA-43``). A *jurisdiction* is a place or a named group of countries (``EU``).
``CN`` is mainland China only: ISO 3166-2 lists Hong Kong, Macao and Taiwan as ``CN-HK``,
``CN-MO`` and ``CN-TW``; remit refuses those spellings and uses ``HK``, ``MO`` and ``TW``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import pycountry

from remit.errors import InvalidScope, UnknownJurisdiction

Kind = Literal["country", "subdivision", "group"]


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """One jurisdiction: its canonical code, its name, its kind and the places it covers."""

    code: str
    name: str
    kind: Kind
    #: The places whose law this is: the countries of a group, the country itself, or the
    #: subdivision with every subdivision below it.
    places: frozenset[str]

    @property
    def country(self) -> str | None:
        """The country of a country or subdivision; None for a group."""
        return None if self.kind == "group" else self.code[:2]


@dataclass(frozen=True, slots=True)
class _Data:
    groups: dict[str, tuple[str, frozenset[str]]]
    names: dict[str, str]
    refused: dict[str, str]
    children: dict[str, frozenset[str]]


@cache
def _data() -> _Data:
    raw = json.loads(resources.files(__package__).joinpath("groups.json").read_text("utf-8"))
    groups = {
        code: (spec["name"], frozenset(spec["members"])) for code, spec in raw["groups"].items()
    }
    children: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code:
            parent = (
                sub.parent_code
                if "-" in sub.parent_code
                else f"{sub.country_code}-{sub.parent_code}"
            )
            children.setdefault(parent, set()).add(sub.code)
    return _Data(
        groups=groups,
        names=dict(raw["names"]),
        refused=dict(raw["refused"]),
        children={k: frozenset(v) for k, v in children.items()},
    )


def _descendants(code: str) -> frozenset[str]:
    out: set[str] = set()
    todo = [code]
    children = _data().children
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return frozenset(out)


@cache
def _lookup(code: str) -> Jurisdiction | str:
    """The jurisdiction for a canonical (upper-case) code, or the reason it is refused."""
    data = _data()
    if code in data.refused:
        return (
            f"{code} is not used: remit treats it as its own code, {data.refused[code]} "
            "(CN is mainland China only)"
        )
    if code in data.groups:
        name, members = data.groups[code]
        return Jurisdiction(code, name, "group", members)
    if len(code) == 2 and code.isalpha():
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            return f"{code} is not an ISO 3166-1 country code"
        name = data.names.get(code) or getattr(country, "common_name", None) or country.name
        return Jurisdiction(code, name, "country", frozenset({code}))
    sub: Any = pycountry.subdivisions.get(code=code) if "-" in code else None  # type: ignore[no-untyped-call]
    if sub is None:
        named = ", ".join(sorted(data.groups))
        return f"{code} is not an ISO 3166-1 or 3166-2 code nor a named group ({named})"
    places = frozenset({code}) | {d for d in _descendants(code) if d not in data.refused}
    return Jurisdiction(code, str(sub.name), "subdivision", places)


def get(code: str, *, field: str = "jurisdiction") -> Jurisdiction:
    """The jurisdiction for ``code`` (case-insensitive), or :class:`UnknownJurisdiction`."""
    if not isinstance(code, str) or not code or code != code.strip() or len(code) > 12:
        raise UnknownJurisdiction(f"{field}: {code!r} is not a jurisdiction code", field=field)
    found = _lookup(code.upper())
    if isinstance(found, str):
        raise UnknownJurisdiction(f"{field}: {found}", field=field)
    return found


def is_known(code: str) -> bool:
    """Whether ``code`` names a jurisdiction remit accepts."""
    try:
        get(code)
    except UnknownJurisdiction:
        return False
    return True


def groups() -> dict[str, Jurisdiction]:
    """The named groups, by code."""
    return {code: get(code) for code in _data().groups}


def covers(outer: str, place: str) -> bool:
    """Whether the place ``place`` (a country or subdivision) lies inside jurisdiction ``outer``."""
    j = get(outer)
    p = get(place, field="place")
    if p.kind == "group":
        return all(covers(outer, member) for member in p.places)
    # A subdivision's places hold every subdivision below it; a subdivision lies in its country.
    return p.code in j.places or (p.kind == "subdivision" and p.code[:2] in j.places)


#: Scopes already checked, by jurisdiction and codes: the answer never changes (the data is
#: read once), and only valid scopes are kept.
_scopes: dict[tuple[str, ...], frozenset[str]] = {}


def scope_places(
    scope: Iterable[str], jurisdiction: str, *, field: str = "scope"
) -> frozenset[str]:
    """Validate a scope against a jurisdiction and return the places it covers.

    Every code of ``scope`` must lie inside ``jurisdiction``; a group is expanded to its
    countries. An empty scope, an unknown code, or a code reaching outside the jurisdiction is
    refused with :class:`InvalidScope`: a scope can narrow a jurisdiction, never widen it.
    """
    codes = list(scope)
    if not codes:
        raise InvalidScope(f"{field}: a scope names at least one place", field=field)
    # A node's start asks for the same few scopes over and over: answered once each.
    plain = all(isinstance(c, str) for c in (jurisdiction, *codes))
    key = (jurisdiction, *sorted(set(codes))) if plain else None
    if key is not None and (known := _scopes.get(key)) is not None:
        return known
    get(jurisdiction, field="jurisdiction")
    places: set[str] = set()
    for code in codes:
        try:
            j = get(code, field=field)
        except UnknownJurisdiction as exc:
            raise InvalidScope(exc.message, field=field) from exc
        if not covers(jurisdiction, j.code):
            raise InvalidScope(
                f"{field}: {j.code} lies outside the authority's jurisdiction "
                f"{jurisdiction.upper()}; a scope can narrow a jurisdiction, never widen it",
                field=field,
            )
        places |= j.places
    found = frozenset(places)
    if key is not None:
        if len(_scopes) > 10_000:
            _scopes.clear()
        _scopes[key] = found
    return found
