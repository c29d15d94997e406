"""``remit bench locate``: how far the IP sources agree, what one source alone would risk, and
what the rule ``agree`` costs ``decide``.

The sample is uniform over the public IPv4 space (no reserved network). For each pair of sources
the agreement is the share of the addresses both place on which they name the same country. The
collateral risk of a source in a jurisdiction is the share of the addresses that source alone
places inside it that another source places in another country: the people an order enforced on
that one source would touch outside the jurisdiction, which ``agree`` leaves alone.
"""

from __future__ import annotations

import gc
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from remit.bench._decide import _throughput, machine
from remit.bench._workload import make_addresses, make_orders, make_resources
from remit.location import IptoccSource, Locator, is_reserved, parse_address
from remit.location._agreement import usable
from remit.policy import PolicyIndex

#: The jurisdictions of the collateral-risk table unless others are asked for.
JURISDICTIONS = ("CN", "RU", "HK", "US", "IR", "UA", "TR", "IN", "BR", "DE")
_CHUNK = 50_000


@dataclass(frozen=True)
class Risk:
    """One row of the collateral-risk table: ``source`` alone against ``other``."""

    jurisdiction: str
    source: str
    other: str
    placed: int  # addresses ``source`` places inside the jurisdiction
    elsewhere: int  # of those, placed by ``other`` in another country
    silent: int  # of those, not placed by ``other`` at all
    mostly: list[tuple[str, int]]  # where ``other`` places them instead, most first

    @property
    def share(self) -> float:
        """The share of ``placed`` that ``other`` places elsewhere."""
        return self.elsewhere / self.placed if self.placed else 0.0


@dataclass(frozen=True)
class LocateResult:
    """The figures of one run of ``remit bench locate``."""

    sample: int
    sources: list[str]
    data_dates: dict[str, str | None]
    coverage: dict[str, float]
    agreement: dict[str, dict[str, float | None]]
    risks: list[Risk]
    agreed_share: float
    disputed_share: float
    orders: int
    decisions: int
    first_decisions_per_s: float
    agree_decisions_per_s: float
    machine: str

    @property
    def ratio(self) -> float:
        """Decisions per second under ``agree`` as a share of those under ``first``."""
        return self.agree_decisions_per_s / self.first_decisions_per_s

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        out = asdict(self)
        out["ratio"] = round(self.ratio, 4)
        for row, risk in zip(out["risks"], self.risks, strict=True):
            row["share"] = round(risk.share, 4)
        return out


def sample_addresses(count: int, rng: random.Random) -> list[str]:
    """``count`` public IPv4 addresses drawn uniformly (reserved networks redrawn)."""
    out: list[str] = []
    while len(out) < count:
        value = rng.getrandbits(32)
        text = f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"
        if not is_reserved(parse_address(text)):
            out.append(text)
    return out


def run_locate(
    make_locator: Callable[[str], Locator],
    sample: int = 400_000,
    jurisdictions: Sequence[str] = JURISDICTIONS,
    orders: int = 100_000,
    decisions: int = 400_000,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> LocateResult:
    """Measure the sources ``make_locator(rule)`` configures over ``sample`` addresses, then
    ``decide`` under ``first`` and ``agree`` over ``decisions`` joins and ``orders`` orders."""
    rng = random.Random(seed)
    agree, first = make_locator("agree"), make_locator("first")
    try:
        sources = [s for s in agree.ip_sources if not s.places_reserved]
        names = [s.name for s in sources]
        addresses = [parse_address(text) for text in sample_addresses(sample, rng)]
        progress(f"drew {len(addresses):,} public IPv4 addresses")
        answers = [[_country(s.lookup(a)) for a in addresses] for s in sources]
        progress(f"asked {len(names)} sources")
        located = [agree.locate_ip(a.text) for a in addresses]
        result_rates = _rates(first, agree, orders, decisions, rng, progress)
    finally:
        agree.close()
        first.close()
    coverage = {n: _share(sum(c is not None for c in col), len(addresses)) for n, col in
                zip(names, answers, strict=True)}  # fmt: skip
    agreement = {
        a: {b: _agreement(answers[i], answers[j]) for j, b in enumerate(names) if j != i}
        for i, a in enumerate(names)
    }
    risks = [
        _risk(x, names[i], names[j], answers[i], answers[j])
        for x in jurisdictions
        for i in range(len(names))
        for j in range(len(names))
        if i != j
    ]
    return LocateResult(
        sample=len(addresses),
        sources=names,
        data_dates={
            s.name: None if s.data_date is None else s.data_date.isoformat() for s in sources
        },
        coverage=coverage,
        agreement=agreement,
        risks=risks,
        agreed_share=_share(sum(loc.country is not None for loc in located), len(located)),
        disputed_share=_share(sum(loc.disputed for loc in located), len(located)),
        orders=orders,
        decisions=decisions,
        first_decisions_per_s=round(result_rates[0]),
        agree_decisions_per_s=round(result_rates[1]),
        machine=machine(),
    )


def _rates(
    first: Locator,
    agree: Locator,
    orders: int,
    decisions: int,
    rng: random.Random,
    progress: Callable[[str], None],
) -> tuple[float, float]:
    """Decisions per second of ``decide`` with each locator.

    The joins are cut into chunks of 50,000, each decided under one rule then the other, three
    times over; each rule's figure is its fastest chunk. On a machine shared with other work the
    fastest chunk is the one least disturbed, and both rules get the same chances.
    """
    index = PolicyIndex.compile(make_orders(orders, rng))
    # The joins of `remit bench decide`: addresses the registries place, 5% no source places.
    registries = Locator(ip_sources=[IptoccSource()], rule="first")
    pairs = list(
        zip(
            make_addresses(decisions, rng, locator=registries),
            make_resources(decisions, orders, rng),
            strict=True,
        )
    )
    progress(f"compiled {orders:,} orders; {decisions:,} joins")
    chunks = [pairs[i : i + _CHUNK] for i in range(0, len(pairs), _CHUNK)]
    best = {"first": 0.0, "agree": 0.0}
    gc.collect()
    gc.freeze()
    try:
        for _ in range(3):
            for chunk in chunks:
                for rule, locator in (("first", first), ("agree", agree)):
                    rate, _denies = _throughput(index, locator, chunk)
                    best[rule] = max(best[rule], rate)
            progress(f"so far: first {best['first']:,.0f}/s, agree {best['agree']:,.0f}/s")
    finally:
        gc.unfreeze()
    return best["first"], best["agree"]


def _country(place: tuple[str, str | None] | None) -> str | None:
    found = usable(place)
    return None if found is None else found[0]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _agreement(one: list[str | None], two: list[str | None]) -> float | None:
    both = [(a, b) for a, b in zip(one, two, strict=True) if a is not None and b is not None]
    return _share(sum(a == b for a, b in both), len(both)) if both else None


def _risk(
    jurisdiction: str, name: str, other: str, mine: list[str | None], theirs: list[str | None]
) -> Risk:
    inside = [b for a, b in zip(mine, theirs, strict=True) if a == jurisdiction]
    elsewhere = Counter(b for b in inside if b is not None and b != jurisdiction)
    return Risk(
        jurisdiction,
        name,
        other,
        len(inside),
        sum(elsewhere.values()),
        sum(b is None for b in inside),
        elsewhere.most_common(4),
    )
