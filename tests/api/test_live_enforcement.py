"""The 2020 story, live: an order takes effect and only the mainland participants are removed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_helpers import Api

from remit.connectors.webhook import WebhookConnector, new_secret
from remit.enforcement import Platform
from webhook_receiver import Receiver

# (participant, address): the static table places 127.0.0.10/.11 in CN, .20 HK, .30 MO, .40 TW,
# .50 US; 10.9.9.9 is private and placed by no one.
PEOPLE = [
    ("ann", "127.0.0.10"), ("bo", "127.0.0.11"), ("chen", "127.0.0.20"), ("dai", "127.0.0.30"),
    ("eli", "127.0.0.40"), ("fay", "127.0.0.50"), ("gus", "10.9.9.9"),
]  # fmt: skip


@pytest.fixture
def receiver(api: Api) -> Iterator[Receiver]:
    secret = new_secret()
    receiver = Receiver(secret)
    settings = WebhookConnector.settings(receiver.url, secret)
    assert api.node.enforcer is not None
    api.node.enforcer.store.add_platform(Platform("platform", "webhook", settings, api.clock()))
    yield receiver
    receiver.close()


def join(
    api: Api, who: str, ip: str, meeting: str = "june4-a", host: str = "host-us-1", **p: Any
) -> Any:
    body = {
        "resource": {"type": "meeting", "id": meeting, "host": host},
        "participant": {"id": who, "ip": ip, **p},
    }
    return api.call("POST", "/v1/sessions", "platform", json=body)


def approve(api: Api, **changes: Any) -> str:
    order_id = api.record(**changes)
    response = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert response.status_code == 200, response.text
    return order_id


def deliver(api: Api) -> int:
    assert api.node.enforcer is not None
    return api.node.enforcer.deliver_due()


def test_only_participants_inside_the_scope_are_removed(api: Api, receiver: Receiver) -> None:
    sessions = {who: join(api, who, ip).json()["id"] for who, ip in PEOPLE}
    elsewhere = join(api, "hal", "127.0.0.10", meeting="book-club", host="someone").json()["id"]
    order_id = approve(api)
    assert deliver(api) > 0

    removed = receiver.of_type("participant.remove")
    assert sorted(r["participant"]["id"] for r in removed) == ["ann", "bo"]
    assert {r["session_id"] for r in removed} == {sessions["ann"], sessions["bo"]}
    assert elsewhere not in {r["session_id"] for r in removed}
    for r in removed:
        assert r["order_id"] == order_id
        assert r["resource"] == {"type": "meeting", "id": "june4-a", "host": "host-us-1"}
        assert "Ministry of Public Security" in r["notice"]["body"]
    hosts = receiver.of_type("host.notice")
    assert len(hosts) == 1
    assert hosts[0]["host"] == {"id": "host-us-1"}
    assert hosts[0]["counts"] == {"CN": 2}
    assert receiver.bad_signatures == 0


def test_removals_are_idempotent_across_sweeps(api: Api, receiver: Receiver) -> None:
    for who, ip in PEOPLE:
        join(api, who, ip)
    approve(api)
    deliver(api)
    assert api.node.enforcer is not None
    assert api.node.enforcer.sweep() == 0, "a second activation adds nothing"
    deliver(api)
    assert len(receiver.ids) == len(set(receiver.ids)) == 3  # two removals, one host notice


def test_a_refused_join_gets_451_naming_the_authority(api: Api, receiver: Receiver) -> None:
    approve(api)
    refused = join(api, "ann", "127.0.0.10", language="zh-CN")
    assert refused.status_code == 451
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["status"] == 451
    assert body["type"] == "/problems/unavailable-for-legal-reasons"
    spec = api.client.get("/openapi.json").json()
    documented = spec["paths"]["/v1/sessions"]["post"]["responses"]["451"]
    assert documented["content"]["application/problem+json"]
    assert body["authority"]["name"] == "Ministry of Public Security"
    assert body["authority"]["jurisdiction"] == "CN"
    assert body["language"] == "zh-Hans"
    assert 'rel="blocked-by"' in refused.headers["link"]
    assert "中国大陆" in body["detail"]
    assert join(api, "chen", "127.0.0.20", language="zh-HK").status_code == 201


def test_moving_into_the_scope_mid_meeting_removes(api: Api, receiver: Receiver) -> None:
    session = join(api, "fay", "127.0.0.50").json()["id"]
    approve(api)
    deliver(api)
    assert receiver.of_type("participant.remove") == []
    moved = api.call("PATCH", f"/v1/sessions/{session}", "platform", json={"ip": "127.0.0.10"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "removing"
    deliver(api)
    assert [r["session_id"] for r in receiver.of_type("participant.remove")] == [session]


def test_a_participant_who_left_is_not_removed(api: Api, receiver: Receiver) -> None:
    session = join(api, "ann", "127.0.0.10").json()["id"]
    assert api.call("DELETE", f"/v1/sessions/{session}", "platform").json()["status"] == "left"
    approve(api)
    deliver(api)
    assert receiver.of_type("participant.remove") == []


def test_an_unreachable_platform_gets_its_removals_when_it_returns(
    api: Api, receiver: Receiver
) -> None:
    join(api, "ann", "127.0.0.10")
    order_id = approve(api)
    receiver.down = True
    deliver(api)
    pending = api.call("GET", "/v1/commands", "auditor", params={"order_id": order_id}).json()[
        "commands"
    ]
    assert {c["status"] for c in pending} == {"pending"}
    assert all(c["attempts"] == 1 and "503" in c["last_error"] for c in pending)
    receiver.down = False
    api.clock.advance(minutes=2)  # past the backoff
    deliver(api)
    done = api.call("GET", "/v1/commands", "auditor", params={"status": "delivered"}).json()[
        "commands"
    ]
    assert len(done) == 2
    assert [r["participant"]["id"] for r in receiver.of_type("participant.remove")] == ["ann"]


def test_a_command_past_its_deadline_is_reported_failed_not_dropped(
    api: Api, receiver: Receiver
) -> None:
    join(api, "ann", "127.0.0.10")
    approve(api)
    receiver.down = True
    for _ in range(12):
        deliver(api)
        api.clock.advance(minutes=1)
    failed = api.call("GET", "/v1/commands", "reviewer", params={"status": "failed"}).json()[
        "commands"
    ]
    assert {c["type"] for c in failed} == {"participant.remove", "host.notice"}
    assert all(c["last_error"] for c in failed)


def test_impact_preview_before_approval_as_asked_beside_as_planned(
    api: Api, receiver: Receiver
) -> None:
    for who, ip in PEOPLE:
        join(api, who, ip)
    join(api, "ivy", "127.0.0.50", meeting="june4-b", host="host-us-1")
    # DB-IP places this address in mainland China, the registries in Singapore: left alone.
    zed = join(api, "zed", "8.138.193.53").json()["admission"]
    assert zed["location"]["source"] == "disputed"
    assert zed["location"]["dispute"] == "sources disagree: dbip CN, iptocc SG"
    assert [a["source"] for a in zed["location"]["evidence"]] == ["dbip", "iptocc"]
    order_id = api.record()
    impact = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer").json()
    assert impact["status"] == "received"
    asked, planned = impact["as_asked"], impact["planned"]
    assert asked["participants"] == 9
    assert asked["by_country"] == {"CN": 2, "HK": 1, "MO": 1, "TW": 1, "US": 2, "unknown": 2}
    assert asked["accounts"] == 1
    assert asked["meetings"] == 2
    assert planned == {
        "scope": ["CN"],
        "participants": 2,
        "by_country": {"CN": 2},
        "meetings": 1,
        "accounts": 0,
    }
    assert impact["outside_scope"] == 0
    assert impact["planned_by_source"] == {"static": 2}
    assert impact["left_alone_disputed"] == 1
    # Every one of the 7 the plan leaves alone, by why: what explains each zero in the table.
    assert impact["left_alone"] == [
        {"cause": "sources_disagree", "participants": 1, "by_country": {"unknown": 1}},
        {"cause": "location_unknown", "participants": 1, "by_country": {"unknown": 1}},
        {"cause": "outside_scope", "participants": 5,
         "by_country": {"HK": 1, "MO": 1, "TW": 1, "US": 2}},
    ]  # fmt: skip
    narrowed = api.call(
        "GET", f"/v1/orders/{order_id}/impact", "reviewer", params={"scope": "CN-BJ"}
    ).json()
    assert narrowed["planned"]["participants"] == 1
    # ann is placed in CN without a province: inside Beijing or not, no one can say.
    assert narrowed["left_alone"][1:3] == [
        {"cause": "location_unknown", "participants": 1, "by_country": {"unknown": 1}},
        {"cause": "country_only", "participants": 1, "by_country": {"CN": 1}},
    ]


def test_commands_are_listed_for_the_platform_that_gets_them(api: Api, receiver: Receiver) -> None:
    join(api, "ann", "127.0.0.10")
    approve(api, effective_until=(api.clock() + timedelta(hours=1)).isoformat())
    listed = api.call("GET", "/v1/commands", "platform").json()["commands"]
    assert {c["type"] for c in listed} == {"participant.remove", "host.notice"}


def appeal(api: Api, order_id: str, who: str, kind: str = "participant") -> Any:
    body = {
        "order_id": order_id,
        "appellant": {"kind": kind, "id": who},
        "reason": "I live in Hong Kong",
    }
    return api.call("POST", "/v1/appeals", "platform", json=body)


def test_a_reversed_appeal_lets_one_person_rejoin(api: Api, receiver: Receiver) -> None:
    join(api, "ann", "127.0.0.10")
    join(api, "bo", "127.0.0.11")
    order_id = approve(api)
    deliver(api)
    filed = appeal(api, order_id, "ann")
    assert filed.status_code == 201, filed.text
    appeal_id = filed.json()["id"]
    decide = {"outcome": "reversed", "reason": "mislocated", "remedy": "person"}
    refused = api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer", json=decide)
    assert refused.status_code == 403, "the approver may not decide the appeal"
    decided = api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer2", json=decide)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "reversed"
    assert decided.json()["readmitted"] == 1
    deliver(api)
    assert [r["participant"]["id"] for r in receiver.of_type("participant.readmit")] == ["ann"]
    assert join(api, "ann", "127.0.0.10").status_code == 201
    assert join(api, "bo", "127.0.0.11").status_code == 451
    history = api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["transitions"]
    assert [t["action"] for t in history[-2:]] == ["appeal", "appeal_reversed"]
    assert history[-1]["actor"] == "reviewer2"


def test_an_appeal_reversed_for_everyone_lifts_the_order(api: Api, receiver: Receiver) -> None:
    join(api, "ann", "127.0.0.10")
    join(api, "bo", "127.0.0.11")
    order_id = approve(api)
    deliver(api)
    appeal_id = appeal(api, order_id, "host-us-1", kind="host").json()["id"]
    decide = {"outcome": "reversed", "reason": "no legal basis", "remedy": "order"}
    decided = api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer2", json=decide).json()
    assert decided["readmitted"] == 2
    assert api.call("GET", f"/v1/orders/{order_id}", "auditor").json()["status"] == "lifted"
    assert join(api, "bo", "127.0.0.11").status_code == 201


def test_an_upheld_appeal_changes_nothing_and_is_listed(api: Api, receiver: Receiver) -> None:
    join(api, "ann", "127.0.0.10")
    order_id = approve(api)
    appeal_id = appeal(api, order_id, "ann").json()["id"]
    decide = {"outcome": "upheld", "reason": "located in Beijing"}
    assert (
        api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer2", json=decide).status_code
        == 200
    )
    again = api.call("POST", f"/v1/appeals/{appeal_id}/decide", "reviewer2", json=decide)
    assert again.status_code == 409
    assert join(api, "ann", "127.0.0.10").status_code == 451
    listed = api.call("GET", "/v1/appeals", "auditor", params={"status": "upheld"}).json()[
        "appeals"
    ]
    assert [a["id"] for a in listed] == [appeal_id]


def test_daily_counts_reach_the_public_log_and_the_report(api: Api, receiver: Receiver) -> None:
    from remit.transparency import MemoryLogStore, Signer, TransparencyLog
    from remit.transparency.report import build_report

    log = TransparencyLog(
        MemoryLogStore(),
        Signer.generate("test.example/log"),
        origin="test.example/log",
        secret=b"s",
    ).open()
    enforcer = api.node.enforcer
    assert enforcer is not None
    enforcer.on_counts = log.append_enforcement_counts
    join(api, "ann", "127.0.0.10")
    join(api, "bo", "127.0.0.11")  # placed in Beijing
    join(api, "fay", "127.0.0.50")
    order_id = approve(api)
    assert join(api, "cai", "127.0.0.10").status_code == 451
    assert join(api, "cai", "127.0.0.10").status_code == 451  # a retry is the same refusal
    deliver(api)
    api.clock.advance(days=1)
    enforcer.sweep()
    enforcer.sweep()  # publishing again adds nothing: one entry per order and day
    entries = log.entries_of_kind(["enforcement.counts"])
    assert len(entries) == 1
    text = entries[0].decode()
    for name in ("ann", "bo", "cai", "fay", "june4-a", "host-us-1"):
        assert name not in text, "no one is named in the public log"
    report = build_report(
        [api.node.store.get_order(order_id)], log.entries(0, log.size), generated_at=api.clock()
    )
    assert report.totals.participants_removed_in_scope == 2
    assert report.totals.participants_refused_in_scope == 1
    assert report.totals.participants_affected_outside_scope == 0
