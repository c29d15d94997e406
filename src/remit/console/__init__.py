"""The web console: where legal and trust-and-safety staff record, review and watch enforcement.

Server-rendered pages (Jinja2 templates, plain forms, one small script for the live view), served
beside the API by ``remit serve`` at ``/``::

    app = create_app(node, settings, routes=console_routes(node, settings))

Users sign in with the API's users and roles, by password (``remit user passwd``) or API token.
Every change is made by the same functions the API uses, so the rules are the API's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from remit.api import Node, Settings
from remit.console import _appeals, _live, _orders, _signin, _transparency
from remit.console._auth import Sessions
from remit.console._orders import CHECKLIST
from remit.console._passwords import check_new_password, hash_password, verify_password
from remit.console._throttle import SigninLimits
from remit.console._web import Console, Handler, environment, page_handler, redirect
from remit.errors import InvalidInput
from remit.store import Store, console_store_for

__all__ = [
    "check_new_password",
    "console_routes",
    "hash_password",
    "set_password",
    "verify_password",
]


def set_password(store: Store, name: str, password: str, *, now: datetime) -> None:
    """Set ``name``'s console password (hashed) and sign them out everywhere."""
    console_store_for(store).set_password(name, hash_password(password), now)


def console_routes(
    node: Node,
    settings: Settings | None = None,
    *,
    session_hours: float = 8.0,
    sse_seconds: float = 25.0,
    sse_interval: float = 1.0,
    signin_failures: int = 5,
    signin_address_failures: int = 20,
    signin_window_minutes: float = 15.0,
    signin_lockout_minutes: float = 15.0,
    review_requires: Collection[str] | None = None,
) -> list[BaseRoute]:
    """The console's routes, for ``create_app(..., routes=...)``.

    ``session_hours``: how long a sign-in lasts. ``sse_seconds``: how long one live-view stream
    lasts before the browser reconnects; ``sse_interval``: how often it looks for changes.
    ``signin_failures`` failed sign-ins for one user name, or ``signin_address_failures`` from
    one client address, within ``signin_window_minutes``, and further sign-ins for that name or
    from that address are refused for ``signin_lockout_minutes``. ``review_requires``: the
    review's questions (names of :class:`remit.orders.Checklist`'s fields) a reviewer must
    answer before approving; None: all of them.
    """
    required = frozenset(CHECKLIST if review_requires is None else review_requires)
    unknown = sorted(required - set(CHECKLIST))
    if unknown:
        raise InvalidInput(
            f"review_requires: {', '.join(unknown)} is not a question of the review "
            f"({', '.join(CHECKLIST)})",
            field="review_requires",
        )
    limits = SigninLimits(
        per_user=signin_failures,
        per_address=signin_address_failures,
        window=timedelta(minutes=signin_window_minutes),
        lockout=timedelta(minutes=signin_lockout_minutes),
    )
    sessions = Sessions(node, console_store_for(node.store), timedelta(hours=session_hours), limits)
    console = Console(
        node, settings or Settings(), sessions, environment(), sse_seconds, sse_interval, required
    )

    def page(path: str, handler: Handler, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(path, page_handler(console, handler), methods=list(methods))

    async def home(console: Console, request: Request) -> Response:
        return redirect("/orders")

    return [
        page("/", home),
        page("/signin", _signin.signin_form),
        page("/signin", _signin.signin, ("POST",)),
        page("/signout", _signin.signout, ("POST",)),
        page("/lang/{code}", _signin.language),
        page("/orders", _orders.queue),
        page("/orders/new", _orders.new_form),
        page("/orders/new", _orders.create, ("POST",)),
        page("/orders/{id}", _orders.order_page),
        page("/orders/{id}/document", _orders.document),
        page("/orders/{id}/{action}", _orders.act, ("POST",)),
        page("/live", _live.live_page),
        page("/live/panel", _live.live_panel),
        page("/live/events", _live.live_events),
        page("/appeals", _appeals.appeals_page),
        page("/appeals/{id}/decide", _appeals.decide, ("POST",)),
        page("/transparency", _transparency.transparency_page),
        Mount("/static", StaticFiles(packages=[("remit.console", "static")]), name="static"),
    ]
