"""Prometheus metrics: decisions by outcome, decision latency, orders by state, location data,
and the roster's writes (their latency from request to commit, and the size of each commit).

Decisions are counted on the hot path of every join, so they are kept in plain integers (the
event loop is the only writer) and turned into Prometheus families when ``/metrics`` is read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as dt_time

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from remit.enforcement import RosterStats
from remit.location import Locator
from remit.store import Store

BUCKETS = (1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2)


class _OrdersByState(Collector):
    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("remit_orders", "Orders by lifecycle state.", labels=["state"])
        for status, count in sorted(self._store.count_orders_by_status().items()):
            family.add_metric([status.value], count)
        yield family


class _LocationSources(Collector):
    def __init__(self, locator: Locator) -> None:
        self._locator = locator

    def collect(self) -> Iterator[GaugeMetricFamily]:
        dated = GaugeMetricFamily(
            "remit_location_data_timestamp_seconds",
            "The date of each IP location source's data, as a Unix time (UTC midnight).",
            labels=["source"],
        )
        aged = GaugeMetricFamily(
            "remit_location_data_age_days",
            "How old each IP location source's data is.",
            labels=["source"],
        )
        warned = GaugeMetricFamily(
            "remit_location_source_warning",
            "1 when a location source needs the operator (data too old, a replacement refused).",
            labels=["source"],
        )
        for status in self._locator.sources():
            if status.data_date is not None:
                midnight = datetime.combine(status.data_date, dt_time(), UTC)
                dated.add_metric([status.name], midnight.timestamp())
            if status.age_days is not None:
                aged.add_metric([status.name], status.age_days)
            warned.add_metric([status.name], 0 if status.warning is None else 1)
        yield dated
        yield aged
        yield warned


class _RosterWrites(Collector):
    """The group commit's figures (:class:`~remit.enforcement.RosterStats`), when the node
    runs live enforcement."""

    def __init__(self, stats: Callable[[], RosterStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[HistogramMetricFamily | CounterMetricFamily]:
        stats = self._stats()
        if stats is None:
            return
        latency, batches = stats.latency, stats.batches
        yield HistogramMetricFamily(
            "remit_roster_write_seconds",
            "Time from a join, leave or move reaching the roster's writer to its commit.",
            buckets=latency.cumulative(),
            sum_value=latency.sum,
        )
        yield HistogramMetricFamily(
            "remit_roster_batch_writes",
            "Roster writes committed together in one transaction (group commit).",
            buckets=batches.cumulative(),
            sum_value=batches.sum,
        )
        retried = CounterMetricFamily(
            "remit_roster_batches_retried",
            "Batches that failed whole and were written again one write at a time.",
        )
        retried.add_metric([], stats.retried)
        yield retried


class Metrics(Collector):
    """The registry one app exposes at ``/metrics``, and the decision counters it reads."""

    def __init__(
        self,
        store: Store,
        locator: Locator | None = None,
        roster: Callable[[], RosterStats | None] = lambda: None,
    ) -> None:
        self.allowed = 0
        self.denied = 0
        self._buckets = [0] * (len(BUCKETS) + 1)
        self._sum = 0.0
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self.registry.register(_OrdersByState(store))
        if locator is not None:
            self.registry.register(_LocationSources(locator))
        self.registry.register(_RosterWrites(roster))

    def decided(self, allowed: bool, seconds: float) -> None:
        """Count one decision that took ``seconds``."""
        if allowed:
            self.allowed += 1
        else:
            self.denied += 1
        self._buckets[bisect_left(BUCKETS, seconds)] += 1
        self._sum += seconds

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        decisions = CounterMetricFamily(
            "remit_decisions", "Admission decisions by outcome.", labels=["outcome"]
        )
        decisions.add_metric(["allow"], self.allowed)
        decisions.add_metric(["deny"], self.denied)
        yield decisions
        cumulative, running = [], 0
        for bound, count in zip([*map(str, BUCKETS), "+Inf"], self._buckets, strict=True):
            running += count
            cumulative.append((bound, running))
        yield HistogramMetricFamily(
            "remit_decision_seconds",
            "Time to locate a participant and decide, inside the process.",
            buckets=cumulative,
            sum_value=self._sum,
        )
