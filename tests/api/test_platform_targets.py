"""Targets belong to a platform: two platforms serving a meeting with the same id are two meetings.

An order on one platform's ``june4-a`` never touches the other platform's ``june4-a``; an order
that says ``*`` covers the id on every platform, each told on its own; appeals and readmissions
stay on the platform where the removal happened (issue 15, item 3).
"""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api, demand

from remit.api import create_user
from remit.enforcement import HOST_NOTICE, READMIT, REMOVE, Command

MAINLAND, US = "127.0.0.10", "127.0.0.50"
MEETING = {"type": "meeting", "id": "june4-a", "host": "host-us-1"}


@pytest.fixture
def other(api: Api) -> str:
    """A second platform's account: the platform ``other``, with a meeting ``june4-a`` too."""
    api.tokens["other"] = create_user(api.node.store, "other", ["platform"], now=api.clock())
    return "other"


def join(api: Api, platform: str, who: str, ip: str) -> Any:
    body = {"resource": MEETING, "participant": {"id": who, "ip": ip}}
    return api.call("POST", "/v1/sessions", platform, json=body)


def admit(api: Api, platform: str, ip: str) -> str:
    body = {"resource": MEETING, "participant": {"id": "someone", "ip": ip}}
    answer = api.call("POST", "/v1/admissions", platform, json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["decision"])


def approve(api: Api, *targets: dict[str, str]) -> str:
    order_id = api.record(targets=list(targets))
    approved = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert approved.status_code == 200, approved.text
    return order_id


def commands(api: Api, order_id: str) -> list[Command]:
    assert api.node.enforcer is not None
    return api.node.enforcer.store.list_commands(order_id=order_id, limit=1000)


def of_type(found: list[Command], kind: str) -> list[tuple[str, str]]:
    """(platform, participant or host) of each command of ``kind``."""
    who = "host" if kind == HOST_NOTICE else "participant"
    return sorted((c.platform, c.data[who]["id"]) for c in found if c.type == kind)


def both_attend(api: Api, other: str) -> None:
    for platform in ("platform", other):
        assert join(api, platform, "p-cn", MAINLAND).status_code == 201
        assert join(api, platform, "p-us", US).status_code == 201


def test_an_order_on_one_platforms_meeting_never_touches_the_others(api: Api, other: str) -> None:
    both_attend(api, other)
    order_id = approve(api, {"type": "meeting", "id": "june4-a", "platform": "platform"})

    found = commands(api, order_id)
    assert of_type(found, REMOVE) == [("platform", "p-cn")]
    assert of_type(found, HOST_NOTICE) == [("platform", "host-us-1")]
    assert (admit(api, "platform", MAINLAND), admit(api, other, MAINLAND)) == ("deny", "allow")
    assert join(api, other, "p-cn-2", MAINLAND).status_code == 201
    assert join(api, "platform", "p-cn-2", MAINLAND).status_code == 451


def test_a_host_target_on_one_platform_leaves_the_same_account_name_elsewhere(
    api: Api, other: str
) -> None:
    both_attend(api, other)
    order_id = approve(api, {"type": "host", "id": "host-us-1", "platform": other})
    assert of_type(commands(api, order_id), REMOVE) == [(other, "p-cn")]
    assert (admit(api, "platform", MAINLAND), admit(api, other, MAINLAND)) == ("allow", "deny")


def test_a_target_on_every_platform_says_so_and_tells_each_platforms_host(
    api: Api, other: str
) -> None:
    both_attend(api, other)
    order_id = approve(api, {"type": "meeting", "id": "june4-a", "platform": "*"})

    found = commands(api, order_id)
    assert of_type(found, REMOVE) == [("other", "p-cn"), ("platform", "p-cn")]
    # One host notice per platform: the same meeting id on two platforms is two meetings.
    assert of_type(found, HOST_NOTICE) == [("other", "host-us-1"), ("platform", "host-us-1")]
    assert all("/platform/" in c.key or "/other/" in c.key for c in found if c.type == HOST_NOTICE)
    shown = api.call("GET", f"/v1/orders/{order_id}", "reviewer").json()
    assert shown["targets"] == [{"type": "meeting", "id": "june4-a", "platform": "*"}]
    impact = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer").json()
    assert impact["targets"] == shown["targets"]
    assert impact["planned"]["participants"] == 2  # p-cn on each platform: two people


def test_a_target_that_names_no_platform_reads_as_every_platform(api: Api) -> None:
    order_id = api.record()  # the 2020 demand's targets, as clients sent them before
    shown = api.call("GET", f"/v1/orders/{order_id}", "reviewer").json()
    assert {t["platform"] for t in shown["targets"]} == {"*"}


def test_the_impact_preview_counts_only_the_targets_platform(api: Api, other: str) -> None:
    both_attend(api, other)
    order_id = api.record(targets=[{"type": "meeting", "id": "june4-a", "platform": other}])
    impact = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer").json()
    assert impact["targets"] == [{"type": "meeting", "id": "june4-a", "platform": other}]
    assert impact["as_asked"]["participants"] == 2  # other's p-cn and p-us, not platform's
    assert impact["planned"]["participants"] == 1


def file(api: Api, platform: str, order_id: str, who: str) -> Any:
    body = {"order_id": order_id, "appellant": {"kind": "participant", "id": who},
            "reason": "I live in Hong Kong"}  # fmt: skip
    return api.call("POST", "/v1/appeals", platform, json=body)


def test_a_platform_appeals_only_for_its_own_participants(api: Api, other: str) -> None:
    assert join(api, "platform", "p-cn", MAINLAND).status_code == 201
    assert join(api, other, "p-us", US).status_code == 201
    order_id = approve(api, {"type": "meeting", "id": "june4-a", "platform": "*"})

    refused = file(api, other, order_id, "p-cn")  # platform's participant, not other's
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert file(api, other, order_id, "p-us").status_code == 404  # never removed
    filed = file(api, "platform", order_id, "p-cn")
    assert filed.status_code == 201, filed.text
    assert filed.json()["platform"] == "platform"


def test_a_reversed_appeal_readmits_and_releases_on_the_removals_platform_only(
    api: Api, other: str
) -> None:
    both_attend(api, other)  # p-cn on both platforms: two people who share an id
    order_id = approve(api, {"type": "meeting", "id": "june4-a", "platform": "*"})
    filed = file(api, "platform", order_id, "p-cn")
    assert filed.status_code == 201, filed.text

    decide = {"outcome": "reversed", "reason": "no legal basis", "remedy": "person"}
    decided = api.call("POST", f"/v1/appeals/{filed.json()['id']}/decide", "reviewer2", json=decide)
    assert decided.status_code == 200, decided.text

    assert decided.json()["readmitted"] == 1
    assert of_type(commands(api, order_id), READMIT) == [("platform", "p-cn")]
    assert join(api, "platform", "p-cn", MAINLAND).status_code == 201  # released there
    assert join(api, other, "p-cn", MAINLAND).status_code == 451  # not the other p-cn


def test_a_demand_as_clients_sent_it_still_records(api: Api) -> None:
    body = demand()
    assert all("platform" not in t for t in body["targets"])
    assert api.call("POST", "/v1/orders", "intake", json=body).status_code == 201
