"""``remit bench locate``: the agreement matrix and the collateral-risk table, counted right."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from remit.bench._locate import _agreement, _risk, sample_addresses
from remit.cli import cli
from remit.location import is_reserved, parse_address


def test_the_collateral_risk_counts_what_the_other_source_places_elsewhere() -> None:
    registry = ["RU", "RU", "RU", "RU", "CN", None]
    geo = ["RU", "UA", "UA", None, "CN", "RU"]
    risk = _risk("RU", "registry", "geo", registry, geo)
    assert (risk.placed, risk.elsewhere, risk.silent) == (4, 2, 1)
    assert risk.share == 0.5
    assert risk.mostly == [("UA", 2)]
    assert _agreement(registry, geo) == 0.5  # RU=RU, RU≠UA, RU≠UA, CN=CN


def test_the_sample_is_public_addresses() -> None:
    addresses = sample_addresses(5_000, random.Random(1))
    assert len(set(addresses)) > 4_990
    assert not any(is_reserved(parse_address(a)) for a in addresses)


def test_the_command_prints_its_figures_and_json_last() -> None:
    result = CliRunner().invoke(
        cli,
        ["bench", "locate", "--sample", "5000", "--orders", "200", "--decisions", "2000",
         "--jurisdictions", "CN,RU,US", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    figures = json.loads(lines[-1])
    assert figures["sources"] == ["dbip", "iptocc"]
    assert figures["agreement"]["dbip"]["iptocc"] == figures["agreement"]["iptocc"]["dbip"]
    assert 0.8 < figures["agreement"]["dbip"]["iptocc"] < 1.0
    assert [(r["jurisdiction"], r["source"]) for r in figures["risks"]] == [
        ("CN", "dbip"), ("CN", "iptocc"), ("RU", "dbip"), ("RU", "iptocc"),
        ("US", "dbip"), ("US", "iptocc"),
    ]  # fmt: skip
    assert all(0 <= r["share"] <= 1 for r in figures["risks"])
    assert figures["agreed_share"] + figures["disputed_share"] <= 1
    assert figures["first_decisions_per_s"] > 0
    assert figures["agree_decisions_per_s"] > 0
    assert any(line.startswith("collateral risk") for line in lines)
