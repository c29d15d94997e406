"""Sign-in is throttled per user name and per client address, on every node alike.

5 failed sign-ins for one name, or 20 from one address, within 15 minutes, and that name or
address waits 15 minutes (the defaults of ``console_routes``), whether the name exists or not.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from console_helpers import PASSWORD, Site, csrf_of
from starlette.testclient import TestClient

from remit.console._throttle import SigninLimits, Throttle, locked_until
from remit.errors import InvalidConfiguration
from remit.store import MemoryConsoleStore, MemoryStore

WRONG = "not the password at all"


def _signin(browser: TestClient, **fields: str) -> Any:
    page = browser.get("/signin")
    data = {"csrf": csrf_of(page.text), **fields}
    return browser.post("/signin", data=data, follow_redirects=False)


def _fail(site: Site, name: str, times: int, address: str = "192.0.2.1") -> None:
    browser = site.browser(address)
    for _ in range(times):
        assert _signin(browser, name=name, password=WRONG).status_code == 401


def test_five_failures_and_even_the_right_password_waits(db_site: Site) -> None:
    site = db_site
    _fail(site, "intake", 5)
    browser = site.browser("192.0.2.2")  # another address: the name itself waits
    answer = _signin(browser, name="intake", password=PASSWORD)
    assert answer.status_code == 429
    assert "Too many failed sign-ins. Try again after 2026-06-04 12:15 UTC (in 15 min)." in (
        answer.text
    )
    assert answer.headers["retry-after"] == str(15 * 60)
    assert answer.headers["cache-control"] == "no-store"
    assert 'value="intake"' in answer.text  # the name is kept
    assert "remit_session" not in browser.cookies
    assert site.node.store.audit_trail()[0].outcome == "throttled"
    site.clock.advance(minutes=14, seconds=30)
    waiting = _signin(browser, name="intake", password=PASSWORD)
    assert waiting.status_code == 429
    assert "(in 1 min)" in waiting.text
    assert waiting.headers["retry-after"] == "30"
    site.clock.advance(seconds=30)
    assert _signin(browser, name="intake", password=PASSWORD).status_code == 303


def test_failures_outside_the_window_are_forgotten(db_site: Site) -> None:
    site = db_site
    _fail(site, "intake", 4)
    site.clock.advance(minutes=15, seconds=1)
    _fail(site, "intake", 4)
    assert _signin(site.browser(), name="intake", password=PASSWORD).status_code == 303


def test_signing_in_clears_the_names_failures(db_site: Site) -> None:
    site = db_site
    _fail(site, "intake", 4)
    assert _signin(site.browser(), name="intake", password=PASSWORD).status_code == 303
    _fail(site, "intake", 4)
    assert _signin(site.browser(), name="intake", password=PASSWORD).status_code == 303


def test_an_address_trying_many_names_waits_but_not_the_names_elsewhere(db_site: Site) -> None:
    site = db_site
    for n in range(20):
        _fail(site, f"guess{n}", 1, address="198.51.100.7")
    here = _signin(site.browser("198.51.100.7"), name="reviewer", password=PASSWORD)
    assert here.status_code == 429
    token = _signin(site.browser("198.51.100.7"), token=site.tokens["reviewer"])
    assert token.status_code == 429
    elsewhere = _signin(site.browser("198.51.100.8"), name="reviewer", password=PASSWORD)
    assert elsewhere.status_code == 303
    site.clock.advance(minutes=15)
    later = _signin(site.browser("198.51.100.7"), name="reviewer", password=PASSWORD)
    assert later.status_code == 303


def test_an_ipv6_address_counts_as_its_slash_64(site: Site) -> None:
    for n in range(20):
        _fail(site, f"guess{n}", 1, address=f"2001:db8:1:2::{n + 1:x}")
    near = _signin(site.browser("2001:db8:1:2:ffff::1"), name="reviewer", password=PASSWORD)
    assert near.status_code == 429
    far = _signin(site.browser("2001:db8:1:3::1"), name="reviewer", password=PASSWORD)
    assert far.status_code == 303


def test_token_sign_ins_count_per_address(db_site: Site) -> None:
    site = db_site
    browser = site.browser("203.0.113.5")
    for n in range(20):
        assert _signin(browser, token=f"not-a-token-{n}").status_code == 401
    assert _signin(browser, token=site.tokens["auditor"]).status_code == 429
    assert _signin(site.browser("203.0.113.6"), token=site.tokens["auditor"]).status_code == 303
    # A token attempt counts no name: the user signs in with their password from elsewhere.
    password = _signin(site.browser("203.0.113.6"), name="auditor", password=PASSWORD)
    assert password.status_code == 303


def _page(html: str) -> str:
    """A page without what differs between two renderings of it: its tokens and the name."""
    html = re.sub(r'name="csrf" value="[^"]+"', "", html)
    return re.sub(r'id="name" name="name" autocomplete="username" value="[^"]*"', "", html)


def test_an_unknown_name_is_answered_exactly_as_a_known_one(site: Site) -> None:
    answers: dict[str, list[tuple[int, str]]] = {}
    for name, address in (("intake", "192.0.2.10"), ("nobody", "192.0.2.11")):
        browser = site.browser(address)
        answers[name] = [
            (answer.status_code, _page(answer.text))
            for answer in (_signin(browser, name=name, password=WRONG) for _ in range(7))
        ]
    assert [status for status, _ in answers["intake"]] == [401] * 5 + [429] * 2
    assert answers["intake"] == answers["nobody"]


def test_the_wait_is_said_in_chinese_too(site: Site) -> None:
    _fail(site, "intake", 5)
    browser = site.browser("192.0.2.1")
    browser.get("/lang/zh?next=/signin")
    answer = _signin(browser, name="intake", password=PASSWORD)
    assert answer.status_code == 429
    assert "登录失败次数过多。请在 UTC 2026-06-04 12:15 之后（15 分钟后）再试。" in answer.text


def test_refusals_are_logged_without_the_password(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="remit.console"):
        _fail(site, "intake", 5)
        _signin(site.browser("192.0.2.1"), name="intake", password=PASSWORD)
    messages = [r.getMessage() for r in caplog.records]
    assert any("'intake' from 192.0.2.1: further sign-ins wait until" in m for m in messages)
    assert any("'intake' from 192.0.2.1 refused unheard until" in m for m in messages)
    assert not any(WRONG in m or PASSWORD in m for m in messages)


def test_attempts_in_flight_count_so_parallel_guesses_get_no_more_tries() -> None:
    now = datetime(2026, 6, 4, 12, tzinfo=UTC)
    base = MemoryStore()
    throttle = Throttle(MemoryConsoleStore(base), SigninLimits(per_user=5), lambda: now)
    # Ten guesses sent at once: each is counted before any password is checked.
    attempts = [throttle.begin("intake", f"192.0.2.{n}") for n in range(10)]
    assert [a.locked_until is None for a in attempts] == [True] * 5 + [False] * 5
    for attempt in attempts[5:]:
        throttle.refused(attempt)  # refused unheard: they do not lengthen the wait
    for attempt in attempts[:5]:
        throttle.failed(attempt)
    assert throttle.begin("intake", "192.0.2.99").locked_until == now + timedelta(minutes=15)


def test_the_wait_runs_from_the_last_of_enough_failures_within_the_window() -> None:
    t = datetime(2026, 6, 4, 12, tzinfo=UTC)
    window, lockout = timedelta(minutes=15), timedelta(minutes=10)
    minutes = [t + timedelta(minutes=m) for m in (0, 10, 20, 30)]
    assert locked_until(minutes, 3, window, lockout) is None  # never 3 within 15 minutes
    assert locked_until(minutes, 2, window, lockout) == minutes[-1] + lockout
    assert locked_until([t] * 3, 3, window, lockout) == t + lockout
    assert locked_until([t] * 2, 3, window, lockout) is None
    with pytest.raises(InvalidConfiguration, match="per_user"):
        SigninLimits(per_user=0)
    with pytest.raises(InvalidConfiguration, match="window"):
        SigninLimits(window=timedelta(0))


def test_a_name_that_is_no_users_is_never_written_down_as_typed(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    pasted = "hunter2-my-real-password"  # typed into the name field by mistake
    with caplog.at_level(logging.INFO):
        _fail(site, pasted, 5)
        _signin(site.browser("192.0.2.1"), name=pasted, password=WRONG)  # throttled
    messages = [r.getMessage() for r in caplog.records]
    assert any("with a name that is no user's from 192.0.2.1: further" in m for m in messages)
    assert any(
        "with a name that is no user's from 192.0.2.1 refused unheard" in m for m in messages
    )
    assert not any(pasted in m for m in messages)
    trail = site.node.store.audit_trail()
    assert [e.outcome for e in trail][:6] == ["throttled"] + ["refused"] * 5
    assert not any(pasted in (e.actor + e.subject) for e in trail)
    assert {e.actor for e in trail[:6]} == {"?"}
