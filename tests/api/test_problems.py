"""Every error answers with the status that says whose fault it is: 4xx the caller's, 5xx remit's.

As httpx checks its exception mapping, every class of ``remit.errors`` must be placed by name in
``ERROR_KINDS``; a new class fails here until someone decides what it means to a caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import remit.errors
from remit.api import Node, create_app, create_user, explain
from remit.api._problems import ERROR_KINDS, KINDS, from_error
from remit.errors import LocationDataError, RemitError
from remit.location import IPAddress, Locator, Place
from remit.store import MemoryStore
from remit.transparency import MemoryLogStore, Signer, TransparencyLog

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"

#: What each error means to a caller. The caller can fix a 4xx; a 5xx is remit's or its
#: dependencies' failure, and the same call may work later (503) or needs the operator (500).
EXPECTED = {
    "InvalidInput": 422,
    "UnknownJurisdiction": 422,
    "InvalidAddress": 422,
    "InvalidPhoneNumber": 422,
    "InvalidScope": 422,
    "InvalidOrder": 422,
    "NotFound": 404,
    "Conflict": 409,
    "FourEyesViolation": 403,
    "StoreError": 503,
    "LocationDataError": 503,
    "DeliveryError": 503,
    "InvalidConfiguration": 500,
    "VerificationError": 500,
    "RemitError": 500,
}


def test_every_error_class_has_an_explicit_mapping() -> None:
    classes = {getattr(remit.errors, name) for name in remit.errors.__all__}
    assert set(ERROR_KINDS) == classes, "place each class of remit.errors in ERROR_KINDS"
    assert set(EXPECTED) == set(remit.errors.__all__)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_error_answers_with_its_status(name: str) -> None:
    error = getattr(remit.errors, name)("what went wrong", field="scope")
    response = from_error(error, "a test")
    assert response.status_code == EXPECTED[name]
    kind, detail, field = explain(error)
    assert KINDS[kind][0] == EXPECTED[name]
    assert detail == "what went wrong"
    # A field names the caller's input at fault: a server fault names none.
    assert field == ("scope" if EXPECTED[name] < 500 else None)


def test_an_error_class_of_a_plugin_takes_its_nearest_base() -> None:
    class ClusterDown(remit.errors.StoreError):
        """A plugin's own store error."""

    class Sub(RemitError):
        """Something remit did not foresee."""

    assert from_error(ClusterDown("down"), "a test").status_code == 503
    assert from_error(Sub("odd"), "a test").status_code == 500


def test_the_api_guide_says_what_each_error_class_answers() -> None:
    guide = GUIDE.read_text("utf-8")
    errors = guide[guide.index("## Errors") :]
    for name, status in EXPECTED.items():
        assert f"| `{name}` | {status} " in errors, f"docs/api.md: add `{name}` to the error table"


# Over HTTP: a corrupt location database and a log that does not verify are remit's faults.


class CorruptSource:
    """An IP source whose database fails at a lookup, as a corrupt MaxMind file does (the
    MaxMind source's own tests show that it raises this for corrupt data met at a lookup)."""

    name = "corrupt"
    family = "maxmind"
    places_reserved = False
    data_date = None

    def lookup(self, address: IPAddress) -> Place | None:
        raise LocationDataError("maxmind_path: corrupt data for 8.8.8.8", field="maxmind_path")


@pytest.fixture
def served() -> Iterator[tuple[TestClient, str, TransparencyLog]]:
    store = MemoryStore()
    origin = "test.example/log"
    log = TransparencyLog(MemoryLogStore(), Signer.generate(origin), origin=origin, secret=b"s")
    log.open()
    node = Node(store, Locator(ip_sources=[CorruptSource()]), log=log)
    token = create_user(store, "meet", ["platform"], now=datetime.now(UTC))
    node.start()
    try:
        with TestClient(create_app(node), raise_server_exceptions=False) as client:
            yield client, token, log
    finally:
        node.stop()


def test_a_corrupt_location_database_is_unavailable_not_bad_input(
    served: tuple[TestClient, str, TransparencyLog],
) -> None:
    client, token, _ = served
    body = {
        "resource": {"type": "meeting", "id": "june4-a"},
        "participant": {"id": "p1", "ip": "8.8.8.8"},
    }
    answer = client.post("/v1/admissions", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/unavailable"
    assert "field" not in answer.json() or answer.json()["field"] is None


def test_a_log_naming_an_unknown_order_is_an_internal_error(
    served: tuple[TestClient, str, TransparencyLog],
) -> None:
    client, _, log = served
    log.append_enforcement_counts("ord_missing", date(2020, 6, 4), {"CN": {"removed": 1}})
    answer = client.get("/v1/reports/transparency")
    assert answer.status_code == 500, answer.text
    assert answer.json()["type"] == "/problems/internal"
    assert "unknown order" in answer.json()["detail"]
