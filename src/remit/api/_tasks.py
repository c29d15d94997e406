"""Periodic work beside a node: connectors' tasks (reconciling a roster with a platform's own
view, for instance), each run on its own thread every ``interval_s`` seconds.

A task that fails is logged and runs again at its next turn: one bad run never stops it, nor
another task. :meth:`TaskRunner.stop` asks every thread to stop and waits for a run in progress
to end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from remit.api._node import Node

log = logging.getLogger("remit.tasks")

#: The shortest pause between two runs of a task, whatever it asks for.
MIN_INTERVAL_S = 0.05


class Task(Protocol):
    """Periodic work a connector runs with the node (see ``remit_tasks`` in
    :mod:`remit.connectors._hooks`)."""

    @property
    def name(self) -> str:
        """What the log calls it."""

    @property
    def interval_s(self) -> float:
        """Seconds between the end of one run and the start of the next; read again after
        every run, so a task may change it (from its platforms' settings, say)."""

    def run(self, node: Node) -> None:
        """Do the work once. An exception is logged; the task runs again at its next turn."""


class TaskRunner:
    """Runs each task on a thread of its own: at once on :meth:`start`, then every
    ``interval_s`` seconds until :meth:`stop`."""

    def __init__(self, node: Node, tasks: Sequence[Task]) -> None:
        self.node = node
        self.tasks = tuple(tasks)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for task in self.tasks:
            thread = threading.Thread(
                target=self._loop, args=(task,), name=f"remit-task-{task.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every task; a run in progress ends first (waited for up to ``timeout`` s each)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("task thread %s did not stop within %g s", thread.name, timeout)
        self._threads = []

    def _loop(self, task: Task) -> None:
        while not self._stop.is_set():
            try:
                task.run(self.node)
            except Exception:
                log.exception("task %s failed; it runs again at its next turn", task.name)
            try:
                interval = max(MIN_INTERVAL_S, float(task.interval_s))
            except Exception:
                log.exception("task %s has no usable interval_s; waiting 60 s", task.name)
                interval = 60.0
            if self._stop.wait(interval):
                return
