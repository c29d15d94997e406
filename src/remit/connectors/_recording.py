"""A connector that records what it is given: the fake shipped beside the real ones.

As httpx ships ``MockTransport`` beside its transports, remit ships :class:`RecordingConnector`
beside its connectors, so that the enforcer's tests (activation, delivery, retries) pass one in
and read what was delivered, with no server and no patching. A ``handler`` decides each
attempt: raise :class:`~remit.errors.DeliveryError` to fail it, as an unreachable platform
would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from remit.enforcement import Command, CommandType, Connector, Payload, Platform, payload


@dataclass(frozen=True)
class Delivered:
    """One delivery attempt: the platform and the command, as the enforcer handed them over."""

    platform: Platform
    command: Command


class RecordingConnector(Connector):
    """Records every attempt, and answers each as ``handler`` does (every one succeeds when there
    is none). Thread-safe: the enforcer delivers from several threads."""

    def __init__(
        self,
        name: str = "recording",
        handler: Callable[[Platform, Command], None] | None = None,
    ) -> None:
        self.name = name
        self._handler = handler
        self._lock = threading.Lock()
        self._attempts: list[Delivered] = []
        self._delivered: list[Delivered] = []
        self.closed = False

    def deliver(self, platform: Platform, command: Command) -> None:
        attempt = Delivered(platform, command)
        with self._lock:
            self._attempts.append(attempt)
        if self._handler is not None:
            self._handler(platform, command)  # raises to fail the attempt
        with self._lock:
            self._delivered.append(attempt)

    def close(self) -> None:
        self.closed = True

    @property
    def attempts(self) -> list[Delivered]:
        """Every attempt, in the order they began."""
        with self._lock:
            return list(self._attempts)

    @property
    def delivered(self) -> list[Command]:
        """The commands delivered (their attempt succeeded), in the order they were."""
        with self._lock:
            return [d.command for d in self._delivered]

    def payloads(self, kind: CommandType) -> list[Payload]:
        """The payloads of the delivered commands of one type, decoded."""
        return [payload(c) for c in self.delivered if c.type == kind]
