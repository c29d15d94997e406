"""A database replaced on disk while remit runs: used when good, refused (old one kept) when bad."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest

from mmdb_files import country, replace_file, write_mmdb
from remit.location import IptoccSource, Locator, MaxMindSource

DATA = Path(__file__).resolve().parents[1] / "data" / "maxmind"


def hong_kong(path: Path) -> None:
    write_mmdb(path, {"1.2.4.0/24": country("HK")})


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return write_mmdb(tmp_path / "GeoLite2-Country.mmdb", {"1.2.4.0/24": country("CN")})


def test_a_replacement_renamed_over_the_file_is_used(database: Path) -> None:
    locator = Locator(ip_sources=[MaxMindSource(database, name="geo")], rule="first")
    assert locator.locate_ip("1.2.4.8").country == "CN"
    assert locator.refresh() == ()  # nothing changed
    replace_file(database, hong_kong)
    (message,) = locator.refresh()
    assert "now using the GeoLite2-Country" in message
    assert locator.locate_ip("1.2.4.8").country == "HK"  # the Locations made before are gone
    assert locator.sources()[0].warning is None
    locator.close()


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda path: path.write_bytes(b"not a database at all"),
        lambda path: path.write_bytes((DATA / "GeoIP2-Country-Test.mmdb").read_bytes()[:-200]),
        lambda path: path.write_bytes((DATA / "GeoIP2-Anonymous-IP-Test.mmdb").read_bytes()),
    ],
    ids=["garbage", "truncated", "another-kind"],
)
def test_a_bad_replacement_keeps_the_old_database_and_says_so(
    database: Path, corrupt: object, caplog: pytest.LogCaptureFixture
) -> None:
    source = MaxMindSource(database, name="geo")
    locator = Locator(ip_sources=[source, IptoccSource()], rule="first")
    replace_file(database, corrupt)
    with caplog.at_level(logging.WARNING, logger="remit.location"):
        (message,) = locator.refresh()
    assert message.startswith("replacement refused: maxmind_path: ")
    assert "keeping the database of" in message
    assert any("replacement refused" in r.getMessage() for r in caplog.records)
    assert locator.locate_ip("1.2.4.8").source == "geo"  # still the old database
    assert source.problem == message
    status = locator.sources()[0]
    assert status.warning is not None
    assert "replacement refused" in status.warning
    assert locator.refresh() == ()  # the same bad file is not tried again
    replace_file(database, hong_kong)  # a good one later is
    (recovered,) = locator.refresh()
    assert "now using" in recovered
    assert source.problem is None
    assert locator.locate_ip("1.2.4.8").country == "HK"
    locator.close()


def test_a_removed_file_is_a_problem_and_the_database_stays(database: Path) -> None:
    locator = Locator(ip_sources=[MaxMindSource(database, name="geo")], rule="first")
    database.unlink()
    (message,) = locator.refresh()
    assert "the file is gone" in message
    assert locator.locate_ip("1.2.4.8").country == "CN"
    locator.close()


def test_watch_picks_up_a_replacement_without_a_call(database: Path) -> None:
    locator = Locator(ip_sources=[MaxMindSource(database, name="geo")], rule="first")
    locator.watch(seconds=0.05)
    replace_file(database, hong_kong)
    deadline = time.monotonic() + 10
    while locator.locate_ip("1.2.4.8").country != "HK" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert locator.locate_ip("1.2.4.8").country == "HK"
    locator.close()  # stops the thread


def test_old_data_is_a_warning(database: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = MaxMindSource(database, name="geo")
    locator = Locator(ip_sources=[source, IptoccSource()], rule="first", max_age_days=60)
    later = source.data_date + timedelta(days=61)
    status = locator.sources(later)[0]
    assert (status.name, status.family, status.age_days) == ("geo", "maxmind", 61)
    assert status.warning == f"geo: data of {source.data_date} is 61 days old (limit 60)"
    with caplog.at_level(logging.WARNING, logger="remit.location"):
        assert locator.check_ages(later)[0] == status.warning
        assert locator.check_ages(later) == ()  # said once
    assert status.warning in caplog.text
    assert locator.sources(source.data_date)[0].warning is None
    locator.close()


def test_an_ipinfo_lite_database_is_read(tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "ipinfo_lite.mmdb",
        {"1.2.4.0/24": {"country_code": "CN", "asn": "AS1", "as_name": "Example"}},
        database_type="ipinfo lite.mmdb",
    )
    with MaxMindSource(path, name="ipinfo") as source:
        assert source.family == "ipinfo"
        locator = Locator(ip_sources=[source], rule="first")
        assert locator.locate_ip("1.2.4.8").country == "CN"
