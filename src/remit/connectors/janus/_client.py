"""Janus's HTTP API, as far as remit speaks it: VideoRoom requests to manage a room.

Each batch of requests opens a Janus session, attaches the VideoRoom plugin, sends the requests
one by one (``allowed``, ``kick`` and ``listparticipants`` are answered at once) and destroys
the session. No session outlives a batch, so none needs keep-alives and a restarted Janus
costs nothing but the batch that was under way.

Every failure to talk to Janus (no answer, not JSON, a Janus-level ``error``) is a
:class:`~remit.errors.DeliveryError`; what the VideoRoom plugin answers, errors included (such
as 428 "no such feed"), is returned for the caller to judge.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from remit.errors import DeliveryError

VIDEOROOM = "janus.plugin.videoroom"
#: VideoRoom error codes remit acts on.
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
UNAUTHORIZED = 433


class JanusAPI:
    """A client of one or more Janus servers' HTTP API (thread-safe: one pool of connections)."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connections (a later request opens new ones)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout)
            return self._client

    def videoroom(
        self, url: str, requests: Sequence[dict[str, Any]], api_secret: str | None = None
    ) -> list[dict[str, Any]]:
        """Send VideoRoom ``requests`` to the Janus at ``url``; the plugin's answer to each."""
        session = _id(self._janus(url, {"janus": "create"}, api_secret))
        try:
            attach = {"janus": "attach", "plugin": VIDEOROOM}
            handle = _id(self._janus(f"{url}/{session}", attach, api_secret))
            answers = []
            for body in requests:
                reply = self._janus(
                    f"{url}/{session}/{handle}", {"janus": "message", "body": body}, api_secret
                )
                data = reply.get("plugindata", {}).get("data")
                if not isinstance(data, dict):
                    raise DeliveryError(f"Janus at {url}: no VideoRoom answer to {body['request']}")
                answers.append(data)
            return answers
        finally:
            with contextlib.suppress(DeliveryError):  # else Janus times it out on its own
                self._janus(f"{url}/{session}", {"janus": "destroy"}, api_secret)

    def _janus(self, url: str, message: dict[str, Any], api_secret: str | None) -> dict[str, Any]:
        message = {**message, "transaction": secrets.token_hex(8)}
        if api_secret:
            message["apisecret"] = api_secret
        try:
            answer = self._http().post(url, json=message)
            reply = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DeliveryError(f"Janus at {url}: {type(exc).__name__}") from exc
        if not isinstance(reply, dict) or answer.status_code != 200:
            raise DeliveryError(f"Janus at {url} answered {answer.status_code}")
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise DeliveryError(
                f"Janus at {url}: error {error.get('code')} ({error.get('reason')})"
            )
        return reply


def _id(reply: dict[str, Any]) -> int:
    value = (reply.get("data") or {}).get("id")
    if not isinstance(value, int):
        raise DeliveryError("Janus answered without an id")
    return value


def failure(answer: dict[str, Any]) -> tuple[int, str] | None:
    """The VideoRoom error in an answer (its code and text), or None when it succeeded."""
    if "error_code" in answer or "error" in answer:
        return int(answer.get("error_code", 0)), str(answer.get("error", ""))
    return None
