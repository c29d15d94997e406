"""No stored byte holds a participant's address or number (issue 15, invariant 6).

A whole scenario is played through the API: joins by IP address and by dial-in number, a move,
an order's removals, a refused join, an appeal reversed and its readmission, deliveries to the
platform. Then every address and number used is looked for in the raw bytes of the SQLite file
(and its write-ahead log), in a ``pg_dump`` of the PostgreSQL database, and in every log line
remit wrote meanwhile: none may be there.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Api, running_api
from sqlalchemy.engine import make_url

from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import READMIT, REMOVE, Platform
from remit.location import Locator, StaticSource
from remit.store import open_enforcement_store, open_store, upgrade
from webhook_receiver import Receiver

# Addresses and numbers no other test uses, so that finding one means this test stored it.
MAINLAND_IP = "127.83.41.17"
MAINLAND_IP_2 = "127.83.41.29"  # where the US participant moves to
US_IP = "127.83.41.53"
MAINLAND_PHONE = "+86 138 4172 9035"
HK_PHONE = "+852 6123 4987"
REFUSED_PHONE = "+86 10 6552 9318"

PLACES = {MAINLAND_IP: "CN", MAINLAND_IP_2: "CN", US_IP: "US"}


def _spellings(number: str) -> list[str]:
    """A number as given, in E.164 and as its national digits: any of them is the number."""
    digits = "".join(c for c in number if c.isdigit())
    country = number.split()[0].lstrip("+")
    return [number, f"+{digits}", digits, digits[len(country) :]]


SECRETS = [MAINLAND_IP, MAINLAND_IP_2, US_IP] + [
    spelling
    for number in (MAINLAND_PHONE, HK_PHONE, REFUSED_PHONE)
    for spelling in _spellings(number)
]


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    upgrade(database_url)
    locator = Locator(ip_sources=[StaticSource(PLACES)])
    store, roster = open_store(database_url), open_enforcement_store(database_url)
    with running_api(store, roster, locator) as running:
        yield running


@pytest.fixture
def receiver(api: Api) -> Iterator[Receiver]:
    secret = new_secret()
    receiver = Receiver(secret)
    assert api.node.enforcer is not None
    settings = WebhookConnector.settings(receiver.url, secret)
    api.node.enforcer.store.add_platform(Platform("platform", "webhook", settings, api.clock()))
    yield receiver
    receiver.close()


def _join(api: Api, who: str, status: int = 201, **signal: str) -> str:
    body = {
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "participant": {"id": who, "language": "zh-Hans", **signal},
    }
    joined = api.call("POST", "/v1/sessions", "platform", json=body)
    assert joined.status_code == status, joined.text
    return str(joined.json().get("id", ""))


def _scenario(api: Api, receiver: Receiver) -> None:
    """Joins by address and by number, an order's removals, a move into its scope, a refusal,
    a reversed appeal and its readmission, every command delivered."""
    enforcer = api.node.enforcer
    assert enforcer is not None
    _join(api, "ann", ip=MAINLAND_IP)
    bo = _join(api, "bo", ip=US_IP)
    _join(api, "chen", phone=MAINLAND_PHONE)
    _join(api, "dai", phone=HK_PHONE)
    admitted = api.call(
        "POST",
        "/v1/admissions",
        "platform",
        json={
            "resource": {"type": "meeting", "id": "june4-a"},
            "participant": {"id": "eve", "phone": REFUSED_PHONE},
        },
    )
    assert admitted.status_code == 200, admitted.text

    order_id = api.record()
    impact = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer")
    assert impact.status_code == 200, impact.text
    approved = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert approved.status_code == 200, approved.text

    moved = api.call("PATCH", f"/v1/sessions/{bo}", "platform", json={"ip": MAINLAND_IP_2})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "removing"
    _join(api, "eve", 451, phone=REFUSED_PHONE)
    _join(api, "ann", 451, ip=MAINLAND_IP)
    enforcer.deliver_due()
    assert sorted(r["participant"]["id"] for r in receiver.of_type(REMOVE)) == [
        "ann",
        "bo",
        "chen",
    ]

    body = {"order_id": order_id, "appellant": {"kind": "participant", "id": "chen"},
            "reason": "I dialled in from Hong Kong"}  # fmt: skip
    filed = api.call("POST", "/v1/appeals", "platform", json=body)
    assert filed.status_code == 201, filed.text
    decide = {"outcome": "reversed", "reason": "no legal basis", "remedy": "person"}
    decided = api.call("POST", f"/v1/appeals/{filed.json()['id']}/decide", "reviewer2", json=decide)
    assert decided.status_code == 200, decided.text
    assert decided.json()["readmitted"] == 1
    enforcer.deliver_due()
    assert len(receiver.of_type(READMIT)) == 1
    enforcer.sweep()


def _stored_bytes(database_url: str) -> bytes:
    """Every byte the database holds: the SQLite file and its companions as they are on disk,
    or PostgreSQL's as ``pg_dump`` writes them out."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        return b"".join(
            Path(url.database + suffix).read_bytes()
            for suffix in ("", "-wal", "-journal", "-shm")
            if Path(url.database + suffix).exists()
        )
    if shutil.which("pg_dump") is None:
        reason = "pg_dump is not on PATH: cannot read what PostgreSQL stored"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    dumped = subprocess.run(
        [
            "pg_dump",
            "-h",
            str(url.host),
            "-p",
            str(url.port or 5432),
            "-U",
            "postgres",
            str(url.database),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert b"CREATE TABLE" in dumped.stdout
    return dumped.stdout


def test_no_address_or_number_is_stored_or_logged(
    api: Api, receiver: Receiver, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _scenario(api, receiver)

    stored = _stored_bytes(database_url)
    assert b"june4-a" in stored  # the scenario's rows are there
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    found_stored = [s for s in SECRETS if s.encode() in stored]
    found_logged = [s for s in SECRETS if s in logged]
    assert (found_stored, found_logged) == ([], [])


def test_a_move_places_the_participant_by_the_new_address(api: Api) -> None:
    session_id = _join(api, "bo", ip=US_IP)
    moved = api.call("PATCH", f"/v1/sessions/{session_id}", "platform", json={"ip": MAINLAND_IP})
    assert moved.status_code == 200, moved.text
    assert moved.json()["admission"]["location"]["country"] == "CN"
    assert api.node.enforcer is not None
    assert api.node.enforcer.store.get_session(session_id).location.country == "CN"
