"""Connectors' periodic tasks, run by the node: each on its own thread, a failing run logged and
the loop going on, and every thread stopped when the node stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest

from remit.api import Node, Task
from remit.location import Locator, StaticSource
from remit.store import MemoryStore


def node_with(tasks: Sequence[Task]) -> Node:
    return Node(MemoryStore(), Locator(ip_sources=[StaticSource({})]), tasks=tasks)


class Flaky:
    """Fails on its first two runs, then counts successful ones."""

    name = "flaky"
    interval_s = 0.01

    def __init__(self) -> None:
        self.runs = 0
        self.ok = threading.Event()
        self.nodes: list[object] = []

    def run(self, node: Node) -> None:
        self.runs += 1
        self.nodes.append(node)
        if self.runs <= 2:
            raise RuntimeError(f"run {self.runs} broke")
        if self.runs >= 5:
            self.ok.set()


class Steady:
    name = "steady"
    interval_s = 0.01

    def __init__(self) -> None:
        self.runs = 0

    def run(self, node: Node) -> None:
        self.runs += 1


def test_a_failing_task_is_logged_and_its_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    flaky, steady = Flaky(), Steady()
    node = node_with([flaky, steady])
    with caplog.at_level(logging.ERROR, logger="remit.tasks"):
        node.start()
        try:
            assert flaky.ok.wait(10), f"the task stopped after {flaky.runs} runs"
        finally:
            node.stop(timeout=5)
    failures = [r for r in caplog.records if r.name == "remit.tasks"]
    assert len(failures) == 2
    assert all("flaky" in r.getMessage() and r.exc_info is not None for r in failures)
    assert str(failures[0].exc_info[1]) == "run 1 broke"  # type: ignore[index]
    assert steady.runs >= 1  # the other task was never held up
    assert set(map(id, flaky.nodes)) == {id(node)}
    # Stopped: no thread left, no run after stop() returned.
    assert not [t for t in threading.enumerate() if t.name.startswith("remit-task-")]
    runs = flaky.runs
    time.sleep(0.05)
    assert flaky.runs == runs


def test_stop_ends_a_long_wait_at_once() -> None:
    class Slow:
        name = "slow"
        interval_s = 3600.0
        runs = 0

        def run(self, node: Node) -> None:
            Slow.runs += 1

    node = node_with([Slow()])
    node.start()
    started = time.monotonic()
    deadline = started + 5
    while Slow.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    node.stop(timeout=5)
    assert Slow.runs == 1  # ran once at start, then waited
    assert time.monotonic() - started < 5
