"""Each demand as a Lumen notice: the public fields, the outcome, and targets only as hashes."""

from __future__ import annotations

import json

import pytest
from log_builders import SECRET, approved, demand, rejected, story

from remit.errors import InvalidInput
from remit.orders import Request, RequestedAction
from remit.policy import Target
from remit.transparency.entries import target_hash
from remit.transparency.lumen import Recipient, lumen_notice, lumen_notices

US_PLATFORM = Recipient("Example Meetings Inc.", "US")


def test_a_notice_has_lumens_fields() -> None:
    notice = lumen_notice(approved(demand()), SECRET, US_PLATFORM)["notice"]
    assert notice["type"] == "GovernmentRequest"
    assert notice["title"] == "Government request from Ministry of Public Security (CN)"
    assert notice["jurisdiction_list"] == "CN"
    assert notice["regulation_list"] == "Cybersecurity Law art. 12"
    assert notice["case_id_number"] == "2020-0604"
    assert notice["date_received"] == "2020-06-01"
    assert notice["date_sent"] is None
    assert notice["action_taken"] == "Partial"  # asked: accounts, everywhere; done: CN only
    roles = {r["name"]: r["entity_attributes"] for r in notice["entity_notice_roles_attributes"]}
    assert roles["sender"] == {
        "name": "Ministry of Public Security",
        "kind": "organization",
        "country_code": "CN",
    }
    assert roles["principal"]["name"] == "Ministry of Public Security"
    assert roles["recipient"] == {
        "name": "Example Meetings Inc.",
        "kind": "organization",
        "country_code": "US",
    }


def test_targets_are_redacted_to_the_logs_keyed_hashes() -> None:
    notice = lumen_notice(demand(), SECRET, US_PLATFORM)["notice"]
    text = json.dumps(notice)
    assert "june4-a" not in text
    assert "host-us-1" not in text
    hashed = target_hash(SECRET, Target("meeting", "june4-a"))
    assert notice["works_attributes"][0]["kind"] == "meeting"
    assert notice["works_attributes"][0]["infringing_urls_attributes"] == [
        {"url": f"urn:remit:meeting:{hashed}"}
    ]


@pytest.mark.parametrize(
    ("order_id", "action_taken"),
    [("ord-0001", "Partial"), ("ord-0002", "Partial"), ("ord-0003", "No"), ("ord-0004", None)],
)
def test_action_taken(order_id: str, action_taken: str | None) -> None:
    (order,) = [o for o in story() if o.id == order_id]
    assert lumen_notice(order, SECRET, US_PLATFORM)["notice"]["action_taken"] == action_taken


def test_action_taken_is_yes_only_when_remit_did_what_was_asked_where_it_was_asked() -> None:
    asked = Request(
        "Remove them from the meeting.", (RequestedAction.REMOVE_PARTICIPANTS,), ("CN",)
    )
    notice = lumen_notice(approved(demand(request=asked)), SECRET, US_PLATFORM)["notice"]
    assert notice["action_taken"] == "Yes"


def test_every_demand_oldest_first_rejected_ones_too() -> None:
    notices = lumen_notices(reversed(story()), SECRET, Recipient())
    assert len(notices) == 5
    assert notices[0]["notice"]["case_id_number"] == "2020-0604"
    assert any(n["notice"]["action_taken"] == "No" for n in notices)
    assert lumen_notice(rejected(demand()), SECRET, Recipient())["notice"]["action_taken"] == "No"


def test_the_recipient_is_checked() -> None:
    with pytest.raises(InvalidInput):
        Recipient(" ")
    with pytest.raises(InvalidInput):
        Recipient("Example", "EU")
