"""The operator's own table: most specific network wins, every mistake named by its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.errors import InvalidConfiguration
from remit.location import Answer, Locator, StaticSource, parse_address


def _place(source: StaticSource, ip: str) -> tuple[str, str | None] | None:
    return source.lookup(parse_address(ip))


def test_a_mapping_places_addresses_and_networks() -> None:
    source = StaticSource(
        {
            "127.0.0.10": "CN",
            "127.0.0.20/32": "hk",
            "10.20.0.0/16": "US-CA",
            "2001:db8:1::/48": "TW",
        }
    )
    assert len(source) == 4
    assert _place(source, "127.0.0.10") == ("CN", None)
    assert _place(source, "127.0.0.20") == ("HK", None)
    assert _place(source, "10.20.255.1") == ("US", "US-CA")
    assert _place(source, "2001:db8:1:ffff::1") == ("TW", None)
    assert _place(source, "127.0.0.11") is None
    assert _place(source, "10.21.0.1") is None
    assert _place(source, "2001:db8:2::1") is None


def test_the_most_specific_network_wins() -> None:
    source = StaticSource({"10.0.0.0/8": "US", "10.20.0.0/16": "US-CA", "10.20.30.40/32": "CN"})
    assert _place(source, "10.1.1.1") == ("US", None)
    assert _place(source, "10.20.1.1") == ("US", "US-CA")
    assert _place(source, "10.20.30.40") == ("CN", None)
    v6 = StaticSource({"::/0": "DE", "2001:db8::/32": "FR", "2001:db8::1/128": "IT"})
    assert _place(v6, "2a00::1") == ("DE", None)
    assert _place(v6, "2001:db8::2") == ("FR", None)
    assert _place(v6, "2001:db8::1") == ("IT", None)
    assert _place(v6, "1.2.4.8") is None  # ::/0 is IPv6 only


def test_an_ipv4_mapped_address_is_placed_by_its_ipv4_network() -> None:
    source = StaticSource({"127.0.0.10": "CN"})
    assert _place(source, "::ffff:127.0.0.10") == ("CN", None)


def test_the_table_may_place_reserved_addresses() -> None:
    locator = Locator(ip_sources=[StaticSource({"127.0.0.10": "CN", "127.0.0.20": "HK"})])
    for ip, country in (("127.0.0.10", "CN"), ("127.0.0.20", "HK")):
        found = locator.locate_ip(ip)
        assert (found.country, found.source) == (country, "static")
        assert found.evidence == (Answer("static", country, None, None),)


def test_a_file_in_the_documented_format(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_text(
        "# remit static table\n"
        "\n"
        "127.0.0.10,CN\n"
        "  127.0.0.20/32 , HK   # a test client\n"
        "10.20.0.0/16,US-CA\n"
        "2001:db8:1::/48, TW\n",
        "utf-8",
    )
    source = StaticSource.from_file(path)
    assert len(source) == 4
    assert _place(source, "127.0.0.20") == ("HK", None)
    assert _place(source, "10.20.1.2") == ("US", "US-CA")
    assert str(path) in repr(source)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("10.0.0.1/8,CN", "host bits set"),
        ("10.0.0.0/33,CN", "not a network"),
        ("ten,CN", "not a network"),
        ("10.0.0.0/8", "expected 'cidr,place'"),
        ("10.0.0.0/8,CN,extra", "expected 'cidr,place'"),
        ("10.0.0.0/8,", "expected 'cidr,place'"),
        ("10.0.0.0/8,EU", "group of countries"),
        ("10.0.0.0/8,XX", "XX is not an ISO 3166-1 country code"),
        ("10.0.0.0/8,CN-HK", "HK"),
        ("10.0.0.0/8,US-ZZ", "US-ZZ"),
        ("::ffff:10.0.0.0/104,CN", "IPv4-mapped"),
        ("cidr,place", "not a network"),
    ],
)
def test_each_mistake_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "places.csv"
    path.write_text(f"# header comment\n127.0.0.10,CN\n{line}\n", "utf-8")
    with pytest.raises(InvalidConfiguration, match=message) as caught:
        StaticSource.from_file(path)
    assert f"{path}, line 3" in str(caught.value)
    assert caught.value.field == "static_table"


def test_a_network_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidConfiguration, match=r"10\.0\.0\.0/8 is listed twice"):
        StaticSource({"10.0.0.0/8": "CN", "10.0.0.0/08": "HK"})


def test_mapping_entries_are_named_in_errors() -> None:
    with pytest.raises(InvalidConfiguration, match=r"entry '10\.0\.0\.0/8': EU is a group"):
        StaticSource({"10.0.0.0/8": "EU"})
    with pytest.raises(InvalidConfiguration, match="must be text"):
        StaticSource({"10.0.0.0/8": 7})  # type: ignore[dict-item]
    with pytest.raises(InvalidConfiguration, match="expected a mapping"):
        StaticSource([("10.0.0.0/8", "CN")])  # type: ignore[arg-type]


def test_an_unreadable_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfiguration, match="cannot read"):
        StaticSource.from_file(tmp_path / "missing.csv")
    (tmp_path / "latin1.csv").write_bytes("10.0.0.0/8,CN # café\n".encode("latin-1"))
    with pytest.raises(InvalidConfiguration, match="not UTF-8"):
        StaticSource.from_file(tmp_path / "latin1.csv")


def test_an_empty_table_places_nothing() -> None:
    source = StaticSource({})
    assert len(source) == 0
    assert _place(source, "127.0.0.10") is None
