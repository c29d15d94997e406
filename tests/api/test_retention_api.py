"""The retention limit through a node: a sweep purges old attendance, and the impact preview a
reviewer reads is the same before and after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import Api

from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import REMOVE, Platform
from remit.errors import NotFound
from webhook_receiver import Receiver


@pytest.fixture
def receiver(api: Api) -> Iterator[Receiver]:
    secret = new_secret()
    receiver = Receiver(secret)
    assert api.node.enforcer is not None
    settings = WebhookConnector.settings(receiver.url, secret)
    api.node.enforcer.store.add_platform(Platform("platform", "webhook", settings, api.clock()))
    yield receiver
    receiver.close()


def attend(api: Api, who: str, ip: str, meeting: str = "june4-a") -> str:
    body = {
        "resource": {"type": "meeting", "id": meeting, "host": "host-us-1"},
        "participant": {"id": who, "ip": ip, "language": "zh-Hans"},
    }
    joined = api.call("POST", "/v1/sessions", "platform", json=body)
    assert joined.status_code == 201, joined.text
    return str(joined.json()["id"])


def leave(api: Api, session_id: str) -> None:
    left = api.call("DELETE", f"/v1/sessions/{session_id}", "platform")
    assert left.status_code == 200, left.text


def impact(api: Api, order_id: str) -> Any:
    response = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_sweep_purges_old_attendance_and_the_impact_preview_stays(api: Api) -> None:
    long_ago = [attend(api, "ann", "127.0.0.10"), attend(api, "bo", "127.0.0.50")]
    for session_id in long_ago:
        leave(api, session_id)
    api.clock.advance(days=2)
    recent = [attend(api, "ann", "127.0.0.10"), attend(api, "chen", "127.0.0.20", "june4-b")]
    for session_id in recent:
        leave(api, session_id)
    api.clock.advance(days=29)  # the first meeting ended 31 days ago, the second 29
    live = attend(api, "dai", "127.0.0.30")
    order_id = api.record()
    before = impact(api, order_id)
    assert before["as_asked"]["participants"] == 3
    assert before["as_asked"]["by_country"] == {"CN": 1, "HK": 1, "MO": 1}

    assert api.node.enforcer is not None
    api.node.enforcer.sweep()

    store = api.node.enforcer.store
    for session_id in [*long_ago, *recent]:  # they left: counted, no person-level row
        with pytest.raises(NotFound):
            store.get_session(session_id)
    assert store.get_session(live).participant == "dai"
    assert impact(api, order_id) == before


def test_purged_removals_stay_one_per_session_and_name_no_one_to_readmit(
    api: Api, receiver: Receiver
) -> None:
    attend(api, "ann", "127.0.0.10")
    attend(api, "bo", "127.0.0.11")
    approved = api.record()
    response = api.call(
        "POST", f"/v1/orders/{approved}/approve", "reviewer", json={"justification": "ok"}
    )
    assert response.status_code == 200, response.text
    enforcer = api.node.enforcer
    assert enforcer is not None
    enforcer.deliver_due()
    assert len(receiver.of_type(REMOVE)) == 2
    api.clock.advance(days=31)  # the platform never reported them gone: still on the roster

    assert enforcer.sweep() == 0  # the order is swept again: no second removal for anyone
    removals = [c for c in enforcer.store.list_commands(order_id=approved) if c.type == REMOVE]
    assert len(removals) == 2
    assert all("participant" not in c.data and "notice" not in c.data for c in removals)
    assert {s.participant for s in enforcer.store.live_sessions()} == {"ann", "bo"}

    body = {"order_id": approved, "appellant": {"kind": "host", "id": "host-us-1"},
            "reason": "no legal basis"}  # fmt: skip
    appeal_id = api.call("POST", "/v1/appeals", "platform", json=body).json()["id"]
    decide = {"outcome": "reversed", "reason": "no legal basis", "remedy": "order"}
    decided = api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer2", json=decide)
    assert decided.status_code == 200, decided.text
    assert decided.json()["readmitted"] == 0
    assert api.call("GET", f"/v1/orders/{approved}", "auditor").json()["status"] == "lifted"
