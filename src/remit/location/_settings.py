"""The settings of a :class:`~remit.location.Locator`, checked: sources by name, rule, quorum."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from remit.errors import InvalidConfiguration
from remit.location._agreement import RULES
from remit.location._dbip import DbipSource
from remit.location._health import DEFAULT_MAX_AGE_DAYS
from remit.location._maxmind import MaxMindSource
from remit.location._sources import IPSource, IptoccSource
from remit.location._static import StaticSource

#: The class a locator is built as (:class:`~remit.location.Locator`; named here without
#: importing it, so that the locator may import these checks).
L = TypeVar("L")

__all__ = ["SOURCE_NAMES", "check_precedence", "check_quorum", "check_rule", "from_settings"]

#: The IP sources :meth:`Locator.from_settings` knows by name; ``--mmdb`` databases add theirs.
SOURCE_NAMES = ("static", "maxmind", "dbip", "iptocc")
_SIGNALS = ("ip", "phone")
#: Names a database cannot take: the built-in sources' and the words a Location's source uses.
_TAKEN = frozenset({*SOURCE_NAMES, "agree", "first", "disputed", "none", "phone"})
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,23}")


def from_settings(
    cls: Callable[..., L],
    *,
    maxmind_path: str | os.PathLike[str] | None = None,
    databases: Mapping[str, str | os.PathLike[str]] | None = None,
    static_table: str | os.PathLike[str] | Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    rule: str = "agree",
    quorum: int | None = None,
    precedence: Sequence[str] = ("ip", "phone"),
    trusted_proxies: Iterable[str] = (),
    nat64_prefixes: Iterable[str] = (),
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> L:
    """A locator built from settings: sources named in ``order``, each built from its setting.

    ``static`` is a :class:`StaticSource` from ``static_table`` (a file path or a mapping),
    ``maxmind`` a :class:`MaxMindSource` on ``maxmind_path``, each entry of ``databases`` (name
    to path) a :class:`MaxMindSource` of that name, ``dbip`` DB-IP's Lite data and ``iptocc`` the
    registries' data, both shipped with remit. Without ``order`` every configured source is used:
    ``static``, ``maxmind``, the ``databases`` in their order, ``dbip``, ``iptocc``. A name in
    ``order`` whose setting is not given is left out. An unknown, taken or repeated name, a
    setting whose source is not in ``order``, or an order that leaves no source is an
    :class:`~remit.errors.InvalidConfiguration`; a database that cannot be used is a
    :class:`~remit.errors.LocationDataError`. The other settings are the Locator's.
    """
    named = dict(_check_databases(databases or {}))
    configured = {"static": static_table is not None, "maxmind": maxmind_path is not None}
    configured.update(dict.fromkeys(named, True))
    if order is None:
        everything = ("static", "maxmind", *named, "dbip", "iptocc")
        names = tuple(n for n in everything if configured.get(n, True))
    else:
        names = _check_order(order, named)
    for name, given in configured.items():
        if given and name not in names:
            raise InvalidConfiguration(
                f"order: {name} is configured but not in the order {list(names)}", field="order"
            )
    if not any(configured.get(name, True) for name in names):
        raise InvalidConfiguration(
            f"order: none of {list(names)} is configured; add dbip or iptocc or give its setting",
            field="order",
        )
    check_rule(rule)
    check_precedence(precedence)
    sources: list[IPSource] = []
    try:
        for name in names:
            if name == "iptocc":
                sources.append(IptoccSource())
            elif name == "dbip":
                sources.append(DbipSource())
            elif name == "static" and static_table is not None:
                if isinstance(static_table, Mapping):
                    sources.append(StaticSource(static_table))
                else:
                    sources.append(StaticSource.from_file(static_table))
            elif name == "maxmind" and maxmind_path is not None:
                sources.append(MaxMindSource(maxmind_path))
            elif name in named:
                sources.append(MaxMindSource(named[name], name=name))
        return cls(
            ip_sources=sources,
            rule=rule,
            quorum=quorum,
            precedence=precedence,
            trusted_proxies=trusted_proxies,
            nat64_prefixes=nat64_prefixes,
            max_age_days=max_age_days,
        )
    except BaseException:
        for source in sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()
        raise


def check_rule(rule: object) -> str:
    """``rule`` if it is one of :data:`~remit.location.RULES`."""
    if rule not in RULES:
        raise InvalidConfiguration(
            f"rule: {rule!r} is not a location rule; the rules are {', '.join(RULES)}",
            field="rule",
        )
    assert isinstance(rule, str)
    return rule


def check_quorum(quorum: object, independent: int) -> int:
    """The quorum: ``quorum``, or by default 2 (or ``independent`` when fewer, at least 1)."""
    if quorum is None:
        return max(1, min(2, independent))
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
        raise InvalidConfiguration(
            f"quorum: {quorum!r} is not a whole number of sources of at least 1", field="quorum"
        )
    if independent and quorum > independent:
        raise InvalidConfiguration(
            f"quorum: {quorum} independent sources cannot agree when {independent} are "
            "configured (sources of one family count once)",
            field="quorum",
        )
    return quorum


def check_precedence(kinds: Sequence[str]) -> tuple[str, ...]:
    """The signal kinds in order, each one of ``ip`` and ``phone``, none twice."""
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise InvalidConfiguration(
            f"precedence: expected a sequence of signal kinds such as {_SIGNALS}, got {kinds!r}",
            field="precedence",
        )
    found = tuple(kinds)
    if not found:
        raise InvalidConfiguration(
            f"precedence: empty; name at least one of {', '.join(_SIGNALS)}", field="precedence"
        )
    for kind in found:
        if kind not in _SIGNALS:
            raise InvalidConfiguration(
                f"precedence: {kind!r} is not a location signal; the signals are "
                f"{', '.join(_SIGNALS)}. A self-declared or billing country is never evidence of "
                "where a participant is",
                field="precedence",
            )
    if len(set(found)) != len(found):
        raise InvalidConfiguration(
            f"precedence: {list(found)} repeats a signal", field="precedence"
        )
    return found


def _check_databases(
    databases: Mapping[str, str | os.PathLike[str]],
) -> Iterable[tuple[str, str | os.PathLike[str]]]:
    if not isinstance(databases, Mapping):
        raise InvalidConfiguration(
            f"databases: expected a mapping of name to path, got {type(databases).__name__}",
            field="databases",
        )
    for name, path in databases.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidConfiguration(
                f"databases: {name!r} is not a source name (a lower-case letter, then up to 23 "
                "letters, digits, '-' or '_')",
                field="databases",
            )
        if name in _TAKEN:
            raise InvalidConfiguration(
                f"databases: {name!r} is taken; name the database otherwise", field="databases"
            )
        yield name, path


def _check_order(names: Sequence[str], named: Mapping[str, object]) -> tuple[str, ...]:
    known = (*SOURCE_NAMES, *named)
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InvalidConfiguration(
            f"order: expected a sequence of source names such as {known}, got {names!r}",
            field="order",
        )
    found = tuple(names)
    for name in found:
        if name not in known:
            raise InvalidConfiguration(
                f"order: {name!r} is not a location source; the sources are {', '.join(known)}",
                field="order",
            )
    if len(set(found)) != len(found):
        raise InvalidConfiguration(f"order: {list(found)} repeats a source", field="order")
    return found
