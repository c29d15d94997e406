"""Prometheus metrics: decisions by outcome, decision latency, orders by state."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from remit.store import Store


class _OrdersByState(Collector):
    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("remit_orders", "Orders by lifecycle state.", labels=["state"])
        for status, count in sorted(self._store.count_orders_by_status().items()):
            family.add_metric([status.value], count)
        yield family


class Metrics:
    """The registry one app exposes at ``/metrics``."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "remit_decisions",
            "Admission decisions by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "remit_decision_seconds",
            "Time to locate a participant and decide, inside the process.",
            buckets=(1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2),
            registry=self.registry,
        )
        self.registry.register(_OrdersByState(store))
        self.allow = self.decisions.labels("allow")
        self.deny = self.decisions.labels("deny")
