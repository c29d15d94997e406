"""``remit locate`` as a person uses it: a table, JSON lines, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli

DATA = Path(__file__).resolve().parents[1] / "data" / "maxmind"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_readable_table() -> None:
    code, out, _ = run("locate", "1.2.4.8", "203.198.7.1", "192.168.1.10", "+85221234567")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["INPUT", "COUNTRY", "SUBDIVISION", "SOURCE"]
    assert lines[1].split() == ["1.2.4.8", "CN", "-", "agree"]
    assert lines[2].split() == ["203.198.7.1", "HK", "-", "agree"]
    assert lines[3].split() == ["192.168.1.10", "-", "-", "none"]
    assert lines[4].split() == ["+85221234567", "HK", "-", "phone"]


def test_json_lines() -> None:
    code, out, _ = run("locate", "--json", "::ffff:1.2.4.8", "10.0.0.1", "+74951234567")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    first = rows[0]
    assert (first["input"], first["country"], first["source"]) == ("::ffff:1.2.4.8", "CN", "agree")
    assert [a["source"] for a in first["evidence"]] == ["dbip", "iptocc"]
    assert rows[1:] == [
        {"input": "10.0.0.1", "country": None, "subdivision": None, "source": "none"},
        {"input": "+74951234567", "country": "RU", "subdivision": None, "source": "phone"},
    ]


def test_first_and_the_registries_alone_as_before() -> None:
    code, out, _ = run(
        "locate", "--location-rule", "first", "--location-sources", "iptocc", "1.2.4.8"
    )
    assert code == 0
    assert out.splitlines()[1].split() == ["1.2.4.8", "CN", "-", "iptocc"]


def test_explain_shows_every_source_with_the_date_of_its_data() -> None:
    code, out, _ = run("locate", "--explain", "1.2.4.8", "4.224.168.19", "64:ff9b::1.2.4.8")
    assert code == 0
    blocks = out.split("\n\n")
    agreed = blocks[0].splitlines()
    assert agreed[0] == "1.2.4.8: CN, by the sources that answered agree"
    assert agreed[1].split() == ["SOURCE", "COUNTRY", "SUBDIVISION", "DATA", "OF"]
    assert [line.split()[:2] for line in agreed[2:]] == [["dbip", "CN"], ["iptocc", "CN"]]
    assert all(line.split()[-1][:2] == "20" for line in agreed[2:])  # a date
    disputed = blocks[1].splitlines()
    assert disputed[0] == (
        "4.224.168.19: unknown for enforcement: sources disagree: dbip IN, iptocc US"
    )
    assert "nat64 address carries" in blocks[2]
    assert out.rstrip().endswith("IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0")


def test_several_named_databases(tmp_path: Path) -> None:
    from mmdb_files import country, write_mmdb

    one = write_mmdb(tmp_path / "one.mmdb", {"1.2.4.0/24": country("CN")})
    two = write_mmdb(
        tmp_path / "two.mmdb", {"1.2.4.0/24": country("HK")}, database_type="DBIP-Country-Lite"
    )
    code, out, _ = run(
        "locate", "--json", "--mmdb", f"geo={one},lite={two}", "--location-sources", "geo,lite",
        "1.2.4.8",
    )  # fmt: skip
    assert code == 0
    row = json.loads(out)
    assert (row["country"], row["source"]) == (None, "disputed")
    assert row["dispute"] == "sources disagree: geo CN, lite HK"


def test_maxmind_city_gives_subdivisions(tmp_path: Path) -> None:
    database = str(DATA / "GeoIP2-City-Test.mmdb")
    code, out, _ = run(
        "locate", "--json", "--location-rule", "first", "--maxmind", database, "2.125.160.216"
    )
    assert code == 0
    row = json.loads(out)
    assert (row["country"], row["source"]) == ("GB", "maxmind")
    assert row["subdivision"] is not None
    assert row["subdivision"].startswith("GB-")


def test_the_static_table_places_private_addresses(tmp_path: Path) -> None:
    table = tmp_path / "places.csv"
    table.write_text("127.0.0.10,CN\n127.0.0.20,HK\n")
    code, out, _ = run(
        "locate", "--json", "--static-locations", str(table), "127.0.0.10", "127.0.0.20"
    )
    assert code == 0
    assert [json.loads(line)["country"] for line in out.splitlines()] == ["CN", "HK"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["locate", "1.2.4.8", "001.002.004.008"], "001.002.004.008"),
        (["locate", "not-an-address"], "not-an-address"),
        (["locate", "+12"], "+12"),
        (["locate", "--maxmind", "/nonexistent.mmdb", "1.2.4.8"], "nonexistent.mmdb"),
        (["locate", "--precedence", "billing,ip", "1.2.4.8"], "billing"),
        (["locate", "--location-rule", "majority", "1.2.4.8"], "majority"),
        (["locate", "--location-quorum", "two", "1.2.4.8"], "two"),
        (["locate", "--location-quorum", "3", "1.2.4.8"], "quorum"),
        (["locate", "--mmdb", "nameless", "1.2.4.8"], "NAME=PATH"),
        (["locate", "--mmdb", "dbip=/x.mmdb", "1.2.4.8"], "'dbip' is taken"),
        (["locate", "--nat64-prefix", "2001:db8::/33", "1.2.4.8"], "2001:db8::/33"),
        (["locate"], "INPUT"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], named: str) -> None:
    """Run as a real process: what a user sees on the terminal, with no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "remit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1, result.stderr
    assert named in error_lines[0]


def test_a_corrupt_maxmind_database_is_refused_at_load() -> None:
    corrupt = str(DATA / "bad-data" / "libmaxminddb-corrupt-search-tree.mmdb")
    result = subprocess.run(
        [sys.executable, "-m", "remit", "locate", "--maxmind", corrupt, "1.2.4.8"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "libmaxminddb-corrupt-search-tree.mmdb" in result.stderr


def test_bench_decide_prints_its_figures_as_json_last() -> None:
    code, out, _ = run(
        "bench",
        "decide",
        "--orders",
        "500",
        "--decisions",
        "2000",
        "--cedar-seconds",
        "0",
        "--json",
    )
    assert code == 0
    figures = json.loads(out.splitlines()[-1])
    for key in ("decisions_per_s", "p50_us", "p99_us", "compile_s", "cedar_decisions_per_s"):
        assert isinstance(figures[key], int | float), key
    assert figures["decisions_per_s"] > 0
    assert figures["p50_us"] <= figures["p99_us"]
    assert "DISAGREED" not in figures["cedar_note"]
