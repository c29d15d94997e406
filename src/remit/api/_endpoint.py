"""The endpoint machinery: an operation (:class:`Endpoint`), the request its handler sees
(:class:`Call`), the checks every request body passes, and the wrapper that authenticates,
answers errors as problem documents and writes the audit trail (:func:`bind`).

The raw admissions path (:mod:`remit.api._admissions`) reads its body with the same checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit._checks import ascii_digits
from remit.api._auth import allowed, bearer
from remit.api._metrics import Metrics
from remit.api._node import Node
from remit.api._problems import HTTPProblem, from_error
from remit.enforcement import Enforcer
from remit.errors import InvalidInput
from remit.policy import ResourceTypes
from remit.store import AuditEntry, Role, User
from remit.transparency import TransparencyLog

JSON = "application/json"
T = TypeVar("T")
Handler = Callable[["Call"], Awaitable[Response]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


@dataclass(frozen=True)
class Settings:
    """What the API needs to know beyond the node."""

    max_document_bytes: int = 10 * 1024 * 1024
    #: What joins, sessions and orders' targets may name (``remit serve --resource-types``).
    resource_types: ResourceTypes = field(default_factory=ResourceTypes)

    @property
    def max_body_bytes(self) -> int:
        # base64 grows the document by 4/3; leave room for the rest of the order.
        return self.max_document_bytes * 4 // 3 + 1024 * 1024


def check_body(content_type: str, declared_length: str, limit: int) -> None:
    """Refuse, unread, a body that is not JSON or that declares more than ``limit`` bytes."""
    if content_type.split(";")[0].strip().lower() != JSON:
        raise HTTPProblem("unsupported-media-type", f"send {JSON}, not {content_type!r}")
    if ascii_digits(declared_length) and int(declared_length) > limit:
        raise HTTPProblem("too-large", f"the body is over {limit} bytes")


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body from ASGI ``receive``, refused past ``limit`` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise HTTPProblem("malformed", "the client went away before the body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPProblem("too-large", f"the body is over {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


@dataclass
class Call:
    """One request, as handlers see it: the node, the caller and the path parameters."""

    request: Request
    node: Node
    settings: Settings
    metrics: Metrics
    user: User | None
    params: dict[str, str] = field(default_factory=dict)
    _headers: dict[bytes, bytes] | None = None

    @property
    def actor(self) -> str:
        assert self.user is not None
        return self.user.name

    def header(self, name: bytes) -> str:
        """A request header by its lower-case name ("" when absent); the list is read once."""
        if self._headers is None:
            self._headers = dict(self.request.scope["headers"])
        return self._headers.get(name, b"").decode("latin-1")

    async def body(self, kind: type[T]) -> T:
        """The JSON body as a ``kind``, checked as every body is (:func:`check_body`)."""
        limit = self.settings.max_body_bytes
        check_body(self.header(b"content-type"), self.header(b"content-length"), limit)
        return msgspec.json.decode(await read_body(self.request.receive, limit), type=kind)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``value`` as a JSON answer (msgspec-encoded)."""
    return Response(msgspec.json.encode(value), status, headers=headers, media_type=JSON)


@dataclass(frozen=True)
class Endpoint:
    """One operation: the route, who may call it, and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role] | None  # None: public
    body: type | None = None
    response: type | None = None
    status: int = 200
    query: tuple[tuple[str, str, str], ...] = ()  # (name, JSON type, description)
    media_type: str = JSON
    audit: bool = False
    #: Other media types a 200 may have, chosen by a query parameter (``format``).
    other_media_types: tuple[str, ...] = ()
    #: Problem kinds (keys of KINDS) this operation may answer beyond those its shape implies.
    problems: tuple[str, ...] = ()


def bind(
    node: Node, settings: Settings, metrics: Metrics, endpoint: Endpoint
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint serving ``endpoint`` on ``node``: unknown query parameters
    refused, the caller authenticated, every error a problem document, the audit trail written."""
    allowed_query = {name for name, _, _ in endpoint.query}
    where = f"{endpoint.method} {endpoint.path}"

    async def endpoint_fn(request: Request) -> Response:
        call = Call(request, node, settings, metrics, None, dict(request.path_params))
        try:
            unknown = request.scope["query_string"] and set(request.query_params) - allowed_query
            if unknown:
                name = sorted(unknown)[0]
                raise InvalidInput(f"{name}: not a query parameter of this operation", field=name)
            if endpoint.roles is not None:
                call.user = bearer(node, call.header(b"authorization"))
                allowed(call.user, endpoint.roles)
            response = await endpoint.handler(call)
        except Exception as exc:  # every error becomes a problem document, never a 500 page
            response = from_error(exc, where)
        if endpoint.audit and call.user is not None:
            entry = AuditEntry(
                actor=call.user.name,
                action=where,
                subject=call.params.get("id", ""),
                at=node.clock(),
                outcome=str(response.status_code),
            )
            try:
                await run_in_threadpool(node.store.audit, entry)
            except Exception as exc:
                return from_error(exc, where)
        return response

    return endpoint_fn


def enforcer_of(node: Node) -> Enforcer:
    """The node's live enforcement, or a 503 problem when it runs none."""
    if node.enforcer is None:
        raise HTTPProblem("unavailable", "live enforcement is not running on this node")
    return node.enforcer


def log_of(node: Node) -> TransparencyLog:
    """The transparency log ``node`` keeps, or a 503 problem when it keeps none."""
    if node.log is None:
        raise HTTPProblem("unavailable", "this node keeps no transparency log")
    return node.log
