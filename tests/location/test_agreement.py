"""The rule ``agree``: a participant is placed only where the independent sources that answer agree.

The databases are MaxMind-format files the tests write (tests/mmdb_files.py), of two makers so
that they are independent: ``geo`` says it is GeoLite2, ``lite`` that it is DB-IP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmdb_files import city, country, write_mmdb
from remit.errors import InvalidConfiguration
from remit.location import UNKNOWN, Answer, Location, Locator, MaxMindSource, StaticSource


@pytest.fixture
def geo(tmp_path: Path) -> MaxMindSource:
    path = write_mmdb(
        tmp_path / "geo.mmdb",
        {
            "1.2.4.0/24": country("CN"),
            "5.8.0.0/16": country("RU"),
            "9.9.9.0/24": country("US"),
            "2001:da8::/32": country("CN"),
            "12.0.0.0/16": city("US-CA"),
            "12.1.0.0/16": city("US-CA"),
        },
    )
    return MaxMindSource(path, name="geo")


@pytest.fixture
def lite(tmp_path: Path) -> MaxMindSource:
    path = write_mmdb(
        tmp_path / "lite.mmdb",
        {
            "1.2.4.0/24": country("CN"),
            "5.8.0.0/16": country("UA"),  # the registry says RU, the geolocation says UA
            "2001:da8::/32": country("CN"),
            "12.0.0.0/16": city("US-CA"),
            "12.1.0.0/16": city("US-NY"),
        },
        database_type="DBIP-City-Lite",
    )
    return MaxMindSource(path, name="lite")


def test_sources_that_agree_place_the_participant(geo: MaxMindSource, lite: MaxMindSource) -> None:
    locator = Locator(ip_sources=[geo, lite])
    assert (locator.rule, locator.quorum) == ("agree", 2)
    for ip in ("1.2.4.8", "2001:da8::1"):
        found = locator.locate_ip(ip)
        assert (found.country, found.source, found.dispute) == ("CN", "agree", None)
        assert [(a.source, a.country) for a in found.evidence] == [("geo", "CN"), ("lite", "CN")]
        assert all(a.data_date == geo.data_date.isoformat() for a in found.evidence)


def test_sources_that_disagree_place_no_one_and_say_who_said_what(
    geo: MaxMindSource, lite: MaxMindSource
) -> None:
    found = Locator(ip_sources=[geo, lite]).locate_ip("5.8.1.1")
    assert (found.country, found.subdivision, found.source) == (None, None, "disputed")
    assert found.disputed
    assert not found.known
    assert found.dispute == "sources disagree: geo RU, lite UA"
    assert found.contested == {"RU", "UA"}


def test_one_source_alone_is_below_the_quorum(geo: MaxMindSource, lite: MaxMindSource) -> None:
    alone = Locator(ip_sources=[geo, lite]).locate_ip("9.9.9.9")
    assert (alone.country, alone.source) == (None, "disputed")
    assert alone.dispute == "too few sources: geo US; 2 independent sources needed"
    assert alone.evidence == (
        Answer("geo", "US", None, geo.data_date.isoformat()),
        Answer("lite", None, None, lite.data_date.isoformat()),
    )
    one = Locator(ip_sources=[geo, lite], quorum=1).locate_ip("9.9.9.9")
    assert (one.country, one.source) == ("US", "agree")
    assert Locator(ip_sources=[geo, lite]).locate_ip("100.0.0.1") is UNKNOWN  # nobody answers


def test_a_subdivision_needs_the_quorum_too(geo: MaxMindSource, lite: MaxMindSource) -> None:
    locator = Locator(ip_sources=[geo, lite])
    agreed = locator.locate_ip("12.0.0.1")
    assert (agreed.country, agreed.subdivision, agreed.dispute) == ("US", "US-CA", None)
    split = locator.locate_ip("12.1.0.1")
    assert (split.country, split.subdivision) == ("US", None)
    assert split.dispute == "sources disagree on the subdivision: geo US-CA, lite US-NY"
    assert split.contested == {"US-CA", "US-NY"}
    assert not split.disputed  # the country stands


def test_two_databases_of_one_maker_are_one_opinion(tmp_path: Path, geo: MaxMindSource) -> None:
    twin = MaxMindSource(write_mmdb(tmp_path / "twin.mmdb", {"9.9.9.0/24": country("US")}))
    assert (geo.family, twin.family) == ("maxmind", "maxmind")
    assert Locator(ip_sources=[geo, twin]).quorum == 1
    with pytest.raises(InvalidConfiguration, match="2 independent sources cannot agree when 1"):
        Locator(ip_sources=[geo, twin], quorum=2)


def test_the_operators_table_overrides_and_keeps_the_others_as_evidence(
    geo: MaxMindSource, lite: MaxMindSource
) -> None:
    static = StaticSource({"5.8.1.0/24": "UA"})
    found = Locator(ip_sources=[static, geo, lite]).locate_ip("5.8.1.1")
    assert (found.country, found.source, found.dispute) == ("UA", "static", None)
    assert [(a.source, a.country) for a in found.evidence] == [
        ("static", "UA"),
        ("geo", "RU"),
        ("lite", "UA"),
    ]


def test_the_same_answers_are_the_same_instance(geo: MaxMindSource, lite: MaxMindSource) -> None:
    locator = Locator(ip_sources=[geo, lite])
    assert locator.locate_ip("1.2.4.8") is locator.locate_ip("2001:da8::2")
    assert locator.locate_ip("5.8.1.1") is locator.locate_ip("5.8.200.1")


def test_the_default_two_data_sets_disagree_somewhere_and_then_place_no_one() -> None:
    locator = Locator()
    found = [locator.locate_ip(f"4.224.{n}.19") for n in range(0, 256, 8)]
    disputed = [f for f in found if f.disputed]
    assert disputed, "DB-IP and the registries place Azure's 4.224/16 in different countries"
    first = disputed[0]
    assert first.dispute is not None
    assert first.dispute.startswith("sources disagree: dbip ")
    assert [a.source for a in first.evidence] == ["dbip", "iptocc"]


def test_a_location_round_trips_through_its_json_form(
    geo: MaxMindSource, lite: MaxMindSource
) -> None:
    locator = Locator(ip_sources=[geo, lite])
    for ip in ("1.2.4.8", "5.8.1.1", "12.1.0.1", "64:ff9b::102:408", "10.0.0.1"):
        location = locator.locate_ip(ip)
        assert Location.from_dict(location.to_dict()) == location
    assert Location.from_dict(UNKNOWN.to_dict()) is UNKNOWN
