"""What the API tests share: the place table, a hand-moved clock, a client with a token per
role, the 2020 demand, and a running node on a real store. The fixtures live in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from remit.api import Enforcement, Node, create_app, create_user
from remit.connectors import load_connectors
from remit.enforcement import EnforcementStore, Policy
from remit.location import Locator
from remit.store import Store, open_enforcement_store

# Test participants are placed by the operator's static table, as in every real-server test.
PLACES = {
    "127.0.0.10": "CN",
    "127.0.0.11": "CN-BJ",
    "127.0.0.20": "HK",
    "127.0.0.30": "MO",
    "127.0.0.40": "TW",
    "127.0.0.50": "US",
}


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Api:
    """A test client with one token per role, as separate people."""

    client: TestClient
    node: Node
    clock: Clock
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)

    def record(self, who: str = "intake", **changes: Any) -> str:
        response = self.call("POST", "/v1/orders", who, json=demand(**changes))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def demand(**changes: Any) -> dict[str, Any]:
    """The 2020 demand, as received."""
    body: dict[str, Any] = {
        "type": "GovernmentRequest",
        "authority": {
            "name": "Ministry of Public Security",
            "kind": "ministry",
            "jurisdiction": "CN",
        },
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": "2020-0604",
        "received_at": "2020-06-01T09:00:00+08:00",
        "request": {
            "text": "Delete the four meetings and the accounts hosting them.",
            "action": "delete_account",
            "scope": ["*"],
        },
        "targets": [
            {"type": "meeting", "id": "june4-a"},
            {"type": "host", "id": "host-us-1"},
        ],
    }
    body.update(changes)
    return body


def enforcement_store(database_url: str) -> EnforcementStore:
    """The roster and outbox of a test, on its database."""
    return open_enforcement_store(database_url)


@contextmanager
def running_api(store: Store, roster: EnforcementStore, locator: Locator) -> Iterator[Api]:
    """A node on ``store`` and ``roster``, started behind a test client, with one user per
    role (two intake and two reviewers, as separate people); stopped after."""
    clock = Clock()
    policy = Policy(ttl=timedelta(minutes=10), backoff_base_s=60, workers=4)
    # Delivery and sweeps are stepped by hand, on the clock the tests move.
    enforcement = Enforcement(roster, load_connectors(), policy, background=False)
    node = Node(store, locator, enforcement=enforcement, clock=clock, tick_seconds=3600)
    tokens = {
        who: create_user(store, who, roles, now=clock())
        for who, roles in {
            "intake": ["intake"],
            "intake2": ["intake"],
            "reviewer": ["reviewer"],
            "reviewer2": ["reviewer"],
            "platform": ["platform"],
            "auditor": ["auditor"],
            "admin": ["admin"],
        }.items()
    }
    node.start()
    try:
        with TestClient(create_app(node), raise_server_exceptions=False) as client:
            yield Api(client, node, clock, tokens)
    finally:
        node.stop()
