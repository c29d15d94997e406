"""Calls from inside Synapse to remit, on Synapse's own HTTP client, never blocking its reactor.

Runs inside Synapse's process: the standard library, Synapse and Twisted only. Synapse's client
gives up on a request after 60 seconds; a join must not wait that long, so each call here has the
module's own deadline (``timeout``), after which remit counts as unreachable.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from synapse.module_api import ModuleApi, make_deferred_yieldable, run_in_background
from twisted.internet import defer, reactor
from twisted.python.failure import Failure
from twisted.web.client import readBody
from twisted.web.http_headers import Headers

#: Reports waiting for remit beyond this many are dropped, oldest first, and logged.
MAX_PENDING = 100_000


class RemitClient:
    """remit's API as the platform ``token`` sees it."""

    def __init__(self, api: ModuleApi, base_url: str, token: str, timeout: float) -> None:
        self._api = api
        self._base = base_url.rstrip("/")
        self._headers = {
            b"Authorization": [f"Bearer {token}".encode()],
            b"Content-Type": [b"application/json"],
            b"Accept": [b"application/json, application/problem+json"],
        }
        self._timeout = timeout

    async def post(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST ``payload`` as JSON; remit's status and JSON answer. Raises on no answer in time
        (connection refused, timeout, a body that is not JSON)."""
        call = run_in_background(self._exchange, path, payload)
        outcome = defer.Deferred()

        def expire() -> None:
            if not outcome.called:
                outcome.errback(TimeoutError(f"remit did not answer within {self._timeout} s"))
            call.cancel()  # whatever the cancelled request raises now goes nowhere

        timer = reactor.callLater(self._timeout, expire)

        def settle(result: Any) -> None:
            if timer.active():
                timer.cancel()
            if outcome.called:
                return
            if isinstance(result, Failure):
                outcome.errback(result)
            else:
                outcome.callback(result)

        call.addBoth(settle)
        answer: tuple[int, dict[str, Any]] = await make_deferred_yieldable(outcome)
        return answer

    async def _exchange(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await self._api.http_client.request(
            "POST",
            self._base + path,
            data=json.dumps(payload).encode(),
            headers=Headers(self._headers),
        )
        body = await make_deferred_yieldable(readBody(response))
        answer = json.loads(body) if body else {}
        return int(response.code), answer if isinstance(answer, dict) else {}


class Reports:
    """Joins and leaves told to remit in the order they happened, retried while remit is away.

    Reports are kept in memory: a Synapse restart while remit is unreachable loses the ones not
    yet sent (a removal then finds the person gone, or the next join puts them right)."""

    def __init__(self, api: ModuleApi, remit: RemitClient, logger: Any) -> None:
        self._api = api
        self._remit = remit
        self._logger = logger
        self._pending: deque[tuple[str, dict[str, Any]]] = deque()
        self._draining = False

    def send(self, path: str, payload: dict[str, Any]) -> None:
        """Queue a report; a background process sends the queue in order."""
        if len(self._pending) >= MAX_PENDING:
            dropped = self._pending.popleft()
            self._logger.error("remit: too many reports waiting; dropped %s", dropped)
        self._pending.append((path, payload))
        if not self._draining:
            self._draining = True
            self._api.run_as_background_process("remit_reports", self._drain)

    async def _drain(self) -> None:
        delay = 1.0
        try:
            while self._pending:
                path, payload = self._pending[0]
                try:
                    status, answer = await self._remit.post(path, payload)
                except Exception as exc:  # remit unreachable: wait and try the same one again
                    self._logger.warning("remit: report to %s not sent (%r); retrying", path, exc)
                    await self._api.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                if status >= 500:
                    self._logger.warning("remit: %s answered %s; retrying", path, status)
                    await self._api.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                if status >= 400:  # remit refuses it: sending it again would not help
                    self._logger.error("remit: %s refused %s: %s", path, payload, answer)
                self._pending.popleft()
                delay = 1.0
        finally:
            self._draining = False
