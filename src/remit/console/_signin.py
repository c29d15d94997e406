"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.console._auth import SIGNIN_COOKIE, CsrfRefused, check_csrf, client_address
from remit.console._cookies import SIGNIN_TTL_S, from_this_origin
from remit.console._i18n import LANG_COOKIE, LANGUAGES, N_
from remit.console._web import Console, redirect, safe_next
from remit.errors import NotFound
from remit.store import AuditEntry

log = logging.getLogger("remit.console")

#: Said alike whether the name exists or not, and whether the name or the address must wait.
TOO_MANY = N_("Too many failed sign-ins. Try again after {time} UTC (in {minutes} min).")


def _signin_page(
    console: Console,
    request: Request,
    *,
    error: str = "",
    error_values: dict[str, object] | None = None,
    name: str = "",
    status: int = 200,
) -> Response:
    token = console.sessions.tokens.issue()
    context = {
        "signin_token": token,
        "error": error,
        "error_values": error_values or {},
        "values": {"name": name},
        "next": safe_next(request.query_params.get("next")),
    }
    response = console.render(request, None, "signin.html", context, status)
    cookie, https = console.sessions.cookie(SIGNIN_COOKIE, request)
    response.set_cookie(
        cookie,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=https,
        max_age=SIGNIN_TTL_S,
    )
    return response


async def signin_form(console: Console, request: Request) -> Response:
    if await console.sessions.viewer(request) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _signin_page(console, request)


async def _known(console: Console, name: str) -> str | None:
    """``name`` when it is a user's, else None. A sign-in that fails is logged and audited under
    the name only when it is one: what was typed may be a password pasted into the wrong field,
    and it is never written down as typed."""
    if not name:
        return None
    try:
        await run_in_threadpool(console.node.store.get_user, name)
    except NotFound:
        return None
    return name


def _as(token: str, known: str | None) -> str:
    if token:
        return "with a token"
    return f"as {known!r}" if known is not None else "with a name that is no user's"


async def _audit(console: Console, who: str, outcome: str) -> None:
    entry = AuditEntry(who, "console sign-in", "", console.node.clock(), outcome)
    await run_in_threadpool(console.node.store.audit, entry)


def _wait(console: Console, request: Request, name: str, until: datetime) -> Response:
    """The 429 page: the form again, saying when to try again (to the minute, rounded up)."""
    seconds = max(1, math.ceil((until - console.node.clock()).total_seconds()))
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)
    values = {"time": shown.strftime("%Y-%m-%d %H:%M"), "minutes": math.ceil(seconds / 60)}
    response = _signin_page(
        console, request, error=TOO_MANY, error_values=values, name=name, status=429
    )
    response.headers["Retry-After"] = str(seconds)
    return response


async def signin(console: Console, request: Request) -> Response:
    if not from_this_origin(request):  # a page of another origin (another port, say) posting
        raise CsrfRefused("a sign-in from another site's page is refused: sign in from this one")
    form = await request.form()
    cookie = request.cookies.get(console.sessions.cookie(SIGNIN_COOKIE, request)[0], "")
    if not console.sessions.tokens.valid(cookie):  # one remit did not issue, or too old
        raise CsrfRefused("the form's security token is missing or stale: reload the page")
    check_csrf(cookie, form.get("csrf"))
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    token = str(form.get("token", "")).strip()
    if not token and not (name and password):
        error = N_("Give your name and password, or an API token.")
        return _signin_page(console, request, error=error, name=name, status=422)
    throttle = console.sessions.throttle
    address = client_address(console.node, request)
    # Counted before the password is checked, so that guesses sent in parallel count too.
    attempt = await run_in_threadpool(throttle.begin, None if token else name, address)
    if attempt.locked_until is not None:
        await run_in_threadpool(throttle.refused, attempt)
        known = await _known(console, name)
        log.warning(
            "console: sign-in %s from %s refused unheard until %s: too many failures",
            _as(token, known),
            address,
            attempt.locked_until.isoformat(),
        )
        await _audit(console, known or "?", "throttled")
        return _wait(console, request, name, attempt.locked_until)
    user = await run_in_threadpool(console.sessions.authenticate, name, password, token)
    if user is not None:
        await _audit(console, user.name, "signed in")
    else:
        known = await _known(console, name)
        await _audit(console, known or "?", "refused")
        until = await run_in_threadpool(throttle.failed, attempt)
        if until is not None:
            log.warning(
                "console: failed sign-in %s from %s: further sign-ins wait until %s",
                _as(token, known),
                address,
                until.isoformat(),
            )
        error = N_("That name and password, or that token, did not sign you in.")
        return _signin_page(console, request, error=error, name=name, status=401)
    await run_in_threadpool(throttle.succeeded, attempt)
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
