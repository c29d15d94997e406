"""MaxMind databases: answers checked against MaxMind's own JSON sources, bad files refused at load.

The test databases and their JSON sources are MaxMind's (github.com/maxmind/MaxMind-DB, dual
licensed Apache-2.0 / MIT, see tests/data/maxmind/LICENSE-*). Each JSON file lists networks and the
record the database must return for them; the expected answers are read from there.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maxminddb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit import jurisdictions
from remit.errors import LocationDataError
from remit.location import UNKNOWN, Locator, MaxMindSource, is_reserved, parse_address
from remit.location._maxmind import _columns, _has_bad_record

DATA = Path(__file__).resolve().parents[1] / "data" / "maxmind"
DATABASES = [
    "GeoIP2-City-Test",
    "GeoIP2-Country-Test",
    "GeoLite2-City-Test",
    "GeoLite2-Country-Test",
]
BAD = sorted((DATA / "bad-data").glob("*.mmdb"))
IPV4_IN_IPV6 = ipaddress.ip_network("::/96")


def _networks(name: str) -> Iterator[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, Any]]:
    for entry in json.loads((DATA / f"{name}.json").read_text("utf-8")):
        for cidr, record in entry.items():
            yield ipaddress.ip_network(cidr, strict=False), record


def _addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """Addresses inside ``network``: first, middle, last; IPv4 ones too for the IPv4 subtree."""
    first, last = int(network.network_address), int(network.broadcast_address)
    values = sorted({first, (first + last) // 2, last})
    found = [
        str(ipaddress.ip_address(v) if network.version == 4 else ipaddress.IPv6Address(v))
        for v in values
    ]
    if network.version == 6 and network.subnet_of(IPV4_IN_IPV6):  # type: ignore[arg-type]
        found += [str(ipaddress.IPv4Address(v)) for v in values if v > 0]
    return found


def _expected(name: str, record: dict[str, Any]) -> tuple[str, str | None] | None:
    country = record.get("country", {}).get("iso_code")
    if country is None:
        return None
    subdivisions = record.get("subdivisions")
    if "City" in name and subdivisions:
        return (country, f"{country}-{subdivisions[-1]['iso_code']}")
    return (country, None)


@pytest.mark.parametrize("name", DATABASES)
def test_each_network_of_the_json_source_gets_its_country(name: str) -> None:
    checked = 0
    with MaxMindSource(DATA / f"{name}.mmdb") as source:
        assert source.database_type == name.removesuffix("-Test")
        for network, record in _networks(name):
            for text in _addresses(network):
                assert source.lookup(parse_address(text)) == _expected(name, record), (
                    network,
                    text,
                )
                checked += 1
    assert checked > 600


@pytest.mark.parametrize("name", DATABASES)
def test_the_locator_uses_known_places_and_never_a_reserved_address(name: str) -> None:
    with MaxMindSource(DATA / f"{name}.mmdb") as source:
        locator = Locator(ip_sources=[source], rule="first")
        for network, record in _networks(name):
            for text in _addresses(network):
                place = _expected(name, record)
                got = locator.locate_ip(text)
                if place is None or is_reserved(parse_address(text)):
                    assert got is UNKNOWN, text
                    continue
                country, subdivision = place
                if subdivision is not None and not jurisdictions.is_known(subdivision):
                    subdivision = None  # an outdated code, such as CN-22 for Jilin (now CN-JL)
                assert (got.country, got.subdivision, got.source) == (
                    country,
                    subdivision,
                    "maxmind",
                ), text


def test_a_city_database_gives_the_most_specific_subdivision() -> None:
    with MaxMindSource(DATA / "GeoIP2-City-Test.mmdb") as source:
        locator = Locator(ip_sources=[source], rule="first")
        for ip, subdivision in (("81.2.69.160", "GB-ENG"), ("2.125.160.216", "GB-WBK")):
            found = locator.locate_ip(ip)
            assert (found.country, found.subdivision, found.source) == (
                "GB",
                subdivision,
                "maxmind",
            )
            assert found.evidence[0].data_date == source.data_date.isoformat()


@pytest.mark.parametrize("name", DATABASES)
def test_the_located_country_wins_over_the_registered_one(name: str) -> None:
    differing = [
        (network, record)
        for network, record in _networks(name)
        if record.get("country", {}).get("iso_code")
        != record.get("registered_country", {}).get("iso_code")
    ]
    assert len(differing) >= 8  # e.g. 81.2.69.160/27: located in GB, registered in US
    with MaxMindSource(DATA / f"{name}.mmdb") as source:
        for network, record in differing:
            for text in _addresses(network):
                place = source.lookup(parse_address(text))
                assert place is not None
                assert (
                    place[0]
                    == record["country"]["iso_code"]
                    != record["registered_country"]["iso_code"]
                )


def test_a_network_without_a_located_country_is_not_placed() -> None:
    with MaxMindSource(DATA / "GeoIP2-Country-Test.mmdb") as source:
        assert source.lookup(parse_address("214.1.1.1")) is None  # only "traits"
        assert source.lookup(parse_address("2a02:d500::1")) is None  # only "continent"


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_each_corrupt_database_is_refused_at_load(path: Path) -> None:
    with pytest.raises(LocationDataError) as caught:
        MaxMindSource(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert caught.value.field == "maxmind_path"


def test_a_corrupt_search_tree_is_refused_whatever_the_database_claims_to_be(
    tmp_path: Path,
) -> None:
    data = (DATA / "bad-data" / "libmaxminddb-corrupt-search-tree.mmdb").read_bytes()
    assert data.count(b"DTest") == 1
    disguised = tmp_path / "disguised.mmdb"
    disguised.write_bytes(data.replace(b"DTest", b"DCity"))  # database_type "City"
    with pytest.raises(LocationDataError, match="corrupt search tree"):
        MaxMindSource(disguised)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing.mmdb", "No such file"),
        ("a-directory", "not a MaxMind DB file|Is a directory"),
        ("empty.mmdb", "not a MaxMind DB file"),
        ("license", "not a MaxMind DB file"),
        ("truncated", "not a MaxMind DB file"),
        ("anonymous-ip", "'GeoIP2-Anonymous-IP' database"),
    ],
)
def test_files_that_are_not_a_country_or_city_database_are_refused(
    tmp_path: Path, case: str, message: str
) -> None:
    paths = {
        "missing.mmdb": tmp_path / "missing.mmdb",
        "a-directory": tmp_path,
        "empty.mmdb": tmp_path / "empty.mmdb",
        "license": DATA / "LICENSE-MIT",
        "truncated": tmp_path / "truncated.mmdb",
        "anonymous-ip": DATA / "GeoIP2-Anonymous-IP-Test.mmdb",
    }
    (tmp_path / "empty.mmdb").write_bytes(b"")
    whole = (DATA / "GeoLite2-Country-Test.mmdb").read_bytes()
    (tmp_path / "truncated.mmdb").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LocationDataError, match=message) as caught:
        MaxMindSource(paths[case])
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is not None or case == "anonymous-ip"


# Corrupting a copy of a good database: the test databases use 28-bit records (7-byte nodes).


def _meta(path: Path) -> tuple[int, int]:
    with maxminddb.open_database(str(path)) as reader:
        meta = reader.metadata()
        return meta.node_count, meta.record_size


def _read_record(db: bytes | bytearray, node: int, right: int) -> int:
    n = db[node * 7 : node * 7 + 7]
    if right:
        return (n[3] & 0x0F) << 24 | int.from_bytes(n[4:7])
    return (n[3] >> 4) << 24 | int.from_bytes(n[0:3])


def _write_right_record(db: bytearray, node: int, value: int) -> None:
    db[node * 7 + 3] = (db[node * 7 + 3] & 0xF0) | (value >> 24)
    db[node * 7 + 4 : node * 7 + 7] = (value & 0xFFFFFF).to_bytes(3)


@pytest.mark.parametrize("where", ["root", "separator", "past the data"])
def test_a_search_tree_record_pointing_outside_the_tree_is_refused_at_load(
    tmp_path: Path, where: str
) -> None:
    good = DATA / "GeoLite2-Country-Test.mmdb"
    node_count, record_size = _meta(good)
    assert record_size == 28
    db = bytearray(good.read_bytes())
    value = {"root": 0, "separator": node_count + 5, "past the data": (1 << 28) - 1}[where]
    _write_right_record(db, node_count - 1, value)
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(bytes(db))
    with pytest.raises(LocationDataError, match="corrupt search tree"):
        MaxMindSource(bad)


def _data_offset(db: bytes, node_count: int, text: str) -> int:
    """Where the record for ``text`` starts in the file (walking the IPv6 tree by hand)."""
    address = ipaddress.ip_address(text)
    packed = address.packed if address.version == 6 else bytes(12) + address.packed
    node = 0
    for i in range(128):
        if node >= node_count:
            break
        node = _read_record(db, node, packed[i >> 3] >> (7 - i % 8) & 1)
    assert node > node_count
    return node - node_count + node_count * 7


def test_corrupt_data_met_at_a_lookup_is_a_location_data_error(tmp_path: Path) -> None:
    good = DATA / "GeoIP2-Country-Test.mmdb"
    node_count, _ = _meta(good)
    db = good.read_bytes()
    probed = {_data_offset(db, node_count, p) for p in ("81.2.69.160", "2001:218::1")}
    target = next(
        text
        for text in ("2001:220::1", "2001:230::1", "2a02:cf40::1", "2001:250::1")
        if _data_offset(db, node_count, text) not in probed
    )
    offset = _data_offset(db, node_count, target)
    corrupt = bytearray(db)
    corrupt[offset : offset + 2] = b"\x00\xff"  # an extended type number that does not exist
    path = tmp_path / "corrupt-data.mmdb"
    path.write_bytes(bytes(corrupt))
    with MaxMindSource(path) as source:
        assert source.lookup(parse_address("81.2.69.160")) == ("GB", None)
        with pytest.raises(LocationDataError, match="corrupt data for") as caught:
            source.lookup(parse_address(target))
        assert "\n" not in str(caught.value)
        with pytest.raises(LocationDataError):
            Locator(ip_sources=[source]).locate_ip(target)


def test_a_closed_database_fails_as_a_location_data_error() -> None:
    source = MaxMindSource(DATA / "GeoLite2-Country-Test.mmdb")
    source.close()
    with pytest.raises(LocationDataError):
        source.lookup(parse_address("81.2.69.160"))


def _slow_bad(tree: bytes, record_size: int, node_count: int, end: int) -> bool:
    size = record_size // 4
    records: list[int] = []
    for k in range(len(tree) // size):
        n = tree[k * size : (k + 1) * size]
        if record_size == 28:
            records += [
                (n[3] >> 4) << 24 | int.from_bytes(n[:3]),
                (n[3] & 15) << 24 | int.from_bytes(n[4:]),
            ]
        else:
            records += [int.from_bytes(n[: size // 2]), int.from_bytes(n[size // 2 :])]
    return any(r == 0 or node_count < r < node_count + 16 or r >= end for r in records)


@given(
    record_size=st.sampled_from([24, 28, 32]),
    data=st.data(),
)
def test_the_search_tree_check_agrees_with_reading_each_record(
    record_size: int, data: st.DataObject
) -> None:
    top = 1 << record_size
    node_count = data.draw(st.integers(1, top // 2))
    end = data.draw(st.integers(node_count + 17, top))
    interesting = st.sampled_from(
        [
            0,
            1,
            node_count - 1,
            node_count,
            node_count + 1,
            node_count + 15,
            node_count + 16,
            end - 1,
            end,
            top - 1,
        ]
    )
    record = st.one_of(interesting, st.integers(0, top - 1)).map(lambda r: r % top)
    records = data.draw(st.lists(record, min_size=2, max_size=12).filter(lambda r: len(r) % 2 == 0))
    tree = b""
    for left, right in zip(records[::2], records[1::2], strict=True):
        if record_size == 28:
            middle = bytes([(left >> 24) << 4 | right >> 24])
            tree += (left & 0xFFFFFF).to_bytes(3) + middle + (right & 0xFFFFFF).to_bytes(3)
        else:
            tree += left.to_bytes(record_size // 8) + right.to_bytes(record_size // 8)
    assert _has_bad_record(_columns(tree, record_size), node_count, end) == _slow_bad(
        tree, record_size, node_count, end
    )
