"""The hot path: every join asks, and the answer comes from the in-memory index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_helpers import Api
from starlette.testclient import TestClient

from remit.api import Node, Settings, create_app
from remit.location import Locator
from remit.store import MemoryStore


def admit(
    api: Api,
    ip: str | None = None,
    phone: str | None = None,
    meeting: str = "june4-a",
    host: str | None = None,
) -> Any:
    participant: dict[str, str] = {"id": f"p-{ip or phone}"}
    if ip:
        participant["ip"] = ip
    if phone:
        participant["phone"] = phone
    resource: dict[str, str] = {"type": "meeting", "id": meeting}
    if host:
        resource["host"] = host
    response = api.call(
        "POST",
        "/v1/admissions",
        "platform",
        json={"resource": resource, "participant": participant},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def active(api: Api) -> str:
    order_id = api.record()
    response = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert response.status_code == 200
    return order_id


def test_before_approval_nobody_is_refused(api: Api) -> None:
    api.record()
    assert admit(api, "127.0.0.10")["decision"] == "allow"


@pytest.mark.parametrize(
    ("ip", "decision", "country"),
    [
        ("127.0.0.10", "deny", "CN"),
        ("127.0.0.11", "deny", "CN"),
        ("127.0.0.20", "allow", "HK"),
        ("127.0.0.30", "allow", "MO"),
        ("127.0.0.40", "allow", "TW"),
        ("127.0.0.50", "allow", "US"),
        ("127.0.0.99", "allow", None),
        ("1.2.4.8", "deny", "CN"),
        ("::ffff:1.2.4.8", "deny", "CN"),
    ],
)
def test_only_participants_inside_the_scope_are_refused(
    api: Api, active: str, ip: str, decision: str, country: str | None
) -> None:
    answer = admit(api, ip)
    assert answer["decision"] == decision
    assert answer["location"]["country"] == country
    assert answer["orders"] == ([active] if decision == "deny" else [])


def test_host_target_covers_the_hosts_other_meetings(api: Api, active: str) -> None:
    assert admit(api, "127.0.0.10", meeting="another", host="host-us-1")["decision"] == "deny"
    assert admit(api, "127.0.0.10", meeting="another", host="someone-else")["decision"] == "allow"


def test_dial_in_numbers_are_located(api: Api, active: str) -> None:
    assert admit(api, phone="+86 10 1234 5678")["decision"] == "deny"
    assert admit(api, phone="+852 2123 4567")["decision"] == "allow"


def test_an_unknown_location_is_let_in_and_the_skip_is_named(api: Api, active: str) -> None:
    answer = admit(api, "10.1.2.3")
    assert answer["decision"] == "allow"
    assert answer["skipped"] == [{"order": active, "reason": "location unknown"}]


def test_lifting_takes_effect_on_the_next_join(api: Api, active: str) -> None:
    assert admit(api, "127.0.0.10")["decision"] == "deny"
    api.call("POST", f"/v1/orders/{active}/lift", "reviewer", json={"reason": "lifted"})
    assert admit(api, "127.0.0.10")["decision"] == "allow"


def test_admissions_do_not_touch_the_database(api: Api, active: str) -> None:
    admit(api, "127.0.0.10")  # warms the token cache
    store = api.node.store
    calls: list[str] = []
    original = {
        name: getattr(store, name)
        for name in ("get_order", "user_for_token", "orders_in", "changes_since")
    }
    for name, method in original.items():
        setattr(store, name, lambda *a, _n=name, _m=method, **k: (calls.append(_n), _m(*a, **k))[1])
    try:
        for _ in range(20):
            admit(api, "127.0.0.10")
    finally:
        for name, method in original.items():
            setattr(store, name, method)
    assert calls == []


def test_made_up_tokens_do_not_push_the_platforms_token_out_of_the_cache(
    api: Api, active: str
) -> None:
    # 10,002 lookups on a loaded machine can outlast the default 30 s: an expiry is not the point.
    api.node.token_ttl_seconds = 3600
    admit(api, "127.0.0.10")  # warms the token cache
    for n in range(10_002):  # more unknown tokens than the cache holds
        assert api.node.user_for_token(f"remit_made-up-{n}") is None
    store = api.node.store
    original = store.user_for_token
    calls: list[str] = []
    store.user_for_token = lambda *a, **k: (calls.append("user_for_token"), original(*a, **k))[1]  # type: ignore[method-assign]
    try:
        assert admit(api, "127.0.0.10")["decision"] == "deny"
    finally:
        store.user_for_token = original  # type: ignore[method-assign]
    assert calls == []


def test_metrics_count_decisions_and_orders_by_state(api: Api, active: str) -> None:
    admit(api, "127.0.0.10")
    admit(api, "127.0.0.20")
    text = api.client.get("/metrics").text
    assert 'remit_decisions_total{outcome="deny"} 1.0' in text
    assert 'remit_decisions_total{outcome="allow"} 1.0' in text
    assert "remit_decision_seconds_bucket" in text
    assert 'remit_orders{state="active"} 1.0' in text


def test_healthz(api: Api, active: str) -> None:
    body = api.client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["orders_in_force"] == 1
    sources = {source["name"]: source for source in body["location_sources"]}
    assert sources["static"]["data_date"] is None  # the operator's table never ages
    assert body["warnings"] == [s["warning"] for s in sources.values() if s["warning"]]


def test_healthz_and_metrics_report_each_location_sources_data(tmp_path: Path) -> None:
    from datetime import date

    from mmdb_files import country, replace_file, write_mmdb
    from remit.location import IptoccSource, MaxMindSource

    path = write_mmdb(tmp_path / "geo.mmdb", {"1.2.4.0/24": country("CN")})
    locator = Locator(ip_sources=[MaxMindSource(path, name="geo"), IptoccSource()])
    node = Node(MemoryStore(), locator)
    client = TestClient(create_app(node, Settings()))
    body = client.get("/healthz").json()
    geo = body["location_sources"][0]
    assert (geo["name"], geo["family"], geo["data_date"]) == ("geo", "maxmind", str(date.today()))
    assert (geo["age_days"], geo["warning"]) == (0, None)
    replace_file(path, lambda fresh: fresh.write_bytes(b"corrupt"))
    locator.refresh()
    body = client.get("/healthz").json()
    assert body["location_sources"][0]["warning"].startswith("geo: replacement refused")
    assert body["warnings"][0].startswith("geo: replacement refused")
    text = client.get("/metrics").text
    assert 'remit_location_data_age_days{source="geo"} 0.0' in text
    assert 'remit_location_source_warning{source="geo"} 1.0' in text
    assert 'remit_location_data_timestamp_seconds{source="iptocc"}' in text


def test_an_admission_body_over_64_kib_is_refused_unread(api: Api, active: str) -> None:
    body = {
        "resource": {"type": "meeting", "id": "june4-a", "host": "x" * (70 * 1024)},
        "participant": {"id": "p", "ip": "127.0.0.10"},
    }
    refused = api.call("POST", "/v1/admissions", "platform", json=body)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/too-large"
    assert admit(api, "127.0.0.10")["decision"] == "deny"
