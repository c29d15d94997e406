"""Signing in to the console: password or API token, a session cookie, CSRF tokens, roles.

The cookie holds a random session id; the database holds only its SHA-256, who it belongs to,
when it ends and the session's CSRF token. Every form carries that token and every POST is
refused without it (the sign-in form, which has no session yet, uses a signed double-submit
cookie). Cookies are HttpOnly and SameSite=Strict, and over https Secure and named with the
``__Host-`` prefix (see :mod:`remit.console._cookies`).
Roles are the API's: a page asks :func:`remit.api.endpoint_roles` what the API operation doing
the same thing needs, and checks it with the same function. Sign-in attempts are throttled per
user name and per client address (:mod:`remit.console._throttle`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.api import HTTPProblem, Node, allowed, endpoint_roles, permits
from remit.console._cookies import SigninTokens, cookie_name, is_https
from remit.console._passwords import hash_password, needs_rehash, verify_password
from remit.console._throttle import SigninLimits, Throttle
from remit.errors import InvalidInput, NotFound
from remit.store import ConsoleSession, ConsoleStore, User

SESSION_COOKIE = "remit_session"
SIGNIN_COOKIE = "remit_signin"
CSRF_FIELD = "csrf"


class SignInRequired(Exception):
    """The page needs a signed-in user: the browser is sent to the sign-in page."""


class Forbidden(Exception):
    """The signed-in user lacks the role the page needs (the message says which)."""


class CsrfRefused(Exception):
    """A POST without the form's CSRF token: refused, nothing changed."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: the user and their console session."""

    user: User
    session: ConsoleSession

    @property
    def name(self) -> str:
        return self.user.name

    def may(self, method: str, path: str) -> bool:
        """Whether the API would let this user call ``method path`` (to show or hide a form)."""
        return permits(self.user, endpoint_roles(method, path))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Sessions:
    """Starts, finds and ends console sessions for one node."""

    def __init__(
        self,
        node: Node,
        store: ConsoleStore,
        ttl: timedelta,
        limits: SigninLimits | None = None,
    ) -> None:
        self.node = node
        self.store = store
        self.ttl = ttl
        self.throttle = Throttle(store, limits or SigninLimits(), node.clock)
        #: The sign-in form's tokens, keyed from the log key: alike on every node.
        self.tokens = SigninTokens(None if node.log is None else node.log.signer)

    def cookie(self, base: str, request: Request) -> tuple[str, bool]:
        """The name of cookie ``base`` for this request, and whether it is over https."""
        https = is_https(self.node, request)
        return cookie_name(base, https), https

    def authenticate(self, name: str, password: str, token: str) -> User | None:
        """The user a password (with their name) or an API token signs in, else None."""
        if token:
            user = self.node.user_for_token(token.strip())
            return user if user is not None and not user.disabled else None
        try:
            user = self.node.store.get_user(name)
        except NotFound:  # an unknown name: still spend the time a password check takes
            verify_password(password, None)
            return None
        stored = self.store.password_hash(name)
        if user.disabled or not verify_password(password, stored):
            return None
        if stored is not None and needs_rehash(stored):
            # Made at an older, lower cost: stored again at today's, now that it is known.
            with contextlib.suppress(InvalidInput):  # a password today's rules refuse: kept
                self.store.set_password(name, hash_password(password), self.node.clock())
        return user

    def start(self, user: User, response: Response, request: Request) -> None:
        """Start a session for ``user`` and set its cookie on ``response``."""
        cookie = secrets.token_urlsafe(32)
        now = self.node.clock()
        self.store.end_expired(now)
        session = ConsoleSession(
            _digest(cookie), user.name, secrets.token_urlsafe(32), now, now + self.ttl
        )
        self.store.add_session(session)
        name, https = self.cookie(SESSION_COOKIE, request)
        response.set_cookie(
            name,
            cookie,
            max_age=int(self.ttl.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=https,
            path="/",
        )
        response.delete_cookie(self.cookie(SIGNIN_COOKIE, request)[0], path="/", secure=https)

    async def viewer(self, request: Request) -> Viewer | None:
        """The signed-in viewer of ``request``, or None (no cookie, unknown, expired, disabled)."""
        cookie = request.cookies.get(self.cookie(SESSION_COOKIE, request)[0])
        if not cookie:
            return None
        session = await run_in_threadpool(self.store.get_session, _digest(cookie))
        if session is None or session.expires_at <= self.node.clock():
            return None
        try:
            user = await run_in_threadpool(self.node.store.get_user, session.user)
        except NotFound:
            return None
        return None if user.disabled else Viewer(user, session)

    async def end(self, request: Request, response: Response) -> None:
        """Sign out: forget the session and clear its cookie."""
        name, https = self.cookie(SESSION_COOKIE, request)
        cookie = request.cookies.get(name)
        if cookie:
            await run_in_threadpool(self.store.end_session, _digest(cookie))
        response.delete_cookie(name, path="/", secure=https)


def client_address(node: Node, request: Request) -> str:
    """Where a request comes from, for throttling sign-in: the client's address behind the
    proxies the node trusts (``--trusted-proxy``), an IPv6 address as its /64 (one subscriber
    usually has a whole /64), or the peer as given when it is not an address."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.getlist("x-forwarded-for")
    try:
        found = node.locator.client_ip(peer, ",".join(forwarded) if forwarded else None)
    except InvalidInput:  # a peer that is not an address (a test client), a malformed header
        return peer or "unknown"
    address = ipaddress.ip_address(found)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return found


def check_csrf(expected: str, given: object) -> None:
    """Refuse a form whose CSRF token is missing or is not ``expected``."""
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise CsrfRefused("the form's security token is missing or stale: reload the page")


def require(viewer: Viewer | None, method: str, path: str) -> Viewer:
    """The viewer, when they may do what the API operation ``method path`` does."""
    if viewer is None:
        raise SignInRequired()
    roles = endpoint_roles(method, path)
    if roles is not None:
        try:
            allowed(viewer.user, roles)
        except HTTPProblem as exc:
            raise Forbidden(exc.detail) from exc
    return viewer
