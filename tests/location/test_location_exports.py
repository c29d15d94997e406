"""The public surface of remit.location is pinned: a change to it is a decision, not an accident."""

from __future__ import annotations

import inspect

import remit.location
from remit.location import DbipSource, IPSource, IptoccSource, MaxMindSource, StaticSource

EXPECTED = [
    "DEFAULT_MAX_AGE_DAYS",
    "RESERVED_NETWORKS",
    "RULES",
    "SIGNALS",
    "SOURCE_NAMES",
    "UNKNOWN",
    "WELL_KNOWN_NAT64",
    "Answer",
    "DbipSource",
    "IPAddress",
    "IPSource",
    "IptoccSource",
    "Location",
    "Locator",
    "MaxMindSource",
    "Place",
    "SourceStatus",
    "StaticSource",
    "TrustedProxies",
    "is_reserved",
    "locate_phone",
    "parse_address",
]


def test_the_public_names() -> None:
    assert remit.location.__all__ == EXPECTED
    for name in EXPECTED:
        assert getattr(remit.location, name) is not None


def test_every_public_name_is_documented() -> None:
    for name in EXPECTED:
        value = getattr(remit.location, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, name
            for member, attribute in vars(value).items():
                if not member.startswith("_") and inspect.isfunction(attribute):
                    assert attribute.__doc__, f"{name}.{member}"


def test_the_built_in_sources_satisfy_the_interface() -> None:
    sources: list[IPSource] = [IptoccSource(), DbipSource(), StaticSource({})]
    assert [s.name for s in sources] == ["iptocc", "dbip", "static"]
    assert [s.family for s in sources] == ["rir", "dbip", "static"]
    assert [s.places_reserved for s in sources] == [False, False, True]
    assert [s.data_date is None for s in sources] == [False, False, True]
    assert MaxMindSource.places_reserved is False
