"""The HTTP API: routes, roles, bodies and errors. Versioned under /v1; OpenAPI at /openapi.json."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from remit import orders
from remit.api import _schemas as s
from remit.api._convert import checklist_in, decision_out, order_in, order_out
from remit.api._metrics import Metrics
from remit.api._node import Node, new_id
from remit.api._problems import HTTPProblem, from_error, problem
from remit.errors import InvalidInput
from remit.location import Location
from remit.orders import Status
from remit.policy import Decision, Resource
from remit.store import AuditEntry, Role, User

JSON = "application/json"
T = TypeVar("T")
Handler = Callable[["Call"], Awaitable[Response]]


@dataclass(frozen=True)
class Settings:
    """What the API needs to know beyond the node."""

    max_document_bytes: int = 10 * 1024 * 1024

    @property
    def max_body_bytes(self) -> int:
        # base64 grows the document by 4/3; leave room for the rest of the order.
        return self.max_document_bytes * 4 // 3 + 1024 * 1024


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
        content_type = self.header(b"content-type")
        if content_type.split(";")[0].strip().lower() != JSON:
            raise HTTPProblem("unsupported-media-type", f"send {JSON}, not {content_type!r}")
        limit = self.settings.max_body_bytes
        declared = self.header(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise HTTPProblem("too-large", f"the body is over {limit} bytes")
        if declared and declared.isdigit():  # the length is known and allowed: read it at once
            return msgspec.json.decode(await self.request.body(), type=kind)
        chunks, size = [], 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPProblem("too-large", f"the body is over {limit} bytes")
            chunks.append(chunk)
        return msgspec.json.decode(b"".join(chunks), type=kind)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``value`` as a JSON answer (msgspec-encoded)."""
    return Response(msgspec.json.encode(value), status, headers=headers, media_type=JSON)


_json = json_response


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


# Handlers -------------------------------------------------------------------------------------


def record_order(node: Node, settings: Settings, body: s.OrderIn, actor: str) -> orders.Order:
    """Record a demand as received by ``actor``: the API and the console both record this way."""
    if body.document is not None and len(body.document.content) > settings.max_document_bytes:
        raise HTTPProblem(
            "too-large",
            f"document.content: over the limit of {settings.max_document_bytes} bytes",
            "document.content",
        )
    kwargs, content = order_in(body, order_id=new_id("ord"), actor=actor)
    order = orders.record(now=node.clock(), **kwargs)  # type: ignore[arg-type]
    return node.record(order, content)


async def create_order(call: Call) -> Response:
    body = await call.body(s.OrderIn)
    order = await run_in_threadpool(record_order, call.node, call.settings, body, call.actor)
    location = f"/v1/orders/{order.id}"
    return _json(s.CreatedOut(order.id, order.status.value), 201, {"Location": location})


async def list_orders(call: Call) -> Response:
    query = call.request.query_params
    status = query.get("status")
    if status is not None and status not in {x.value for x in Status}:
        raise InvalidInput(f"status: {status!r} is not an order status", field="status")
    jurisdiction = query.get("jurisdiction")
    if jurisdiction is not None:
        from remit import jurisdictions

        jurisdiction = jurisdictions.get(jurisdiction, field="jurisdiction").code
    limit_text = query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise InvalidInput("limit: must be a whole number from 1 to 1000", field="limit")
    limit = int(limit_text)
    found = await run_in_threadpool(
        lambda: call.node.store.list_orders(
            status=None if status is None else Status(status),
            jurisdiction=jurisdiction,
            limit=limit,
            after=query.get("after"),
        )
    )
    nxt = found[-1].id if len(found) == limit else None
    return _json(s.OrderListOut([order_out(o) for o in found], nxt))


async def get_order(call: Call) -> Response:
    order = await run_in_threadpool(call.node.store.get_order, call.params["id"])
    return _json(order_out(order))


async def get_document(call: Call) -> Response:
    order = await run_in_threadpool(call.node.store.get_order, call.params["id"])
    if order.document is None:
        raise HTTPProblem("not-found", f"order {order.id} has no document")
    content = await run_in_threadpool(call.node.store.get_document, order.id)
    headers = {"X-Content-SHA256": order.document.sha256}
    return Response(content, 200, headers=headers, media_type=order.document.media_type)


Step = Callable[[orders.Order, datetime], orders.Order]


def step_for(action: str, body: Any, actor: str) -> Step:
    """The lifecycle step ``action`` (``approve``, ``reject``, …) with ``body``'s fields (its
    Struct from ``_schemas``), by ``actor``: for :meth:`Node.act`. The API and the console both
    change orders through this, so four eyes, narrowing and every other rule hold in both."""
    if action == "approve":
        return lambda o, now: orders.approve(
            o,
            actor=actor,
            now=now,
            justification=body.justification,
            scope=body.scope,
            checklist=checklist_in(body.checklist),
        )
    if action == "reject":
        return lambda o, now: orders.reject(
            o, actor=actor, now=now, reason=body.reason, checklist=checklist_in(body.checklist)
        )
    if action == "lift":
        return lambda o, now: orders.lift(o, actor=actor, now=now, reason=body.reason)
    if action == "clarify":
        return lambda o, now: orders.clarify(o, actor=actor, now=now, question=body.question)
    if action == "answer":
        return lambda o, now: orders.answer(o, actor=actor, now=now, answer=body.answer)
    if action == "review":
        return lambda o, now: orders.start_review(o, actor=actor, now=now, reason=body.reason)
    raise InvalidInput(f"action: {action!r} is not a step of the order lifecycle", field="action")


#: The body each lifecycle step takes.
STEP_BODIES: dict[str, type[Any]] = {
    "approve": s.ApproveIn,
    "reject": s.RejectIn,
    "lift": s.LiftIn,
    "clarify": s.ClarifyIn,
    "answer": s.AnswerIn,
    "review": s.ReviewIn,
}


def _transition(action: str) -> Handler:
    async def handler(call: Call) -> Response:
        body = await call.body(STEP_BODIES[action])
        step = step_for(action, body, call.actor)
        order = await run_in_threadpool(call.node.act, call.params["id"], step)
        return _json(order_out(order))

    return handler


approve = _transition("approve")
reject = _transition("reject")
lift = _transition("lift")
clarify = _transition("clarify")
answer = _transition("answer")
review = _transition("review")


def locate_participant(node: Node, ip: str | None, phone: str | None) -> Location:
    """Where a participant is; a bad signal is an error naming ``participant.ip``/``.phone``."""
    try:
        return node.locator.locate(ip=ip, phone=phone)
    except InvalidInput as exc:
        field = f"participant.{exc.field}"
        raise type(exc)(f"participant.{exc.message}", field=field) from exc


def admit(node: Node, metrics: Metrics, body: s.AdmissionIn) -> bytes:
    """Decide one join from memory and count it: the JSON answer of ``/v1/admissions``."""
    started = time.perf_counter()
    participant = body.participant
    location = locate_participant(node, participant.ip, participant.phone)
    r = body.resource
    decision = node.snapshot.index.decide(location, Resource(r.type, r.id, r.host), participant.id)
    metrics.decided(decision.allowed, time.perf_counter() - started)
    return _encoded(decision)


async def admissions(call: Call) -> Response:
    return Response(admit(call.node, call.metrics, await call.body(s.AdmissionIn)), media_type=JSON)


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


async def list_audit(call: Call) -> Response:
    entries = await run_in_threadpool(call.node.store.audit_trail)
    return _json(
        s.AuditListOut([s.AuditOut(e.actor, e.action, e.subject, e.at, e.outcome) for e in entries])
    )


async def healthz(call: Call) -> Response:
    snapshot = call.node.snapshot
    age = round(time.monotonic() - snapshot.built, 3)
    return _json(s.HealthOut("ok", len(snapshot.index), age))


async def metrics(call: Call) -> Response:
    text = await run_in_threadpool(generate_latest, call.metrics.registry)
    return Response(text, 200, media_type=CONTENT_TYPE_LATEST)


READ = frozenset({Role.INTAKE, Role.REVIEWER, Role.AUDITOR})
ID = "{id}"

REVIEWER = frozenset({Role.REVIEWER})


def _e(method: str, path: str, handler: Handler, summary: str, **kw: Any) -> Endpoint:
    return Endpoint(method, path, handler, summary, kw.pop("roles", None), **kw)


ENDPOINTS: tuple[Endpoint, ...] = (
    _e("POST", "/v1/orders", create_order, "Record a demand as received",
       roles=frozenset({Role.INTAKE}), body=s.OrderIn, response=s.CreatedOut, status=201,
       audit=True),
    _e("GET", "/v1/orders", list_orders, "List orders", roles=READ, response=s.OrderListOut,
       query=(
           ("status", "string", "Only orders in this status"),
           ("jurisdiction", "string", "Only orders of authorities with this jurisdiction"),
           ("limit", "integer", "At most this many (1-1000, default 100)"),
           ("after", "string", "Continue after this order id (the previous page's `next`)"),
       )),
    _e("GET", f"/v1/orders/{ID}", get_order, "One order with its full history", roles=READ,
       response=s.OrderOut),
    _e("GET", f"/v1/orders/{ID}/document", get_document, "The original document as received",
       roles=READ, media_type="application/octet-stream"),
    _e("POST", f"/v1/orders/{ID}/review", review, "Start reviewing an order", roles=REVIEWER,
       body=s.ReviewIn, response=s.OrderOut, audit=True),
    _e("POST", f"/v1/orders/{ID}/approve", approve,
       "Approve (four eyes: not the recorder), optionally narrowing the scope", roles=REVIEWER,
       body=s.ApproveIn, response=s.OrderOut, audit=True),
    _e("POST", f"/v1/orders/{ID}/reject", reject, "Reject the demand", roles=REVIEWER,
       body=s.RejectIn, response=s.OrderOut, audit=True),
    _e("POST", f"/v1/orders/{ID}/clarify", clarify, "Ask the authority for clarification",
       roles=REVIEWER, body=s.ClarifyIn, response=s.OrderOut, audit=True),
    _e("POST", f"/v1/orders/{ID}/answer", answer, "Record the authority's answer",
       roles=frozenset({Role.INTAKE, Role.REVIEWER}), body=s.AnswerIn, response=s.OrderOut,
       audit=True),
    _e("POST", f"/v1/orders/{ID}/lift", lift, "Lift an approved or active order",
       roles=REVIEWER, body=s.LiftIn, response=s.OrderOut, audit=True),
    _e("POST", "/v1/admissions", admissions, "Decide one join: allow or deny, and why",
       roles=frozenset({Role.PLATFORM}), body=s.AdmissionIn, response=s.AdmissionOut),
    _e("GET", "/v1/audit", list_audit, "The latest mutating calls, newest first",
       roles=frozenset({Role.AUDITOR}), response=s.AuditListOut),
    _e("GET", "/healthz", healthz, "Liveness, and the decision index's size and age",
       response=s.HealthOut),
    _e("GET", "/metrics", metrics, "Prometheus metrics", media_type="text/plain"),
)  # fmt: skip


# The public transparency endpoints live in their own module, which builds on this one.
from remit.api._log_routes import LOG_ENDPOINTS  # noqa: E402

ENDPOINTS += LOG_ENDPOINTS

from remit.api._sessions import SESSION_ENDPOINTS  # noqa: E402

ENDPOINTS += SESSION_ENDPOINTS

from remit.api._appeals import APPEAL_ENDPOINTS  # noqa: E402

ENDPOINTS += APPEAL_ENDPOINTS


def bearer(node: Node, authorization: str) -> User:
    """The user holding the bearer token of an Authorization header, or a 401 problem."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPProblem("unauthorized", "send Authorization: Bearer <token>")
    user = node.user_for_token(token.strip())
    if user is None:
        raise HTTPProblem("unauthorized", "the token is not valid")
    return user


def permits(user: User, roles: frozenset[Role] | None) -> bool:
    """Whether ``user`` holds one of ``roles`` or is an admin (None: a public operation)."""
    return roles is None or not user.roles.isdisjoint(roles) or Role.ADMIN in user.roles


def allowed(user: User, roles: frozenset[Role]) -> None:
    """A 403 problem unless ``user`` holds one of ``roles`` (or is an admin)."""
    if not permits(user, roles):
        need = " or ".join(sorted(r.value for r in roles))
        raise HTTPProblem("forbidden", f"this needs the role {need}")


def endpoint_roles(method: str, path: str) -> frozenset[Role] | None:
    """The roles the API's operation ``method path`` needs (None: public). The console asks
    this for the page that does the same thing, so both enforce the same roles."""
    for endpoint in ENDPOINTS:
        if endpoint.method == method and endpoint.path == path:
            return endpoint.roles
    raise KeyError(f"no API operation {method} {path}")


def _authenticate(call: Call, endpoint: Endpoint) -> None:
    assert endpoint.roles is not None
    call.user = bearer(call.node, call.header(b"authorization"))
    allowed(call.user, endpoint.roles)


def _bind(
    node: Node, settings: Settings, metrics: Metrics, endpoint: Endpoint
) -> Callable[[Request], Awaitable[Response]]:
    allowed_query = {name for name, _, _ in endpoint.query}

    async def endpoint_fn(request: Request) -> Response:
        call = Call(request, node, settings, metrics, None, dict(request.path_params))
        try:
            unknown = request.scope["query_string"] and set(request.query_params) - allowed_query
            if unknown:
                name = sorted(unknown)[0]
                raise InvalidInput(f"{name}: not a query parameter of this operation", field=name)
            if endpoint.roles is not None:
                _authenticate(call, endpoint)
            response = await endpoint.handler(call)
        except Exception as exc:  # every error becomes a problem document, never a 500 page
            response = from_error(exc, f"{endpoint.method} {endpoint.path}")
        if endpoint.audit and call.user is not None:
            entry = AuditEntry(
                actor=call.user.name,
                action=f"{endpoint.method} {endpoint.path}",
                subject=call.params.get("id", ""),
                at=node.clock(),
                outcome=str(response.status_code),
            )
            try:
                await run_in_threadpool(node.store.audit, entry)
            except Exception as exc:
                return from_error(exc, f"{endpoint.method} {endpoint.path}")
        return response

    return endpoint_fn


def _dispatch(
    methods: dict[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    """One route per path, so that a 405's ``Allow`` lists every method of the path."""
    if len(methods) == 1:
        return next(iter(methods.values()))

    async def dispatch(request: Request) -> Response:
        return await methods[request.method](request)

    return dispatch


def create_app(
    node: Node,
    settings: Settings | None = None,
    *,
    endpoints: Sequence[Endpoint] = (),
    routes: Sequence[BaseRoute] = (),
) -> RemitApp:
    """The ASGI app serving ``node``. The caller starts and stops the node.

    ``endpoints`` are more API operations (the connectors' own, such as a token broker), served
    and documented like the built-in ones; ``routes`` are other Starlette routes (the console's
    pages), tried after the API's.
    """
    from remit.api._openapi import openapi

    settings = settings or Settings()
    metrics = Metrics(node.store)
    every = (*ENDPOINTS, *endpoints)
    by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for e in every:
        by_path.setdefault(e.path, {})[e.method] = _bind(node, settings, metrics, e)
    # Starlette tries routes in order: the one every join takes goes first.
    hot = sorted(by_path, key=lambda path: path != "/v1/admissions")
    table: list[BaseRoute] = [
        Route(path, _dispatch(by_path[path]), methods=list(by_path[path])) for path in hot
    ]
    document = msgspec.json.encode(openapi(every))

    async def spec(request: Request) -> Response:
        return Response(document, media_type=JSON)

    table.append(Route("/openapi.json", spec, methods=["GET"]))
    table.extend(routes)

    async def not_found(request: Request, exc: Exception) -> Response:
        return problem("not-found", f"no route {request.method} {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        response = problem("not-allowed", f"{request.method} is not allowed on {request.url.path}")
        allow = getattr(exc, "headers", None) or {}
        if "Allow" in allow:
            response.headers["Allow"] = allow["Allow"]
        return response

    app = Starlette(routes=table, exception_handlers={404: not_found, 405: not_allowed})
    app.state.node = node
    app.state.metrics = metrics
    return RemitApp(app, node, settings, metrics)


#: The largest admission request the hot path reads (a join is a few hundred bytes).
MAX_ADMISSION_BYTES = 64 * 1024
_ANSWER_HEADERS = [(b"content-type", JSON.encode())]
_PLATFORM = frozenset({Role.PLATFORM})


class RemitApp:
    """The API as an ASGI app. Every join's admission is answered here, on raw ASGI messages
    with the same checks, errors and counting as the routed handler (shared functions); the rest
    goes through Starlette's router. Any error takes the ordinary problem-document path.
    """

    def __init__(self, app: Starlette, node: Node, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self._node = node
        self._settings = settings
        self._metrics = metrics

    @property
    def state(self) -> Any:
        """The Starlette app's state (``node``, ``metrics``)."""
        return self.app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/v1/admissions"
            and not scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        try:
            headers = dict(scope["headers"])
            allowed(
                bearer(self._node, headers.get(b"authorization", b"").decode("latin-1")), _PLATFORM
            )
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if content_type.split(";")[0].strip().lower() != JSON:
                raise HTTPProblem("unsupported-media-type", f"send {JSON}, not {content_type!r}")
            # A join is a few hundred bytes: the hot path never buffers an order-sized body.
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > MAX_ADMISSION_BYTES:
                raise HTTPProblem("too-large", f"the body is over {MAX_ADMISSION_BYTES} bytes")
            body = await _read(receive, MAX_ADMISSION_BYTES)
            answer = admit(self._node, self._metrics, msgspec.json.decode(body, type=s.AdmissionIn))
        except Exception as exc:  # the same problem documents as the routed handler
            await from_error(exc, "POST /v1/admissions")(scope, receive, send)
            return
        start = {"type": "http.response.start", "status": 200}
        start["headers"] = [*_ANSWER_HEADERS, (b"content-length", str(len(answer)).encode())]
        await send(start)
        await send({"type": "http.response.body", "body": answer})


async def _read(receive: Any, limit: int) -> bytes:
    """The whole request body, refused past ``limit`` bytes."""
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
