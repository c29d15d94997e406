"""The API assembled: every group of operations in one table, routed by Starlette behind the
admissions fast path. Versioned under /v1; OpenAPI at /openapi.json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from remit.api._admissions import ADMISSION_ENDPOINTS, PATH, RemitApp
from remit.api._appeals import APPEAL_ENDPOINTS
from remit.api._commands import COMMAND_ENDPOINTS
from remit.api._endpoint import JSON, Endpoint, Settings, bind
from remit.api._impact import IMPACT_ENDPOINTS
from remit.api._log_routes import LOG_ENDPOINTS
from remit.api._metrics import Metrics
from remit.api._node import Node
from remit.api._openapi import openapi
from remit.api._orders import ORDER_ENDPOINTS
from remit.api._problems import problem
from remit.api._sessions import SESSION_ENDPOINTS
from remit.api._status import STATUS_ENDPOINTS
from remit.store import Role

#: Every built-in operation, in the order the OpenAPI document lists them.
ENDPOINTS: tuple[Endpoint, ...] = (
    *ORDER_ENDPOINTS,
    *ADMISSION_ENDPOINTS,
    *STATUS_ENDPOINTS,
    *LOG_ENDPOINTS,
    *SESSION_ENDPOINTS,
    *COMMAND_ENDPOINTS,
    *IMPACT_ENDPOINTS,
    *APPEAL_ENDPOINTS,
)


def endpoint_roles(method: str, path: str) -> frozenset[Role] | None:
    """The roles the API's operation ``method path`` needs (None: public). The console asks
    this for the page that does the same thing, so both enforce the same roles."""
    for endpoint in ENDPOINTS:
        if endpoint.method == method and endpoint.path == path:
            return endpoint.roles
    raise KeyError(f"no API operation {method} {path}")


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
    settings = settings or Settings()
    metrics = Metrics(
        node.store,
        node.locator,
        roster=lambda: None if node.enforcer is None else node.enforcer.roster.stats,
    )
    every = (*ENDPOINTS, *endpoints)
    by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for e in every:
        by_path.setdefault(e.path, {})[e.method] = bind(node, settings, metrics, e)
    # Starlette tries routes in order: the one every join takes goes first.
    hot = sorted(by_path, key=lambda path: path != PATH)
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
    # The roster's writes, which every join, leave and move takes, skip the router.
    direct = {(e.method, e.path): by_path[e.path][e.method] for e in SESSION_ENDPOINTS}
    return RemitApp(app, node, settings, metrics, direct)
