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
    assert lines[1].split() == ["1.2.4.8", "CN", "-", "iptocc"]
    assert lines[2].split() == ["203.198.7.1", "HK", "-", "iptocc"]
    assert lines[3].split() == ["192.168.1.10", "-", "-", "none"]
    assert lines[4].split() == ["+85221234567", "HK", "-", "phone"]


def test_json_lines() -> None:
    code, out, _ = run("locate", "--json", "::ffff:1.2.4.8", "10.0.0.1", "+74951234567")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {"input": "::ffff:1.2.4.8", "country": "CN", "subdivision": None, "source": "iptocc"},
        {"input": "10.0.0.1", "country": None, "subdivision": None, "source": "none"},
        {"input": "+74951234567", "country": "RU", "subdivision": None, "source": "phone"},
    ]


def test_maxmind_city_gives_subdivisions(tmp_path: Path) -> None:
    database = str(DATA / "GeoIP2-City-Test.mmdb")
    code, out, _ = run("locate", "--json", "--maxmind", database, "2.125.160.216")
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
