"""The console's plumbing: templates, the page context, and turning errors into pages.

Every handler runs inside :func:`page_handler`, so a missing sign-in becomes a redirect, a
missing role or CSRF token a 403 page, an unknown order a 404 page, a database failure a 503
page, and anything unexpected a 500 page that is logged: never a traceback in the browser.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from remit._worldmap import world_map
from remit.api import Node, Settings
from remit.console._auth import (
    CSRF_FIELD,
    CsrfRefused,
    Forbidden,
    Sessions,
    SignInRequired,
    Viewer,
    check_csrf,
)
from remit.console._i18n import (
    LANGUAGES,
    N_,
    error_text,
    history_reason,
    pick,
    translator,
)
from remit.console._places import labelled
from remit.errors import NotFound, StoreError

log = logging.getLogger("remit.console")

#: Headers on every page: no framing, no inline script, nothing cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

NAV = (
    ("/orders", N_("Queue"), ("GET", "/v1/orders")),
    ("/orders/new", N_("New demand"), ("POST", "/v1/orders")),
    ("/live", N_("Live"), ("GET", "/v1/orders")),
    ("/appeals", N_("Appeals"), ("GET", "/v1/appeals")),
    ("/transparency", N_("Transparency"), None),
)


@dataclass
class Console:
    """What every page needs: the node, the API's settings, sessions and the templates."""

    node: Node
    settings: Settings
    sessions: Sessions
    env: Environment
    sse_seconds: float = 25.0
    sse_interval: float = 1.0
    #: The review's questions that must be answered before an approval.
    review_requires: frozenset[str] = frozenset()

    def render(
        self,
        request: Request,
        viewer: Viewer | None,
        template: str,
        context: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Response:
        """The page ``template`` in the viewer's language."""
        language = pick(request)
        translate = translator(language)
        values: dict[str, Any] = {
            "_": translate,
            "reason_text": lambda reason: history_reason(str(reason), translate),
            "error_text": lambda message: error_text(str(message), translate),
            "place": lambda code: labelled(str(code), language),
            "worldmap": lambda *args, **kwargs: Markup(world_map(*args, **kwargs)),
            "lang": language,
            "html_lang": LANGUAGES[language][0],
            "languages": LANGUAGES,
            "viewer": viewer,
            "csrf": viewer.session.csrf if viewer else "",
            "nav": [
                (href, label)
                for href, label, need in NAV
                if viewer is not None and (need is None or viewer.may(*need))
            ],
            "path": request.url.path,
            "here": quote(
                str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
                safe="",
            ),
            "errors": {},
            "values": {},
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status, headers=SECURITY_HEADERS)

    @asynccontextmanager
    async def form(self, request: Request, viewer: Viewer) -> AsyncIterator[dict[str, Any]]:
        """The POSTed form (files included, up to the API's document limit), CSRF-checked;
        its uploaded files are closed when the block ends."""
        # A document kept through a refused form comes back as base64 text: a third larger.
        limit = (self.settings.max_document_bytes + 2) * 4 // 3 + 4
        async with request.form(max_part_size=limit) as form:
            check_csrf(viewer.session.csrf, form.get(CSRF_FIELD))
            yield dict(form.multi_items())


def environment() -> Environment:
    """The templates, autoescaped, failing loudly on a name a template misspells."""
    env = Environment(
        loader=PackageLoader("remit.console", "templates"),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


Handler = Callable[[Console, Request], Awaitable[Response]]


def page_handler(console: Console, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` as a Starlette endpoint, with every error turned into a page."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(console, request)
        except SignInRequired:
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/signin?next={target}", 303, headers=SECURITY_HEADERS)
        except (Forbidden, CsrfRefused) as exc:
            return await _problem(console, request, 403, N_("Not allowed"), str(exc))
        except HTTPException as exc:  # a form the parser refused
            return await _problem(console, request, exc.status_code, N_("Bad request"), exc.detail)
        except NotFound as exc:
            return await _problem(console, request, 404, N_("Not found"), exc.message)
        except StoreError as exc:
            log.warning("console: %s", exc)
            return await _problem(console, request, 503, N_("Unavailable"), exc.message)
        except Exception:
            log.exception("console: unexpected error on %s", request.url.path)
            detail = N_("An unexpected error; it has been logged.")
            return await _problem(console, request, 500, N_("Error"), detail)

    return endpoint


async def _problem(
    console: Console, request: Request, status: int, title: str, detail: str
) -> Response:
    try:
        viewer = await console.sessions.viewer(request)
    except Exception:  # the database may be the problem
        viewer = None
    context = {"title": title, "detail": detail}
    return console.render(request, viewer, "problem.html", context, status)


def redirect(url: str) -> Response:
    """See other: after a form, the browser GETs ``url`` (reloading it repeats nothing)."""
    return RedirectResponse(url, 303, headers=SECURITY_HEADERS)


def safe_next(target: str | None) -> str:
    """A place inside the console to go after signing in: never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/orders"
    return target
