"""Reading IP addresses: plain forms accepted, ambiguous and garbage forms refused by name."""

from __future__ import annotations

import ipaddress
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton

import pytest

from remit.errors import InvalidAddress
from remit.location import RESERVED_NETWORKS, IPAddress, is_reserved, parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.4.8", IPAddress("1.2.4.8", 4, 0x01020408)),
        ("0.0.0.0", IPAddress("0.0.0.0", 4, 0)),
        ("255.255.255.255", IPAddress("255.255.255.255", 4, 0xFFFFFFFF)),
        ("2001:da8::1", IPAddress("2001:da8::1", 6, 0x20010DA8 << 96 | 1)),
        ("2001:0DA8:0000:0000::0001", IPAddress("2001:da8::1", 6, 0x20010DA8 << 96 | 1)),
        ("::", IPAddress("::", 6, 0)),
        ("::1", IPAddress("::1", 6, 1)),
        # IPv4-mapped IPv6 is its IPv4 address, in any spelling.
        ("::ffff:1.2.4.8", IPAddress("1.2.4.8", 4, 0x01020408)),
        ("::FFFF:1.2.4.8", IPAddress("1.2.4.8", 4, 0x01020408)),
        ("::ffff:102:408", IPAddress("1.2.4.8", 4, 0x01020408)),
        ("0:0:0:0:0:ffff:0102:0408", IPAddress("1.2.4.8", 4, 0x01020408)),
    ],
)
def test_plain_forms_are_read(text: str, expected: IPAddress) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("001.002.004.008", "ambiguous"),
        ("01.2.4.8", "ambiguous"),
        ("1.2.4.010", "ambiguous"),
        ("::ffff:001.2.4.8", "ambiguous"),
        ("", "empty"),
        (" 1.2.4.8", "whitespace"),
        ("1.2.4.8\n", "whitespace"),
        ("\t2001:da8::1", "whitespace"),
        ("fe80::1%eth0", "zone id"),
        ("fe80::1%1", "zone id"),
        ("1.2.4.0/24", "CIDR"),
        ("2001:da8::/32", "CIDR"),
        ("1.2.4", "not an IPv4 or IPv6 address"),
        ("1.2.4.8.9", "not an IPv4 or IPv6 address"),
        ("256.0.0.1", "not an IPv4 or IPv6 address"),
        ("0x01.2.4.8", "not an IPv4 or IPv6 address"),
        ("16909320", "not an IPv4 or IPv6 address"),
        ("[2001:da8::1]", "not an IPv4 or IPv6 address"),
        ("1.2.4.8:443", "not an IPv4 or IPv6 address"),
        ("2001:da8::1::2", "not an IPv4 or IPv6 address"),
        ("１.２.４.８", "not an IPv4 or IPv6 address"),
        ("1.2.4.8\x00", "not an IPv4 or IPv6 address"),
        ("\ud800", "not an IPv4 or IPv6 address"),
        ("localhost", "not an IPv4 or IPv6 address"),
    ],
)
def test_ambiguous_and_garbage_forms_are_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_address(text)
    assert reason in str(caught.value)
    assert caught.value.field == "ip"
    if text:
        assert repr(text)[1:-1][:20] in str(caught.value)


@pytest.mark.parametrize(
    "value", [None, 16909320, b"1.2.4.8", ["1.2.4.8"], ipaddress.ip_address("1.2.4.8")]
)
def test_only_text_is_an_address(value: object) -> None:
    with pytest.raises(InvalidAddress, match="expected an IP address as text"):
        parse_address(value)  # type: ignore[arg-type]


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_address("nope", field="peer")
    assert caught.value.field == "peer"
    assert str(caught.value).startswith("peer: 'nope'")


def test_a_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_address("9" * 10_000)
    assert len(str(caught.value)) < 200


def test_ipv4_text_is_already_canonical() -> None:
    # parse_address keeps IPv4 text as given, relying on inet_pton accepting only canonical text.
    for text in ("1.2.4.8", "10.0.0.1", "255.0.255.0", "100.64.0.1"):
        assert inet_ntop(AF_INET, inet_pton(AF_INET, text)) == text
        assert parse_address(text).text == text


def test_ipv6_text_is_made_canonical() -> None:
    assert parse_address("2001:DB8:0:0:1:0:0:1").text == inet_ntop(
        AF_INET6, inet_pton(AF_INET6, "2001:db8::1:0:0:1")
    )


@pytest.mark.parametrize(
    ("cidr", "reason"), RESERVED_NETWORKS, ids=[c for c, _ in RESERVED_NETWORKS]
)
def test_every_address_of_a_reserved_network_is_reserved(cidr: str, reason: str) -> None:
    network = ipaddress.ip_network(cidr)
    first, last = int(network.network_address), int(network.broadcast_address)
    for value in {first, (first + last) // 2, last}:
        assert is_reserved(IPAddress("", network.version, value)), (cidr, reason, value)


@pytest.mark.parametrize(
    "text",
    [
        "1.2.4.8",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.255",
        "192.0.3.0",
        "192.167.255.255",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2001:da8::1",
        "2001:200::1",
        "2001:dc8::1",
        "2003::1",
        "2620:4f:7fff::1",
        "2a00:1450::1",
        "3ffe:ffff::1",
    ],
)
def test_public_addresses_are_not_reserved(text: str) -> None:
    assert not is_reserved(parse_address(text))
