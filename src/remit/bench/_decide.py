"""``remit bench decide``: in-process ``decide()`` with IP location (the registries' data, rule
``first``), and the same rules in Cedar."""

from __future__ import annotations

import gc
import platform
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from remit.bench._cedar import CedarRules
from remit.bench._workload import make_addresses, make_orders, make_resources
from remit.location import IptoccSource, Locator
from remit.policy import ActiveOrder, PolicyIndex, Resource


@dataclass(frozen=True)
class DecideResult:
    """The figures of one run."""

    orders: int
    decisions: int
    decisions_per_s: float
    p50_us: float
    p99_us: float
    compile_s: float
    build_orders_s: float
    deny_share: float
    cedar_decisions: int
    cedar_decisions_per_s: float | None
    cedar_note: str
    machine: str

    def to_dict(self) -> dict[str, object]:
        """The JSON form printed by ``--json``."""
        return asdict(self)


def machine() -> str:
    """A one-line description of the machine the figures came from."""
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _percentile(sorted_ns: Sequence[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def run_decide(
    orders: int = 100_000,
    decisions: int = 400_000,
    cedar_seconds: float = 5.0,
    seed: int = 2020,
    progress: Callable[[str], None] = lambda _: None,
) -> DecideResult:
    """Build ``orders`` active orders and measure ``decide`` over ``decisions`` joins."""
    rng = random.Random(seed)
    started = time.perf_counter()
    active: list[ActiveOrder] = make_orders(orders, rng)
    build_orders_s = time.perf_counter() - started
    progress(f"built {orders:,} orders in {build_orders_s:.2f} s")

    started = time.perf_counter()
    index = PolicyIndex.compile(active)
    compile_s = time.perf_counter() - started
    progress(f"compiled the index in {compile_s:.3f} s")

    # The registries' data alone, the first answer winning: the figure of earlier releases.
    # `remit bench locate` measures the default rule, agree, beside it.
    locator = Locator(ip_sources=[IptoccSource()], rule="first")
    addresses = make_addresses(decisions, rng, locator=locator)
    resources = make_resources(decisions, orders, rng)
    pairs = list(zip(addresses, resources, strict=True))

    gc.collect()
    gc.freeze()
    throughput, denies = _throughput(index, locator, pairs)
    latencies = _latencies(index, locator, pairs)
    gc.unfreeze()
    progress(f"{throughput:,.0f} decisions/s; p50 {_percentile(latencies, 0.5):.2f} us")

    cedar_rate, cedar_count, note = _cedar(active, locator, pairs, cedar_seconds, progress)
    return DecideResult(
        orders=orders,
        decisions=decisions,
        decisions_per_s=round(throughput),
        p50_us=round(_percentile(latencies, 0.50), 3),
        p99_us=round(_percentile(latencies, 0.99), 3),
        compile_s=round(compile_s, 4),
        build_orders_s=round(build_orders_s, 3),
        deny_share=round(denies / len(pairs), 4),
        cedar_decisions=cedar_count,
        cedar_decisions_per_s=None if cedar_rate is None else round(cedar_rate, 2),
        cedar_note=note,
        machine=machine(),
    )


def _throughput(
    index: PolicyIndex, locator: Locator, pairs: list[tuple[str, Resource]]
) -> tuple[float, int]:
    decide = index.decide
    locate_ip = locator.locate_ip
    denies = 0
    started = time.perf_counter()
    for address, resource in pairs:
        if decide(locate_ip(address), resource).outcome == "deny":
            denies += 1
    return len(pairs) / (time.perf_counter() - started), denies


def _latencies(
    index: PolicyIndex, locator: Locator, pairs: list[tuple[str, Resource]]
) -> list[int]:
    decide = index.decide
    locate_ip = locator.locate_ip
    clock = time.perf_counter_ns
    out = []
    for address, resource in pairs:
        t0 = clock()
        decide(locate_ip(address), resource)
        out.append(clock() - t0)
    out.sort()
    return out


def _cedar(
    active: list[ActiveOrder],
    locator: Locator,
    pairs: list[tuple[str, Resource]],
    seconds: float,
    progress: Callable[[str], None],
) -> tuple[float | None, int, str]:
    try:
        rules = CedarRules(active)
    except ImportError:
        return None, 0, "cedarpy is not installed (pip install 'remit[dev]')"
    progress(f"Cedar: parsed {len(active):,} policies in {rules.parse_s:.1f} s")
    count = 0
    disagreements = 0
    index = PolicyIndex.compile(active)
    started = time.perf_counter()
    for address, resource in pairs:
        location = locator.locate_ip(address)
        if rules.decide(location, resource) != index.decide(location, resource).outcome:
            disagreements += 1
        count += 1
        if time.perf_counter() - started > seconds:
            break
    elapsed = time.perf_counter() - started
    note = f"Cedar policy set parsed once ({rules.parse_s:.1f} s); {count} decisions measured"
    if disagreements:
        note += f"; {disagreements} decisions DISAGREED with remit"
    return count / elapsed, count, note
