"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.console._auth import SIGNIN_COOKIE, check_csrf, new_signin_token
from remit.console._i18n import LANG_COOKIE, LANGUAGES, N_
from remit.console._web import Console, redirect, safe_next
from remit.store import AuditEntry


def _signin_page(
    console: Console, request: Request, *, error: str = "", name: str = "", status: int = 200
) -> Response:
    token = new_signin_token()
    context = {
        "signin_token": token,
        "error": error,
        "values": {"name": name},
        "next": safe_next(request.query_params.get("next")),
    }
    response = console.render(request, None, "signin.html", context, status)
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
        max_age=3600,
    )
    return response


async def signin_form(console: Console, request: Request) -> Response:
    if await console.sessions.viewer(request) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _signin_page(console, request)


async def signin(console: Console, request: Request) -> Response:
    form = await request.form()
    check_csrf(request.cookies.get(SIGNIN_COOKIE, ""), form.get("csrf"))
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    token = str(form.get("token", "")).strip()
    if not token and not (name and password):
        error = N_("Give your name and password, or an API token.")
        return _signin_page(console, request, error=error, name=name, status=422)
    user = await run_in_threadpool(console.sessions.authenticate, name, password, token)
    outcome = "signed in" if user is not None else "refused"
    entry = AuditEntry(
        user.name if user else name or "?", "console sign-in", "", console.node.clock(), outcome
    )
    await run_in_threadpool(console.node.store.audit, entry)
    if user is None:
        error = N_("That name and password, or that token, did not sign you in.")
        return _signin_page(console, request, error=error, name=name, status=401)
    response = redirect(safe_next(str(form.get("next", "")) or None))
    await run_in_threadpool(console.sessions.start, user, response, request)
    return response


async def signout(console: Console, request: Request) -> Response:
    viewer = await console.sessions.viewer(request)
    response = redirect("/signin")
    if viewer is not None:
        form = await request.form()
        check_csrf(viewer.session.csrf, form.get("csrf"))
        await console.sessions.end(request, response)
    return response


async def language(console: Console, request: Request) -> Response:
    code = request.path_params["code"]
    response = redirect(safe_next(request.query_params.get("next")))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
