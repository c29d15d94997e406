"""The demand lifecycle over HTTP: recording, four eyes, narrowing, roles, history, expiry."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest
from api_helpers import Api, demand


def test_a_demand_is_recorded_as_received_with_its_document(api: Api) -> None:
    pdf = b"%PDF-1.4 the ministry's letter"
    body = demand(
        document={
            "content": base64.b64encode(pdf).decode(),
            "media_type": "application/pdf",
            "filename": "letter.pdf",
        }
    )
    created = api.call("POST", "/v1/orders", "intake", json=body)
    assert created.status_code == 201
    assert created.json()["status"] == "received"
    order_id = created.json()["id"]
    assert created.headers["location"] == f"/v1/orders/{order_id}"

    order = api.call("GET", f"/v1/orders/{order_id}", "auditor").json()
    assert order["authority"] == {
        "name": "Ministry of Public Security",
        "kind": "ministry",
        "jurisdiction": "CN",
    }
    assert order["request"]["scope"] == ["*"], "the scope as asked is kept as asked"
    assert order["document"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert order["recorded_by"] == "intake"
    assert [t["action"] for t in order["transitions"]] == ["record"]

    document = api.call("GET", f"/v1/orders/{order_id}/document", "reviewer")
    assert document.content == pdf
    assert document.headers["content-type"] == "application/pdf"


def test_four_eyes_the_recorder_cannot_approve(api: Api) -> None:
    # One person holding both roles still cannot approve what they recorded.
    order_id = api.record(who="admin")
    refused = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "admin", json={"justification": "ok"}
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "second person" in refused.json()["detail"]
    assert api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["status"] == "received"


def test_approval_defaults_to_the_authoritys_jurisdiction_and_may_narrow(api: Api) -> None:
    whole = api.record()
    approved = api.call(
        "POST", f"/v1/orders/{whole}/approve", "reviewer", json={"justification": "lawful"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    assert approved.json()["scope"] == ["CN"]
    assert approved.json()["approved_by"] == "reviewer"

    narrow = api.record()
    body = {
        "justification": "only Beijing",
        "scope": ["CN-BJ"],
        "checklist": {"legal_basis_stated": True, "overbroad": True},
    }
    narrowed = api.call("POST", f"/v1/orders/{narrow}/approve", "reviewer", json=body).json()
    assert narrowed["scope"] == ["CN-BJ"]
    last = narrowed["transitions"][-1]
    assert last["checklist"]["overbroad"] is True
    assert last["checklist"]["legal_basis_stated"] is True
    assert last["checklist"]["authority_competent"] is False


@pytest.mark.parametrize("scope", [["HK"], ["CN", "TW"], ["EU"], ["CN-HK"]])
def test_a_scope_outside_the_jurisdiction_is_refused(api: Api, scope: list[str]) -> None:
    order_id = api.record()
    response = api.call(
        "POST",
        f"/v1/orders/{order_id}/approve",
        "reviewer",
        json={"justification": "x", "scope": scope},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "scope"
    assert api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["status"] == "received"


def test_every_transition_keeps_who_when_and_why(api: Api) -> None:
    order_id = api.record()
    steps = [
        ("review", "reviewer", {"reason": "taking it"}),
        ("clarify", "reviewer", {"question": "Which law, exactly?"}),
        ("answer", "intake", {"answer": "Article 12"}),
        ("approve", "reviewer2", {"justification": "answered"}),
        ("lift", "reviewer", {"reason": "court overturned it"}),
    ]
    for action, who, body in steps:
        api.clock.advance(minutes=5)
        response = api.call("POST", f"/v1/orders/{order_id}/{action}", who, json=body)
        assert response.status_code == 200, (action, response.text)
    history = api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["transitions"]
    assert [(t["action"], t["to_status"], t["actor"]) for t in history] == [
        ("record", "received", "intake"),
        ("review", "in_review", "reviewer"),
        ("clarify", "clarification_requested", "reviewer"),
        ("answer", "in_review", "intake"),
        ("approve", "active", "reviewer2"),
        ("lift", "lifted", "reviewer"),
    ]
    assert history[2]["reason"] == "Which law, exactly?"
    times = [t["at"] for t in history]
    assert times == sorted(times)


def test_rejected_and_lifted_orders_cannot_be_approved(api: Api) -> None:
    order_id = api.record()
    assert (
        api.call(
            "POST", f"/v1/orders/{order_id}/reject", "reviewer", json={"reason": "no legal basis"}
        ).status_code
        == 200
    )
    again = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer2", json={"justification": "x"}
    )
    assert again.status_code == 409
    assert "rejected" in again.json()["detail"]


def test_two_reviewers_at_once_exactly_one_wins(api: Api) -> None:
    for _ in range(3):
        order_id = api.record()
        results: list[int] = []
        barrier = threading.Barrier(2)

        def act(
            who: str,
            action: str,
            body: dict[str, str],
            order_id: str = order_id,
            barrier: threading.Barrier = barrier,
            results: list[int] = results,
        ) -> None:
            barrier.wait()
            results.append(
                api.call("POST", f"/v1/orders/{order_id}/{action}", who, json=body).status_code
            )

        threads = [
            threading.Thread(target=act, args=("reviewer", "approve", {"justification": "yes"})),
            threading.Thread(target=act, args=("reviewer2", "reject", {"reason": "no"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200, 409]
        history = api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["transitions"]
        assert len(history) == 2, "the loser left no trace in the history"


def test_orders_expire_at_effective_until_with_no_one_acting(api: Api) -> None:
    until = (api.clock() + timedelta(hours=2)).isoformat()
    order_id = api.record(effective_until=until)
    api.call("POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"})
    api.node.advance_due()
    assert api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["status"] == "active"
    api.clock.advance(hours=2, seconds=1)
    api.node.advance_due()
    order = api.call("GET", f"/v1/orders/{order_id}", "auditor").json()
    assert order["status"] == "expired"
    assert order["transitions"][-1]["actor"] == "system"
    assert len(api.node.snapshot.index) == 0


def test_an_order_with_a_later_start_waits_until_then(api: Api) -> None:
    start = (api.clock() + timedelta(days=1)).isoformat()
    order_id = api.record(effective_from=start)
    approved = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert approved.json()["status"] == "approved"
    assert len(api.node.snapshot.index) == 0
    api.clock.advance(days=1)
    api.node.advance_due()
    assert api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["status"] == "active"
    assert len(api.node.snapshot.index) == 1


def test_list_filters_by_status_and_jurisdiction_and_pages(api: Api) -> None:
    cn = [api.record() for _ in range(3)]
    ru = api.record(authority={"name": "Roskomnadzor", "kind": "regulator", "jurisdiction": "RU"})
    api.call("POST", f"/v1/orders/{cn[0]}/reject", "reviewer", json={"reason": "no"})
    rejected = api.call("GET", "/v1/orders", "auditor", params={"status": "rejected"}).json()[
        "orders"
    ]
    assert [o["id"] for o in rejected] == [cn[0]]
    russian = api.call("GET", "/v1/orders", "auditor", params={"jurisdiction": "ru"}).json()[
        "orders"
    ]
    assert [o["id"] for o in russian] == [ru]
    first = api.call("GET", "/v1/orders", "auditor", params={"limit": 2}).json()
    assert [o["id"] for o in first["orders"]] == cn[:2]
    second = api.call(
        "GET", "/v1/orders", "auditor", params={"limit": 2, "after": first["next"]}
    ).json()
    assert [o["id"] for o in second["orders"]] == [cn[2], ru]


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        (None, "GET", "/v1/orders", 401),
        ("platform", "GET", "/v1/orders", 403),
        ("reviewer", "POST", "/v1/orders", 403),
        ("intake", "POST", "/v1/admissions", 403),
        ("auditor", "GET", "/v1/audit", 200),
        ("intake", "GET", "/v1/audit", 403),
    ],
)
def test_roles(api: Api, who: str | None, method: str, path: str, status: int) -> None:
    kwargs = {"json": demand()} if method == "POST" else {}
    response = api.call(method, path, who, **kwargs)
    assert response.status_code == status
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_a_wrong_token_is_401(api: Api) -> None:
    response = api.client.get("/v1/orders", headers={"Authorization": "Bearer remit_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_every_mutating_call_is_audited_with_its_actor(api: Api) -> None:
    order_id = api.record()
    api.call("POST", f"/v1/orders/{order_id}/approve", "intake2", json={"justification": "x"})
    api.call("POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "x"})
    entries = api.call("GET", "/v1/audit", "auditor").json()["entries"]
    assert [(e["actor"], e["action"], e["outcome"]) for e in entries[:2]] == [
        ("reviewer", "POST /v1/orders/{id}/approve", "200"),
        ("intake2", "POST /v1/orders/{id}/approve", "403"),
    ]
    assert entries[2]["actor"] == "intake"
    assert entries[0]["subject"] == order_id
