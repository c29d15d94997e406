"""A reversed appeal readmits everyone the order removed, however many that is."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api

from remit.enforcement import READMIT, REMOVE, Session
from remit.location import Location
from remit.policy import Resource

#: More removals than one page of the outbox: a reversal must read them all.
REMOVED = 1_500
MAINLAND = Location("CN", None, "static")


@pytest.fixture
def removed(api: Api) -> str:
    """An order in force that removed ``REMOVED`` participants of june4-a, all in mainland
    China; its id. ``s-0000`` is the first of them."""
    enforcer = api.node.enforcer
    assert enforcer is not None
    meeting = Resource("meeting", "june4-a", "host-us-1")
    sessions = [
        Session(f"s-{n:04}", "platform", meeting, f"p-{n:04}", MAINLAND, api.clock())
        for n in range(REMOVED)
    ]
    assert enforcer.store.add_sessions(sessions) == REMOVED
    order_id = api.record()
    approved = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert approved.status_code == 200, approved.text
    commands = enforcer.store.list_commands(order_id=order_id, limit=10 * REMOVED)
    assert sum(c.type == REMOVE for c in commands) == REMOVED
    return order_id


def _reverse(api: Api, order_id: str, appellant: dict[str, str], remedy: str) -> Any:
    body = {"order_id": order_id, "appellant": appellant, "reason": "I live in Hong Kong"}
    filed = api.call("POST", "/v1/appeals", "platform", json=body)
    assert filed.status_code == 201, filed.text
    decide = {"outcome": "reversed", "reason": "no legal basis", "remedy": remedy}
    decided = api.call("POST", f"/v1/appeals/{filed.json()['id']}/decide", "reviewer2", json=decide)
    assert decided.status_code == 200, decided.text
    return decided.json()


def _readmissions(api: Api, order_id: str) -> list[Any]:
    assert api.node.enforcer is not None
    commands = api.node.enforcer.store.list_commands(order_id=order_id, limit=10 * REMOVED)
    return [c for c in commands if c.type == READMIT]


def test_an_order_reversed_for_everyone_readmits_every_removed_participant(
    api: Api, removed: str
) -> None:
    decided = _reverse(api, removed, {"kind": "host", "id": "host-us-1"}, "order")
    assert decided["readmitted"] == REMOVED
    readmitted = _readmissions(api, removed)
    assert sorted(c.data["participant"]["id"] for c in readmitted) == [
        f"p-{n:04}" for n in range(REMOVED)
    ]
    assert {c.session_id for c in readmitted} == {f"s-{n:04}" for n in range(REMOVED)}


def test_one_person_is_readmitted_however_many_others_were_removed(api: Api, removed: str) -> None:
    decided = _reverse(api, removed, {"kind": "participant", "id": "p-0000"}, "person")
    assert decided["readmitted"] == 1
    assert [c.data["participant"]["id"] for c in _readmissions(api, removed)] == ["p-0000"]
