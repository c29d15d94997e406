"""What the public log says about orders, enforcement and appeals, and what it never says.

Invariant 6: the public log holds no personal data. Names of staff, reasons, questions and
justifications (which may name people), and raw meeting or host ids never reach an entry.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from log_builders import SECRET, T0, approved, clarified, demand, rejected

from remit import orders
from remit.errors import InvalidInput, UnknownJurisdiction, VerificationError
from remit.orders import Document
from remit.policy import Target
from remit.transparency import entries


def decoded(order: orders.Order) -> list[dict[str, object]]:
    return [entries.parse_entry(r.data) for r in entries.order_records(order, SECRET)]


def test_a_demand_as_received_with_its_public_fields_and_hashed_targets() -> None:
    document = Document("ab" * 32, "application/pdf", 1234, "demand.pdf")
    (first,) = entries.order_records(demand(document=document), SECRET)
    assert first.key == "order/ord-0001/1"
    assert first.kind == "order.received"
    entry = entries.parse_entry(first.data)
    assert entry == {
        "kind": "order.received",
        "v": 1,
        "order": "ord-0001",
        "seq": 1,
        "at": "2020-06-01T01:00:00Z",
        "type": "GovernmentRequest",
        "authority": {
            "name": "Ministry of Public Security",
            "kind": "ministry",
            "jurisdiction": "CN",
        },
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": "2020-0604",
        "received_at": "2020-06-01T01:00:00Z",
        "effective_from": None,
        "effective_until": None,
        "request": {"actions": ["delete_account"], "scope": ["*"]},
        "targets": [
            {"type": "meeting", "hmac": entries.target_hash(SECRET, Target("meeting", "june4-a"))},
            {"type": "host", "hmac": entries.target_hash(SECRET, Target("host", "host-us-1"))},
        ],
        "document_sha256": "ab" * 32,
    }
    assert len(entry["targets"][0]["hmac"]) == 64  # type: ignore[index]


def test_entries_are_canonical_json() -> None:
    for record in entries.order_records(approved(demand()), SECRET):
        value = json.loads(record.data)
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert record.data == canonical.encode("utf-8")


def test_each_transition_with_its_role_scope_and_checklist_but_no_person() -> None:
    lines = decoded(approved(demand(), scope=["CN"]))
    assert [e["kind"] for e in lines] == ["order.received", "order.transition", "order.transition"]
    review, approval = lines[1], lines[2]
    assert review == {
        "kind": "order.transition",
        "v": 1,
        "order": "ord-0001",
        "seq": 2,
        "action": "review",
        "from": "received",
        "to": "in_review",
        "at": "2020-06-01T02:00:00Z",
        "actor_role": "reviewer",
        "scope": None,
        "checklist": None,
    }
    assert approval["action"] == "approve"
    assert approval["to"] == "active"
    assert approval["scope"] == ["CN"]
    assert approval["second_person"] is True
    assert approval["checklist"] == {
        "authority_competent": False,
        "gag_order_without_end_date": False,
        "legal_basis_stated": True,
        "overbroad": True,
        "targets_inside_jurisdiction": False,
        "written_and_signed": False,
    }


def test_activation_expiry_and_lifting_are_logged_as_transitions_by_role() -> None:
    start, until = T0 + timedelta(days=1), T0 + timedelta(days=2)
    order = approved(demand(effective_from=start, effective_until=until))
    active = orders.advance(order, start)
    assert active is not None
    expired = orders.advance(active, until)
    assert expired is not None
    lines = decoded(expired)
    assert [(e["action"], e["actor_role"]) for e in lines[-2:]] == [
        ("activate", "system"),
        ("expire", "system"),
    ]
    lifted = orders.lift(approved(demand()), actor="bob", now=T0 + timedelta(days=1), reason="x")
    assert decoded(lifted)[-1]["action"] == "lift"
    assert decoded(lifted)[-1]["to"] == "lifted"


def test_only_the_transitions_after_a_sequence() -> None:
    order = approved(demand())
    keys = [r.key for r in entries.order_records(order, SECRET, after=2)]
    assert keys == ["order/ord-0001/3"]


_PERSONAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=12).map(
    lambda text: f"Pii{text}"
)


@settings(max_examples=60, deadline=None)
@given(
    intake=_PERSONAL,
    reviewer=_PERSONAL,
    reason=_PERSONAL,
    meeting=_PERSONAL,
    host=_PERSONAL,
)
def test_no_name_reason_or_raw_target_id_ever_reaches_the_log(
    intake: str, reviewer: str, reason: str, meeting: str, host: str
) -> None:
    order = demand(
        actor=intake,
        targets=[Target("meeting", meeting), Target("host", host)],
        request=orders.Request(
            f"Remove {reason}", (orders.RequestedAction.DELETE_ACCOUNT,), ("*",)
        ),
    )
    reviewer = f"{reviewer}R"  # never the recorder: four eyes
    order = orders.clarify(order, actor=reviewer, now=T0, question=f"Who is {reason}?")
    order = orders.answer(order, actor=intake, now=T0, answer=f"{reason} is the host")
    order = orders.approve(order, actor=reviewer, now=T0, justification=f"{reason} is bad")
    order = orders.lift(order, actor=reviewer, now=T0, reason=f"{reason} appealed")
    text = b"".join(r.data for r in entries.order_records(order, SECRET)).decode()
    for secret in (intake, reviewer, reason, meeting, host):
        assert secret not in text


def test_rejection_and_clarification_log_no_reason() -> None:
    text = b"".join(
        r.data
        for o in (rejected(demand()), clarified(demand()))
        for r in entries.order_records(o, SECRET)
    )
    assert b"Dave" not in text
    assert b"Erin" not in text
    assert b"Wang Dan" not in text  # the request's text is not logged either


def test_enforcement_counts_per_country_and_day() -> None:
    record = entries.enforcement_record(
        "ord-0001", date(2020, 6, 4), {"cn": {"refused": 12, "removed": 3}, "CN-BJ": {}}
    )
    assert record.key == "enforcement/ord-0001/2020-06-04"
    assert entries.parse_entry(record.data) == {
        "kind": "enforcement.counts",
        "v": 1,
        "order": "ord-0001",
        "day": "2020-06-04",
        "counts": {"CN": {"refused": 12, "removed": 3}, "CN-BJ": {}},
    }


@pytest.mark.parametrize(
    ("counts", "error"),
    [
        ({"ZZ": {"refused": 1}}, UnknownJurisdiction),
        ({"EU": {"refused": 1}}, InvalidInput),  # a group is not a place
        ({"CN": {"Refused People": 1}}, InvalidInput),
        ({"CN": {"refused": -1}}, InvalidInput),
        ({"CN": {"refused": True}}, InvalidInput),
        ({"CN": {"refused": 1.5}}, InvalidInput),
    ],
)
def test_bad_counts_are_refused(counts: dict[str, dict[str, int]], error: type[Exception]) -> None:
    with pytest.raises(error):
        entries.enforcement_record("ord-0001", date(2020, 6, 4), counts)


def test_a_day_is_a_date() -> None:
    with pytest.raises(InvalidInput):
        entries.enforcement_record("ord-0001", datetime(2020, 6, 4, tzinfo=UTC), {})


def test_appeal_outcomes() -> None:
    at = datetime(2020, 7, 1, tzinfo=UTC)
    record = entries.appeal_record("ord-0001", "reversed", ["cn"], at=at, appeal_id="apl-1")
    assert record.key == "appeal/ord-0001/apl-1/reversed"
    assert entries.parse_entry(record.data) == {
        "kind": "appeal.outcome",
        "v": 1,
        "order": "ord-0001",
        "outcome": "reversed",
        "scope": ["CN"],
        "at": "2020-07-01T00:00:00Z",
    }
    same = entries.appeal_record("ord-0001", "filed", ["CN"], at=at)
    assert same.key == entries.appeal_record("ord-0001", "filed", ["CN"], at=at).key
    with pytest.raises(InvalidInput, match="outcome"):
        entries.appeal_record("ord-0001", "won", ["CN"], at=at)
    with pytest.raises(InvalidInput, match="scope"):
        entries.appeal_record("ord-0001", "filed", [], at=at)
    with pytest.raises(InvalidInput, match="at"):
        entries.appeal_record("ord-0001", "filed", ["CN"], at=datetime(2020, 7, 1))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",
        b"[1]",
        b'{"v":1, "kind":"order.received"}',  # not canonical
        b'{"kind":"other","v":1}',
        b'{"kind":"order.received","v":2}',
    ],
)
def test_an_entry_that_is_not_ours_is_refused(data: bytes) -> None:
    with pytest.raises(VerificationError):
        entries.parse_entry(data)
