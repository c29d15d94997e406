"""The default source: RIR allocation data shipped in iptocc, through the Locator."""

from __future__ import annotations

import pytest

from remit.location import UNKNOWN, IptoccSource, Locator, parse_address


def registries() -> Locator:
    return Locator(ip_sources=[IptoccSource()], rule="first")


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("1.2.4.8", "CN"),
        ("203.198.7.1", "HK"),
        ("202.175.3.1", "MO"),
        ("1.160.0.1", "TW"),
        ("2001:da8::1", "CN"),
        ("8.8.8.8", "US"),
    ],
)
def test_known_allocations(ip: str, country: str) -> None:
    assert IptoccSource().lookup(parse_address(ip)) == (country, None)
    found = registries().locate_ip(ip)
    assert (found.country, found.subdivision, found.source) == (country, None, "iptocc")
    assert found.evidence[0].data_date == IptoccSource().data_date.isoformat()  # type: ignore[union-attr]


def test_ipv4_mapped_ipv6_is_located_as_ipv4() -> None:
    locator = registries()
    assert locator.locate_ip("::ffff:1.2.4.8") is locator.locate_ip("1.2.4.8")
    assert locator.locate_ip("::ffff:203.198.7.1").country == "HK"


def test_a_block_registered_to_a_region_places_no_one() -> None:
    # The registries list some blocks under "EU", a region, not a country; a location is a place.
    assert IptoccSource().lookup(parse_address("139.191.0.1")) == ("EU", None)
    assert registries().locate_ip("139.191.0.1") is UNKNOWN


def test_unallocated_and_reserved_addresses_are_unknown() -> None:
    locator = Locator()
    for ip in ("192.168.1.10", "10.0.0.1", "127.0.0.1", "::1", "2001:db8::1", "0.0.0.0"):
        assert locator.locate_ip(ip) is UNKNOWN


def test_the_same_answer_is_the_same_instance() -> None:
    locator = Locator()
    assert locator.locate_ip("1.2.4.8") is locator.locate_ip("1.2.4.9")
    assert locator.locate_ip("1.2.4.8") is locator.locate_ip("2001:da8::1")
