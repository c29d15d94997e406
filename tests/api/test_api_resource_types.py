"""Resource types are declared by the operator, not guessed: an order's target, an admission or
a session naming a type nobody declared is a 422 naming the field and listing the known types."""

from __future__ import annotations

from typing import Any

from api_helpers import Api, demand
from starlette.testclient import TestClient

from remit.api import Settings, create_app
from remit.policy import ResourceTypes

DEFAULT_LISTED = "meeting, recording, channel"


def _join(kind: str, ident: str = "june4-a") -> dict[str, Any]:
    return {
        "resource": {"type": kind, "id": ident},
        "participant": {"id": "p1", "ip": "127.0.0.10"},
    }


def _orders(api: Api) -> int:
    return len(api.call("GET", "/v1/orders", "auditor").json()["orders"])


def test_a_misspelt_target_type_is_refused_naming_the_field_and_the_known_types(api: Api) -> None:
    targets = [{"type": "meeting", "id": "june4-a"}, {"type": "meetng", "id": "june4-b"}]
    answer = api.call("POST", "/v1/orders", "intake", json=demand(targets=targets))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["field"] == "targets[1].type"
    assert "'meetng'" in problem["detail"]
    assert DEFAULT_LISTED in problem["detail"]
    assert "host" in problem["detail"]
    assert _orders(api) == 0


def test_an_account_as_a_target_is_still_refused_by_invariant_2_first(api: Api) -> None:
    answer = api.call(
        "POST", "/v1/orders", "intake", json=demand(targets=[{"type": "account", "id": "a"}])
    )
    assert answer.status_code == 422
    assert "never suspends" in answer.json()["detail"]


def test_every_default_type_and_host_may_be_targeted(api: Api) -> None:
    targets = [{"type": t, "id": "x"} for t in ("meeting", "recording", "channel", "host")]
    assert api.call("POST", "/v1/orders", "intake", json=demand(targets=targets)).status_code == 201


def test_an_admission_of_an_undeclared_type_is_refused(api: Api) -> None:
    answer = api.call("POST", "/v1/admissions", "platform", json=_join("meetng"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["field"] == "resource.type"
    assert DEFAULT_LISTED in problem["detail"]
    assert api.call("POST", "/v1/admissions", "platform", json=_join("channel")).status_code == 200


def test_a_session_of_an_undeclared_type_is_refused_and_not_rostered(api: Api) -> None:
    answer = api.call("POST", "/v1/sessions", "platform", json=_join("post"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "resource.type"
    assert api.node.enforcer is not None
    assert api.node.enforcer.store.live_sessions(resource_type="post") == []


def test_the_operator_declares_other_types(api: Api) -> None:
    settings = Settings(resource_types=ResourceTypes(("room", "stream")))
    with TestClient(create_app(api.node, settings), raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {api.tokens['intake']}"}
        room = demand(targets=[{"type": "room", "id": "r1"}, {"type": "host", "id": "h"}])
        assert client.post("/v1/orders", json=room, headers=headers).status_code == 201
        answer = client.post("/v1/orders", json=demand(), headers=headers)  # a meeting
        assert answer.status_code == 422
        assert "room, stream" in answer.json()["detail"]
        platform = {"Authorization": f"Bearer {api.tokens['platform']}"}
        joined = client.post("/v1/admissions", json=_join("stream"), headers=platform)
        assert joined.status_code == 200, joined.text
        refused = client.post("/v1/admissions", json=_join("meeting"), headers=platform)
        assert refused.status_code == 422
        assert refused.json()["field"] == "resource.type"
