"""Signing in and out of the console: passwords, API tokens, cookies, CSRF, expiry."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
from pathlib import Path

from console_helpers import PASSWORD, Site, csrf_of

from remit.console import _passwords, set_password, verify_password
from remit.store import console_store_for, open_store


def _post_signin(site: Site, **fields: str) -> tuple[object, object]:
    browser = site.browser()
    page = browser.get("/signin")
    data = {"csrf": csrf_of(page.text), **fields}
    return browser, browser.post("/signin", data=data, follow_redirects=False)


def test_a_password_signs_in_with_a_cookie_scripts_cannot_read(site: Site) -> None:
    browser, answer = _post_signin(site, name="intake", password=PASSWORD, next="/live")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/live"  # type: ignore[attr-defined]
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "remit_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    queue = browser.get("/orders")  # type: ignore[attr-defined]
    assert queue.status_code == 200
    assert "Signed in as intake" in queue.text


def test_an_api_token_signs_in_too(site: Site) -> None:
    browser, answer = _post_signin(site, token=site.tokens["reviewer"])
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "Signed in as reviewer" in browser.get("/orders").text  # type: ignore[attr-defined]


def test_a_wrong_password_or_unknown_name_is_refused_alike_and_keeps_the_name(site: Site) -> None:
    for name in ("intake", "nobody"):
        browser, answer = _post_signin(site, name=name, password="not the password")
        assert answer.status_code == 401  # type: ignore[attr-defined]
        assert "did not sign you in" in answer.text  # type: ignore[attr-defined]
        assert f'value="{name}"' in answer.text  # type: ignore[attr-defined]
        assert "remit_session" not in browser.cookies  # type: ignore[attr-defined]
    assert [e.outcome for e in site.node.store.audit_trail()][:2] == ["refused", "refused"]


def test_signing_in_without_the_forms_csrf_token_is_refused(site: Site) -> None:
    browser = site.browser()
    browser.get("/signin")
    answer = browser.post(
        "/signin", data={"csrf": "forged", "name": "intake", "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert "remit_session" not in browser.cookies
    assert "security token" in answer.text


def test_pages_send_a_stranger_to_sign_in(site: Site) -> None:
    for path in ("/orders", "/orders/new", "/live", "/appeals", "/transparency"):
        answer = site.browser().get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/signin?next={path}"


def test_after_sign_in_the_console_never_sends_you_to_another_site(site: Site) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        _, answer = _post_signin(site, name="intake", password=PASSWORD, next=target)
        assert answer.headers["location"] == "/orders", target  # type: ignore[attr-defined]


def test_signing_out_ends_the_session_for_good(site: Site) -> None:
    browser = site.signed_in("intake")
    cookie = browser.cookies["remit_session"]
    queue = browser.get("/orders")
    assert browser.post("/signout", data={"csrf": "forged"}).status_code == 403
    out = browser.post("/signout", data={"csrf": csrf_of(queue.text)}, follow_redirects=False)
    assert out.headers["location"] == "/signin"
    thief = site.browser()
    thief.cookies.set("remit_session", cookie)
    assert thief.get("/orders", follow_redirects=False).status_code == 303


def test_a_session_expires(site: Site) -> None:
    browser = site.signed_in("intake")
    site.clock.advance(hours=7, minutes=59)
    assert browser.get("/orders", follow_redirects=False).status_code == 200
    site.clock.advance(minutes=2)
    assert browser.get("/orders", follow_redirects=False).status_code == 303


def test_a_new_password_signs_the_user_out_everywhere(site: Site) -> None:
    browser = site.signed_in("intake")
    set_password(site.node.store, "intake", "another long password", now=site.clock())
    assert browser.get("/orders", follow_redirects=False).status_code == 303
    _, refused = _post_signin(site, name="intake", password=PASSWORD)
    assert refused.status_code == 401  # type: ignore[attr-defined]
    _, answer = _post_signin(site, name="intake", password="another long password")
    assert answer.status_code == 303  # type: ignore[attr-defined]


def test_every_page_forbids_framing_and_inline_script(site: Site) -> None:
    answer = site.browser().get("/signin")
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "<script>" not in answer.text


def _old_hash(password: str) -> str:
    """A password's hash as remit made it before 2026-12: scrypt at N = 2**14."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$16384$8$1${b64(salt).decode()}${b64(key).decode()}"


def test_a_password_hashed_at_the_old_cost_signs_in_and_is_stored_at_todays(
    site: Site,
) -> None:
    store = console_store_for(site.node.store)
    old = _old_hash(PASSWORD)
    store.set_password("intake", old, site.clock())
    _, wrong = _post_signin(site, name="intake", password="not the password")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert store.password_hash("intake") == old  # a failed sign-in changes nothing
    _, answer = _post_signin(site, name="intake", password=PASSWORD)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    now = store.password_hash("intake") or ""
    n, r, p = _passwords.COST
    assert now.startswith(f"scrypt${n}${r}${p}$")
    assert now != old
    assert verify_password(PASSWORD, now)
    _, again = _post_signin(site, name="intake", password=PASSWORD)
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert store.password_hash("intake") == now  # at today's cost: left as it is


def test_remit_user_passwd_hashes_with_scrypt_at_n_2_17(tmp_path: Path) -> None:
    """In a process of its own: the tests here set passwords at a lower cost."""
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    remit = [sys.executable, "-m", "remit"]
    for args in (["db", "upgrade"], ["user", "add", "ana", "--role", "reviewer"]):
        subprocess.run([*remit, *args, "--db", db], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [*remit, "user", "passwd", "ana", "--password-stdin", "--db", db],
        input="a long passphrase\n", text=True, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with open_store(db) as store:
        stored = console_store_for(store).password_hash("ana") or ""
    assert stored.startswith("scrypt$131072$8$1$")
    assert verify_password("a long passphrase", stored)
