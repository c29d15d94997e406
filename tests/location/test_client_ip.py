"""X-Forwarded-For: believed only as far as the operator's own proxies wrote it."""

from __future__ import annotations

import pytest

from remit.errors import InvalidAddress, InvalidConfiguration
from remit.location import Locator, TrustedProxies

PROXIES = ["10.0.0.0/8", "192.168.7.1", "2001:db8:a::/48"]


@pytest.fixture
def locator() -> Locator:
    return Locator(trusted_proxies=PROXIES)


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert Locator().client_ip("10.0.0.5", "1.2.4.8") == "10.0.0.5"


def test_an_untrusted_peer_cannot_spoof_its_address(locator: Locator) -> None:
    # A client in Hong Kong claims to be forwarded for a mainland address: ignored.
    assert locator.client_ip("203.198.7.1", "1.2.4.8") == "203.198.7.1"
    assert locator.client_ip("203.198.7.1", "garbage, 10.0.0.1") == "203.198.7.1"
    assert locator.locate_ip(locator.client_ip("203.198.7.1", "1.2.4.8")).country == "HK"


def test_a_trusted_proxy_is_believed(locator: Locator) -> None:
    assert locator.client_ip("10.0.0.5", "1.2.4.8") == "1.2.4.8"
    assert locator.client_ip("2001:db8:a::1", "2001:da8::1") == "2001:da8::1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(locator: Locator) -> None:
    header = "1.2.4.8, 203.198.7.1, 10.1.1.1, 192.168.7.1"
    assert locator.client_ip("10.0.0.5", header) == "203.198.7.1"


def test_what_the_client_wrote_is_never_read(locator: Locator) -> None:
    # The client wrote "1.2.4.8, junk"; the trusted proxy appended the address it saw.
    assert locator.client_ip("10.0.0.5", "1.2.4.8, not-an-address, 203.198.7.1") == "203.198.7.1"
    assert locator.client_ip("10.0.0.5", "<script>,203.198.7.1") == "203.198.7.1"


def test_when_every_entry_is_a_trusted_proxy_the_leftmost_is_the_client(locator: Locator) -> None:
    assert locator.client_ip("10.0.0.5", "10.9.9.9, 10.0.0.7") == "10.9.9.9"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_or_empty_header_leaves_the_peer(locator: Locator, header: str | None) -> None:
    assert locator.client_ip("10.0.0.5", header) == "10.0.0.5"


@pytest.mark.parametrize(
    "header",
    ["1.2.4.8, junk", "1.2.4.8,", "001.002.004.008", "1.2.4.8:443", "[2001:da8::1]", "unknown"],
)
def test_a_malformed_entry_from_a_trusted_proxy_is_refused(locator: Locator, header: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        locator.client_ip("10.0.0.5", header)
    assert caught.value.field == "x-forwarded-for"


def test_a_malformed_peer_is_refused(locator: Locator) -> None:
    with pytest.raises(InvalidAddress) as caught:
        locator.client_ip("10.0.0.05", "1.2.4.8")
    assert caught.value.field == "peer"


def test_addresses_come_back_canonical(locator: Locator) -> None:
    assert locator.client_ip("::ffff:10.0.0.5", "2001:DA8:0::1") == "2001:da8::1"
    assert locator.client_ip("::ffff:203.198.7.1", None) == "203.198.7.1"


def test_ipv4_mapped_peers_are_trusted_as_ipv4() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.client_ip("::ffff:10.0.0.5", "1.2.4.8") == "1.2.4.8"


@pytest.mark.parametrize("networks", [["10.0.0.1/8"], ["ten"], ["::ffff:10.0.0.0/104"], [7]])
def test_bad_proxy_networks_are_a_configuration_error(networks: list[object]) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        TrustedProxies(networks)  # type: ignore[arg-type]
    assert caught.value.field == "trusted_proxies"


def test_the_trusted_networks_are_listed_canonically() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "192.168.7.1", "2001:DB8:A::/48", "10.0.0.0/8"])
    assert proxies.networks == ("10.0.0.0/8", "192.168.7.1/32", "2001:db8:a::/48")
    assert proxies
    assert not TrustedProxies()
