"""IPv6 addresses carrying a public IPv4 address are placed by it: NAT64, 6to4 and Teredo."""

from __future__ import annotations

import pytest

from remit.errors import InvalidConfiguration
from remit.location import UNKNOWN, IptoccSource, Locator, StaticSource, parse_address
from remit.location._transition import Transitions


# RFC 6052 section 2.4: 192.0.2.33 embedded under each prefix length.
@pytest.mark.parametrize(
    ("prefix", "address"),
    [
        ("2001:db8::/32", "2001:db8:c000:221::"),
        ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
        ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
        ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
        ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
        ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
        ("64:ff9b::/96", "64:ff9b::192.0.2.33"),
    ],
)
def test_the_rfc_6052_examples(prefix: str, address: str) -> None:
    found = Transitions([prefix]).embedded(parse_address(address))
    assert found is not None
    assert (found[0].text, found[1]) == ("192.0.2.33", "nat64")


def test_6to4_and_teredo() -> None:
    transitions = Transitions()
    six_to_four = transitions.embedded(parse_address("2002:102:408::1"))
    assert six_to_four is not None
    assert (six_to_four[0].text, six_to_four[1]) == ("1.2.4.8", "6to4")
    # RFC 4380's example: the client's address 192.0.2.45, inverted in the last 32 bits.
    teredo = transitions.embedded(parse_address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
    assert teredo is not None
    assert (teredo[0].text, teredo[1]) == ("192.0.2.45", "teredo")
    assert transitions.embedded(parse_address("2001:da8::1")) is None
    assert transitions.embedded(parse_address("1.2.4.8")) is None


@pytest.mark.parametrize("rule", ["first", "agree"])
def test_the_locator_places_them_by_the_ipv4_and_records_it(rule: str) -> None:
    locator = (
        Locator(rule=rule) if rule == "agree" else Locator(ip_sources=[IptoccSource()], rule=rule)
    )
    direct = locator.locate_ip("1.2.4.8")
    for text, how in [
        ("64:ff9b::1.2.4.8", "nat64"),
        ("2002:102:408::1", "6to4"),
        ("2001:0:4136:e378:8000:63bf:fefd:fbf7", "teredo"),
    ]:
        found = locator.locate_ip(text)
        assert (found.country, found.evidence, found.embedded) == ("CN", direct.evidence, how)
        assert found.to_dict()["embedded"] == how
        assert locator.locate_ip(text) is found  # kept, like every Location
    assert locator.locate_ip("64:ff9b::10.0.0.1") is UNKNOWN  # a private address inside


def test_an_operators_prefix_is_read_even_outside_the_reserved_networks() -> None:
    prefix = "2a01:4f8:64::/96"  # inside a real allocation, not a reserved network
    plain = Locator().locate_ip("2a01:4f8:64::102:408")
    assert plain.country != "CN"
    assert plain.embedded is None
    locator = Locator(nat64_prefixes=[prefix])
    assert locator.nat64_prefixes == ("64:ff9b::/96", prefix)
    found = locator.locate_ip("2a01:4f8:64::102:408")
    assert (found.country, found.embedded) == ("CN", "nat64")
    assert locator.locate_ip("2a01:4f8:65::1").embedded is None


def test_the_operators_table_is_asked_about_the_embedded_address() -> None:
    locator = Locator(ip_sources=[StaticSource({"127.0.0.10": "CN"})])
    found = locator.locate_ip("64:ff9b::127.0.0.10")
    assert (found.country, found.source, found.embedded) == ("CN", "static", "nat64")


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("2001:db8::/33", "a length RFC 6052 defines"),
        ("10.0.0.0/8", "not an IPv6 prefix"),
        ("2001:db8::1/96", "not a network in CIDR notation"),
        ("nonsense", "not a network"),
    ],
)
def test_a_bad_prefix_is_refused(prefix: str, message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message) as caught:
        Locator(nat64_prefixes=[prefix])
    assert caught.value.field == "nat64_prefixes"
