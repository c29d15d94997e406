"""The benchmark compares like with like: Cedar, given the same rules, decides as remit does."""

from __future__ import annotations

import random

from remit.bench._cedar import CedarRules
from remit.bench._workload import make_orders, make_resources
from remit.location import UNKNOWN, Location
from remit.policy import PolicyIndex

PLACES = [
    ("CN", None), ("CN", "CN-BJ"), ("UA", "UA-43"), ("FR", None), ("DE", None), ("US", "US-TX"),
    ("HK", None), ("RU", None), ("IN", "IN-DL"), ("BR", None), (None, None),
]  # fmt: skip


def test_cedar_and_remit_agree_on_every_decision() -> None:
    rng = random.Random(7)
    orders = make_orders(300, rng)
    index = PolicyIndex.compile(orders)
    cedar = CedarRules(orders)
    resources = make_resources(3000, 300, rng, live=200)
    denies = 0
    for resource in resources:
        country, subdivision = rng.choice(PLACES)
        location = Location(country, subdivision, "static") if country else UNKNOWN
        expected = index.decide(location, resource).outcome
        assert cedar.decide(location, resource) == expected, (location, resource)
        denies += expected == "deny"
    assert denies > 20, "the sample must exercise denials, not only allows"
