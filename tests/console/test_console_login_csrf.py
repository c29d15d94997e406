"""Login CSRF by cookie tossing: a page of another origin (another port of the same host, say)
that sets the sign-in cookie and posts /signin cannot sign a victim in as the attacker.

Over https the console's cookies are ``__Host-`` cookies, which only a secure page of this very
host can set; the sign-in form's token is signed by remit and expires; and a POST the browser
marks as coming from another origin is refused, whatever token it carries."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from console_helpers import PASSWORD, Site, csrf_of
from starlette.requests import Request
from starlette.testclient import TestClient

from remit.console._cookies import SIGNIN_TTL_S, SigninTokens, is_https
from remit.location import TrustedProxies
from remit.transparency.note import Signer

ATTACKER = "http://127.0.0.1:8666"  # another port of remit's host


def _signin_as_attacker(browser: TestClient, token: str, **headers: str) -> Any:
    """The attacker's page posting its own credentials to remit, as the victim's browser."""
    data = {"csrf": token, "name": "intake", "password": PASSWORD}
    return browser.post("/signin", data=data, headers=headers, follow_redirects=False)


def test_a_post_from_another_origins_page_is_refused_even_with_a_token_remit_issued(
    site: Site,
) -> None:
    # The attacker fetched a real form (and its cookie) from remit, and tossed that cookie into
    # the victim's browser from their page on another port.
    attacker = site.browser()
    token = csrf_of(attacker.get("/signin").text)
    victim = site.browser()
    victim.cookies.set("remit_signin", token)
    for headers in (
        {"Sec-Fetch-Site": "same-site", "Origin": ATTACKER},  # today's browsers
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": ATTACKER},  # a browser without fetch metadata
        {"Origin": "null"},  # a sandboxed page
    ):
        answer = _signin_as_attacker(victim, token, **headers)
        assert answer.status_code == 403, headers
        assert "remit_session" not in victim.cookies
    assert [e.outcome for e in site.node.store.audit_trail()] == []  # never got as far


def test_a_cookie_remit_did_not_issue_is_refused(site: Site) -> None:
    victim = site.browser()
    victim.cookies.set("remit_signin", "chosen-by-the-attacker")
    answer = _signin_as_attacker(victim, "chosen-by-the-attacker")
    assert answer.status_code == 403
    assert "remit_session" not in victim.cookies


def test_a_token_is_remits_own_for_an_hour_and_every_node_of_the_deployment_knows_it() -> None:
    now = [1_000_000.0]
    signer = Signer.generate("remit.test/log")
    node_a = SigninTokens(signer, clock=lambda: now[0])
    node_b = SigninTokens(Signer.from_private_key(signer.private_key()), clock=lambda: now[0])
    token = node_a.issue()
    assert node_b.valid(token)  # the same log key: another node checks it alike
    assert not SigninTokens(Signer.generate("other/log"), clock=lambda: now[0]).valid(token)
    nonce, issued, mac = token.split(".")
    assert not node_a.valid(f"{nonce}.{int(issued) + 1}.{mac}")  # a changed time
    assert not node_a.valid(f"other.{issued}.{mac}")
    assert not node_a.valid("chosen-by-the-attacker")
    now[0] += SIGNIN_TTL_S
    assert node_a.valid(token)
    now[0] += 1
    assert not node_a.valid(token)  # older than its cookie


def test_the_consoles_own_form_still_signs_in(site: Site) -> None:
    browser = site.browser()
    token = csrf_of(browser.get("/signin").text)
    own = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    answer = _signin_as_attacker(browser, token, **own)
    assert answer.status_code == 303, answer.text
    assert "remit_session" in browser.cookies


def test_over_https_the_cookies_are_host_only_and_a_plain_one_is_ignored(site: Site) -> None:
    browser = TestClient(site.app, base_url="https://testserver")
    page = browser.get("/signin")
    set_cookie = page.headers["set-cookie"]
    assert set_cookie.startswith("__Host-remit_signin=")
    assert "Secure" in set_cookie
    assert "Path=/" in set_cookie
    assert "Domain" not in set_cookie
    token = csrf_of(page.text)
    # A cookie tossed by a page of another origin can only be a plain one: ignored over https.
    tossed = TestClient(site.app, base_url="https://testserver")
    tossed.cookies.set("remit_signin", token)
    assert _signin_as_attacker(tossed, token).status_code == 403
    answer = _signin_as_attacker(browser, token)
    assert answer.status_code == 303, answer.text
    session = answer.headers["set-cookie"]
    assert session.startswith("__Host-remit_session=")
    assert "Secure" in session
    assert "Signed in as intake" in browser.get("/orders").text
    browser.close()
    tossed.close()


def _request(peer: str, **headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "scheme": "http",
            "method": "GET",
            "path": "/",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": (peer, 50000),
            "server": ("remit.example", 80),
        }
    )


def test_https_behind_a_proxy_is_believed_from_a_trusted_proxy_only() -> None:
    node: Any = SimpleNamespace(
        locator=SimpleNamespace(trusted_proxies=TrustedProxies(["10.0.0.1"]))
    )
    assert is_https(node, _request("10.0.0.1", **{"X-Forwarded-Proto": "https"}))
    assert not is_https(node, _request("192.0.2.9", **{"X-Forwarded-Proto": "https"}))
    assert not is_https(node, _request("10.0.0.1", **{"X-Forwarded-Proto": "http"}))
    assert not is_https(node, _request("10.0.0.1"))
