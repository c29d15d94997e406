"""Over the whole address space: no crash, mapped equals IPv4, reserved stays unknown."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.errors import InvalidAddress
from remit.location import (
    RESERVED_NETWORKS,
    UNKNOWN,
    IptoccSource,
    Location,
    Locator,
    MaxMindSource,
    StaticSource,
    is_reserved,
    parse_address,
)
from remit.location._transition import Transitions

DATA = Path(__file__).resolve().parents[1] / "data" / "maxmind"
LOCATOR = Locator()
MAXMIND = MaxMindSource(DATA / "GeoIP2-City-Test.mmdb")
PUBLIC = Locator(ip_sources=[MAXMIND, IptoccSource()])
NETWORKS = [ipaddress.ip_network(cidr) for cidr, _ in RESERVED_NETWORKS]
TRANSITIONS = Transitions()


def carries_ipv4(text: str) -> bool:
    """Whether ``text`` is a NAT64, 6to4 or Teredo address (placed by the IPv4 it carries)."""
    return TRANSITIONS.embedded(parse_address(text)) is not None


ipv4 = st.integers(0, 2**32 - 1)
ipv6 = st.integers(0, 2**128 - 1)


@st.composite
def reserved_addresses(draw: st.DrawFn) -> str:
    network = draw(st.sampled_from(NETWORKS))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return str(network.network_address + offset)


@st.composite
def transition_addresses(draw: st.DrawFn) -> tuple[str, str]:
    """A NAT64, 6to4 or Teredo address, and the IPv4 address it carries."""
    v4 = draw(ipv4)
    kind = draw(st.sampled_from(["nat64", "6to4", "teredo"]))
    low = draw(st.integers(0, 2**80 - 1))
    if kind == "nat64":
        value = 0x64FF9B << 96 | v4
    elif kind == "6to4":
        value = 0x2002 << 112 | v4 << 80 | (low & (2**80 - 1))
    else:
        value = 0x20010000 << 96 | (low & (2**64 - 1)) << 32 | (v4 ^ 0xFFFFFFFF)
    return str(ipaddress.IPv6Address(value)), str(ipaddress.IPv4Address(v4))


@given(ipv4)
def test_every_ipv4_address_is_located_without_error(value: int) -> None:
    text = str(ipaddress.IPv4Address(value))
    location = LOCATOR.locate_ip(text)
    assert isinstance(location, Location)
    assert parse_address(text).text == text


@given(ipv6)
def test_every_ipv6_address_is_located_without_error(value: int) -> None:
    address = ipaddress.IPv6Address(value)
    location = LOCATOR.locate_ip(str(address))
    assert isinstance(location, Location)
    assert LOCATOR.locate_ip(address.exploded) == location
    assert PUBLIC.locate_ip(str(address)) is not None


@given(ipv4)
def test_ipv4_mapped_ipv6_is_located_as_its_ipv4_address(value: int) -> None:
    v4 = str(ipaddress.IPv4Address(value))
    mapped = str(ipaddress.IPv6Address(0xFFFF << 32 | value))
    assert parse_address(f"::ffff:{v4}") == parse_address(v4)
    assert parse_address(mapped) == parse_address(v4)
    assert LOCATOR.locate_ip(f"::ffff:{v4}") == LOCATOR.locate_ip(v4)
    assert PUBLIC.locate_ip(f"::ffff:{v4}") == PUBLIC.locate_ip(v4)


@given(reserved_addresses().filter(lambda text: not carries_ipv4(text)))
def test_reserved_addresses_never_get_a_country_from_public_data(text: str) -> None:
    assert is_reserved(parse_address(text))
    assert LOCATOR.locate_ip(text) is UNKNOWN
    assert PUBLIC.locate_ip(text) is UNKNOWN


@given(transition_addresses())
def test_a_transition_address_is_placed_by_the_ipv4_it_carries(pair: tuple[str, str]) -> None:
    text, v4 = pair
    for locator in (LOCATOR, PUBLIC):
        inner, outer = locator.locate_ip(v4), locator.locate_ip(text)
        assert (outer.country, outer.subdivision, outer.evidence) == (
            inner.country,
            inner.subdivision,
            inner.evidence,
        )
        assert outer.embedded == (
            None if inner is UNKNOWN else TRANSITIONS.embedded(parse_address(text))[1]
        )  # type: ignore[index]


@settings(max_examples=50)
@given(reserved_addresses().filter(lambda text: not carries_ipv4(text)))
def test_the_operators_table_places_reserved_addresses(text: str) -> None:
    table = StaticSource({text: "CN"})
    for rule in ("first", "agree"):
        found = Locator(ip_sources=[table, IptoccSource()], rule=rule).locate_ip(text)
        assert (found.country, found.source) == ("CN", "static")


@given(ipv4.map(lambda v: str(ipaddress.IPv4Address(v))), st.data())
def test_leading_zeros_are_always_refused(text: str, data: st.DataObject) -> None:
    parts = text.split(".")
    i = data.draw(st.integers(0, 3))
    parts[i] = "0" + parts[i]
    with pytest.raises(InvalidAddress, match="ambiguous"):
        parse_address(".".join(parts))


@given(st.text(max_size=50))
def test_any_text_is_an_address_or_an_invalid_address(text: str) -> None:
    try:
        address = parse_address(text)
    except InvalidAddress as exc:
        error: InvalidAddress | None = exc
    else:
        error = None
        assert ipaddress.ip_address(address.text).version == address.version
    assert error is None or error.field == "ip"
