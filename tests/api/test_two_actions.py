"""The demand as made: the 2020 demand asked for two things, and is recorded, reported and
exported as two actions (issue 15, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from api_helpers import Api, demand

from remit.transparency.lumen import Recipient, lumen_notice
from remit.transparency.report import build_report

TWO = ["delete_meeting", "delete_account"]


def _request(**asked: object) -> dict[str, object]:
    return {"text": "Delete the meetings and the accounts hosting them.", "scope": ["*"], **asked}


def test_a_two_action_demand_is_recorded_reported_and_exported_as_two(api: Api) -> None:
    order_id = api.record(request=_request(actions=TWO))

    shown = api.call("GET", f"/v1/orders/{order_id}", "reviewer").json()
    assert shown["request"]["actions"] == TWO
    impact = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer").json()
    assert impact["actions_asked"] == TWO

    order = api.node.store.get_order(order_id)
    report = build_report([order], [], generated_at=datetime.now(UTC))
    assert [(a.action, a.demands) for a in report.totals.actions_asked] == [
        ("delete_account", 1),
        ("delete_meeting", 1),
    ]
    assert report.demands[0].actions_asked == tuple(TWO)
    assert report.totals.account_actions_asked == 1  # one demand, asking one account action
    notice = lumen_notice(order, b"k" * 32, Recipient())["notice"]
    assert notice["tag_list"] == "delete_meeting, delete_account"
    assert notice["subject"] == "asked: delete_meeting, delete_account in *"


def test_one_action_as_older_clients_send_it_reads_as_a_one_item_list(api: Api) -> None:
    order_id = api.record(request=_request(action="delete_account"))
    shown = api.call("GET", f"/v1/orders/{order_id}", "reviewer").json()
    assert shown["request"]["actions"] == ["delete_account"]


def test_both_forms_at_once_or_an_action_twice_is_refused(api: Api) -> None:
    for request in (
        _request(action="delete_account", actions=TWO),
        _request(actions=["delete_account", "delete_account"]),
        _request(),
    ):
        answer = api.call("POST", "/v1/orders", "intake", json={**demand(), "request": request})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "request.actions"
