"""Admissions: the decision every join asks for, answered from memory.

``POST /v1/admissions`` is served twice over, with the same checks, errors and counting: as a
routed operation (for the OpenAPI document and a request that does not take the fast path),
and by :class:`RemitApp` straight from the raw ASGI messages, ahead of Starlette's router.

The roster's writes (``POST /v1/sessions``, ``DELETE`` and ``PATCH /v1/sessions/{id}``), which
every join, leave and move takes, skip the router too: :class:`RemitApp` hands them straight to
the bound operation (:func:`~remit.api._endpoint.bind`: the same authentication, checks, errors
and audit as when routed), with the session id as the path parameter.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from remit.api import _schemas as s
from remit.api._auth import PLATFORM, allowed, bearer
from remit.api._convert import decision_out, resource_in
from remit.api._endpoint import JSON, Call, Endpoint, Settings, check_body, read_body
from remit.api._metrics import Metrics
from remit.api._node import Node
from remit.api._problems import HTTPProblem, from_error
from remit.errors import InvalidInput
from remit.location import Location
from remit.policy import Decision

PATH = "/v1/admissions"
#: The largest admission request the hot path reads (a join is a few hundred bytes).
MAX_ADMISSION_BYTES = 64 * 1024


def locate_participant(node: Node, ip: str | None, phone: str | None) -> Location:
    """Where a participant is; a bad signal is an error naming ``participant.ip``/``.phone``.
    Every decision begins here, so a node still loading its index answers 503 here."""
    if node.starting:
        raise HTTPProblem("unavailable", "remit is starting: the decision index is loading")
    try:
        return node.locator.locate(ip=ip, phone=phone)
    except InvalidInput as exc:
        field = f"participant.{exc.field}"
        raise type(exc)(f"participant.{exc.message}", field=field) from exc


def admit(
    node: Node, settings: Settings, metrics: Metrics, body: s.AdmissionIn, platform: str
) -> bytes:
    """Decide one join to ``platform`` (the caller's platform account) from memory and count
    it: the JSON answer of ``/v1/admissions``."""
    started = time.perf_counter()
    participant = body.participant
    resource = resource_in(body.resource, settings.resource_types)
    location = locate_participant(node, participant.ip, participant.phone)
    decision = node.snapshot.index.decide(location, resource, participant.id, platform=platform)
    metrics.decided(decision.allowed, time.perf_counter() - started)
    return _encoded(decision)


async def admissions(call: Call) -> Response:
    body = await call.body(s.AdmissionIn)
    answer = admit(call.node, call.settings, call.metrics, body, call.actor)
    return Response(answer, media_type=JSON)


_ENCODED: dict[int, tuple[Decision, bytes]] = {}


def _encoded(decision: Decision) -> bytes:
    """The JSON of a decision. Allow decisions are shared by the index, so their bytes are kept."""
    cached = _ENCODED.get(id(decision))
    if cached is not None and cached[0] is decision:
        return cached[1]
    encoded = msgspec.json.encode(decision_out(decision))
    if decision.allowed and not decision.skipped:
        if len(_ENCODED) > 65_536:
            _ENCODED.clear()
        _ENCODED[id(decision)] = (decision, encoded)
    return encoded


ADMISSION_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", PATH, admissions, "Decide one join: allow or deny, and why", PLATFORM,
             s.AdmissionIn, s.AdmissionOut),
)  # fmt: skip

_ANSWER_HEADERS = [(b"content-type", JSON.encode())]

#: A bound operation (:func:`~remit.api._endpoint.bind`).
Bound = Callable[[Request], Awaitable[Response]]


class RemitApp:
    """The API as an ASGI app. Every join's admission is answered here, on raw ASGI messages
    with the same checks, errors and counting as the routed handler (shared functions); the rest
    goes through Starlette's router. Any error takes the ordinary problem-document path.
    """

    def __init__(
        self,
        app: Starlette,
        node: Node,
        settings: Settings,
        metrics: Metrics,
        direct: dict[tuple[str, str], Bound] | None = None,
    ) -> None:
        self.app = app
        self._node = node
        self._settings = settings
        self._metrics = metrics
        # (method, path) -> operation, and (method, prefix) -> operation of "prefix{id}".
        self._exact: dict[tuple[str, str], Bound] = {}
        self._by_id: dict[tuple[str, str], Bound] = {}
        for (method, path), bound in (direct or {}).items():
            if path.endswith("/{id}"):
                self._by_id[method, path[: -len("{id}")]] = bound
            else:
                assert "{" not in path, path
                self._exact[method, path] = bound

    def _direct(self, scope: Any) -> Bound | None:
        """The bound operation a request goes to without the router, if any (its session id,
        if it names one, set as the path parameter ``id``)."""
        method, path = scope["method"], scope["path"]
        bound = self._exact.get((method, path))
        if bound is not None:
            scope["path_params"] = {}
            return bound
        prefix, _, last = path.rpartition("/")
        bound = self._by_id.get((method, prefix + "/"))
        if bound is None or not last:
            return None
        scope["path_params"] = {"id": last}
        return bound

    @property
    def state(self) -> Any:
        """The Starlette app's state (``node``, ``metrics``)."""
        return self.app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not (scope["method"] == "POST" and scope["path"] == PATH and not scope["query_string"]):
            bound = self._direct(scope)
            if bound is None:
                await self.app(scope, receive, send)
                return
            response = await bound(Request(scope, receive))
            await response(scope, receive, send)
            return
        try:
            headers = dict(scope["headers"])
            user = bearer(self._node, headers.get(b"authorization", b"").decode("latin-1"))
            allowed(user, PLATFORM)
            # A join is a few hundred bytes: the hot path never buffers an order-sized body.
            check_body(
                headers.get(b"content-type", b"").decode("latin-1"),
                headers.get(b"content-length", b"").decode("latin-1"),
                MAX_ADMISSION_BYTES,
            )
            body = await read_body(receive, MAX_ADMISSION_BYTES)
            join = msgspec.json.decode(body, type=s.AdmissionIn)
            answer = admit(self._node, self._settings, self._metrics, join, user.name)
        except Exception as exc:  # the same problem documents as the routed handler
            await from_error(exc, f"POST {PATH}")(scope, receive, send)
            return
        start = {"type": "http.response.start", "status": 200}
        start["headers"] = [*_ANSWER_HEADERS, (b"content-length", str(len(answer)).encode())]
        await send(start)
        await send({"type": "http.response.body", "body": answer})
