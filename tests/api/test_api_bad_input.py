"""Bad input gets a 4xx problem document naming the field, and changes nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from api_helpers import Api, demand


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    return body


def count(api: Api) -> int:
    return len(api.call("GET", "/v1/orders", "auditor").json()["orders"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"authority": {"name": "X", "kind": "ministry", "jurisdiction": "XX"}},
            "authority.jurisdiction",
        ),
        (
            {"authority": {"name": "X", "kind": "ministry", "jurisdiction": "CN-HK"}},
            "authority.jurisdiction",
        ),
        ({"authority": {"name": "X", "kind": "emperor", "jurisdiction": "CN"}}, "authority.kind"),
        ({"type": "Subpoena"}, "type"),
        ({"received_at": "2020-06-01T09:00:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"targets": []}, "targets"),
        (
            {"targets": [{"type": "meeting", "id": "m"}, {"type": "account", "id": "a"}]},
            "targets[1].type",
        ),
        ({"targets": [{"type": "Meeting!", "id": "m"}]}, "targets[0].type"),
        (
            {"request": {"text": "t", "action": "delete_account", "scope": ["Narnia"]}},
            "request.scope[0]",
        ),
        (
            {"request": {"text": "t", "action": "delete_account", "scope": ["CN", "XX"]}},
            "request.scope[1]",
        ),
        ({"legal_basis": 12}, "legal_basis"),
        ({"surprise": True}, "surprise"),
        (
            {"effective_from": "2026-01-02T00:00:00Z", "effective_until": "2026-01-01T00:00:00Z"},
            "effective_until",
        ),
    ],
)
def test_bad_orders_name_the_field(api: Api, change: dict[str, Any], field: str) -> None:
    body = problem(api.call("POST", "/v1/orders", "intake", json=demand(**change)), 422)
    assert body["field"] == field, body
    assert count(api) == 0


def test_missing_fields_are_named(api: Api) -> None:
    body = demand()
    del body["authority"]
    assert (
        "authority" in problem(api.call("POST", "/v1/orders", "intake", json=body), 422)["detail"]
    )


def test_malformed_json_is_400(api: Api) -> None:
    headers = {
        "Authorization": f"Bearer {api.tokens['intake']}",
        "Content-Type": "application/json",
    }
    problem(api.client.post("/v1/orders", content=b'{"type": ', headers=headers), 400)


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.tokens['intake']}", "Content-Type": "text/plain"}
    problem(api.client.post("/v1/orders", content=b"delete them", headers=headers), 415)


def test_an_oversized_document_is_413_and_nothing_is_stored(api: Api) -> None:
    # The app runs with the default limit of 10 MiB.
    big = base64.b64encode(b"\0" * (10 * 1024 * 1024 + 1)).decode()
    body = demand(document={"content": big, "media_type": "application/pdf"})
    problem(api.call("POST", "/v1/orders", "intake", json=body), 413)
    assert count(api) == 0


def test_bad_base64_is_named(api: Api) -> None:
    body = demand(document={"content": "not base64!", "media_type": "application/pdf"})
    assert (
        problem(api.call("POST", "/v1/orders", "intake", json=body), 422)["field"]
        == "document.content"
    )


@pytest.mark.parametrize(
    ("participant", "field"),
    [
        ({"id": "p1", "ip": "001.002.004.008"}, "participant.ip"),
        ({"id": "p1", "ip": "1.2.3"}, "participant.ip"),
        ({"id": "p1", "phone": "call me"}, "participant.phone"),
        ({"id": "p1", "phone": "+999 123"}, "participant.phone"),
        ({"id": "", "ip": "1.2.4.8"}, "participant.id"),
        ({"ip": "1.2.4.8"}, None),
    ],
)
def test_bad_admissions_name_the_field(
    api: Api, participant: dict[str, str], field: str | None
) -> None:
    body = {"resource": {"type": "meeting", "id": "m"}, "participant": participant}
    found = problem(api.call("POST", "/v1/admissions", "platform", json=body), 422)
    if field:
        assert found["field"] == field


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"limit": "0"}, "limit"),
        ({"sort": "desc"}, "sort"),
    ],
)
def test_bad_list_filters_name_the_field(api: Api, params: dict[str, str], field: str) -> None:
    assert problem(api.call("GET", "/v1/orders", "auditor", params=params), 422)["field"] == field


def test_unknown_order_is_404_and_unknown_route_is_a_problem_too(api: Api) -> None:
    problem(api.call("GET", "/v1/orders/ord_nope", "auditor"), 404)
    problem(
        api.call("POST", "/v1/orders/ord_nope/approve", "reviewer", json={"justification": "x"}),
        404,
    )
    problem(api.client.get("/v1/nothing-here"), 404)
    problem(api.client.delete("/v1/orders"), 405)


@pytest.mark.parametrize("limit", ["१", "１", "²", "٣", "1_0", " 1", "+1"])
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/commands"])
def test_a_number_in_the_query_takes_the_digits_0_to_9_only(
    api: Api, path: str, limit: str
) -> None:
    found = problem(api.call("GET", path, "auditor", params={"limit": limit}), 422)
    assert found["field"] == "limit"
    assert "digits 0-9" in found["detail"]
