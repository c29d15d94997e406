"""A console on a real SQLite store: one browser (TestClient with its own cookies) per person.

``db_site`` is the same console on SQLite and on PostgreSQL, for what several nodes share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from remit.api import Enforcement, Node, Settings, create_app, create_user
from remit.connectors import load_connectors
from remit.console import console_routes, set_password
from remit.enforcement import Policy
from remit.location import DbipSource, IptoccSource, Locator, StaticSource
from remit.store import log_store_for, open_enforcement_store, open_store, upgrade
from remit.transparency import TransparencyLog
from remit.transparency.keyfile import target_secret
from remit.transparency.note import Signer

PLACES = {"127.0.0.10": "CN", "127.0.0.11": "CN-BJ", "127.0.0.20": "HK", "127.0.0.50": "US"}
PASSWORD = "correct horse battery"
PEOPLE = {
    "intake": ["intake"],
    "lead": ["intake", "reviewer"],
    "reviewer": ["reviewer"],
    "reviewer2": ["reviewer"],
    "auditor": ["auditor"],
    "platform": ["platform"],
}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: The scrypt cost of the passwords these tests set: remit's (2**17, 128 MiB, about a second
#: here) would make every sign-in of every test that slow. ``remit.console._passwords.COST``
#: itself is checked against a real ``remit user passwd``, and the rehash at sign-in with it.
TEST_COST = (2**10, 8, 1)


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from remit.console import _passwords

    monkeypatch.setattr(_passwords, "COST", TEST_COST)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 4, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no form with a CSRF token on this page"
    return found.group(1)


@dataclass
class Site:
    """The app, its node and clock, the API tokens, and a way to open a browser."""

    app: Any
    node: Node
    clock: Clock
    tokens: dict[str, str]
    browser: Callable[..., TestClient]

    def signed_in(self, name: str) -> TestClient:
        """A browser where ``name`` has signed in with their password."""
        client = self.browser()
        page = client.get("/signin")
        answer = client.post(
            "/signin",
            data={"csrf": csrf_of(page.text), "name": name, "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API with ``who``'s token, through a client without cookies."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.browser().request(method, path, headers=headers, **kwargs)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with _site(f"sqlite:///{tmp_path / 'remit.sqlite3'}") as found:
        yield found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """The console on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    with _site(url) as found:
        yield found


@contextmanager
def _site(url: str) -> Iterator[Site]:
    upgrade(url)
    store = open_store(url)
    clock = Clock()
    signer = Signer.generate("remit.test/log")
    log = TransparencyLog(
        log_store_for(store), signer, origin="remit.test/log", secret=target_secret(signer)
    ).open()
    # The shipped data sets, which must agree, behind the operator's table, as remit serve has.
    locator = Locator(ip_sources=[StaticSource(PLACES), DbipSource(), IptoccSource()])
    policy = Policy(ttl=timedelta(minutes=10), backoff_base_s=60, workers=2)
    # Delivery and sweeps are stepped by hand, on the clock the tests move.
    enforcement = Enforcement(
        open_enforcement_store(url), load_connectors(), policy, background=False
    )
    node = Node(store, locator, log=log, enforcement=enforcement, clock=clock, tick_seconds=3600)
    tokens = {who: create_user(store, who, roles, now=clock()) for who, roles in PEOPLE.items()}
    for who in PEOPLE:
        set_password(store, who, PASSWORD, now=clock())
    node.start()
    settings = Settings(max_document_bytes=64 * 1024)
    app = create_app(
        node, settings, routes=console_routes(node, settings, sse_seconds=0.5, sse_interval=0.1)
    )
    clients: list[TestClient] = []

    def browser(address: str = "testclient") -> TestClient:
        """A browser of its own, connecting from ``address``."""
        client = TestClient(app, raise_server_exceptions=True, client=(address, 50000))
        clients.append(client)
        return client

    try:
        yield Site(app, node, clock, tokens, browser)
    finally:
        for client in clients:
            client.close()
        node.stop()
