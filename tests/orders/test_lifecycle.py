"""The order lifecycle as pure functions: a table of every step from every status, and a state
machine that walks random sequences of steps by several people and checks the invariants that
hold whatever happened before (four eyes, a scope that never widens, nothing silent, no way out
of a final status)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from remit import jurisdictions, orders
from remit.errors import Conflict, FourEyesViolation, InvalidOrder, InvalidScope
from remit.orders import (
    FINAL,
    Authority,
    AuthorityKind,
    Order,
    OrderType,
    Request,
    RequestedAction,
    Status,
)
from remit.policy import Target

T0 = datetime(2020, 6, 1, 9, 0, tzinfo=UTC)
RECORDER = "alice"


def recorded(
    *,
    jurisdiction: str = "CN",
    effective_from: datetime | None = None,
    effective_until: datetime | None = None,
) -> Order:
    return orders.record(
        id="ord_1",
        type=OrderType.GOVERNMENT_REQUEST,
        authority=Authority("Ministry", AuthorityKind.MINISTRY, jurisdiction),
        legal_basis="Article 1",
        case_id="case-1",
        received_at=T0,
        request=Request("Delete the meetings", (RequestedAction.DELETE_MEETING,), ("*",)),
        targets=(Target("meeting", "m-1"),),
        actor=RECORDER,
        now=T0,
        effective_from=effective_from,
        effective_until=effective_until,
    )


Step = Callable[[Order, str, datetime], Order]

STEPS: dict[str, Step] = {
    "review": lambda o, who, now: orders.start_review(o, actor=who, now=now),
    "approve": lambda o, who, now: orders.approve(o, actor=who, now=now, justification="lawful"),
    "reject": lambda o, who, now: orders.reject(o, actor=who, now=now, reason="overbroad"),
    "clarify": lambda o, who, now: orders.clarify(o, actor=who, now=now, question="which?"),
    "answer": lambda o, who, now: orders.answer(o, actor=who, now=now, answer="these"),
    "lift": lambda o, who, now: orders.lift(o, actor=who, now=now, reason="court quashed it"),
}


def in_status(status: Status) -> Order:
    """An order brought to ``status`` by the usual path (bo reviews and approves)."""
    order = recorded(effective_from=T0 + timedelta(days=1) if status is Status.APPROVED else None)
    now = T0 + timedelta(minutes=1)
    path = {
        Status.RECEIVED: [],
        Status.IN_REVIEW: ["review"],
        Status.CLARIFICATION_REQUESTED: ["review", "clarify"],
        Status.APPROVED: ["review", "approve"],
        Status.ACTIVE: ["review", "approve"],
        Status.REJECTED: ["review", "reject"],
        Status.LIFTED: ["review", "approve", "lift"],
    }
    if status is Status.EXPIRED:
        order = recorded(effective_until=T0 + timedelta(hours=1))
        order = STEPS["approve"](order, "bo", now)
        expired = orders.advance(order, T0 + timedelta(hours=2))
        assert expired is not None
        return expired
    for name in path[status]:
        order = STEPS[name](order, "bo", now)
    assert order.status is status
    return order


#: (status, step) -> the status it leads to, for every step allowed from that status. Every pair
#: not listed is refused with Conflict.
ALLOWED: dict[tuple[Status, str], Status] = {
    (Status.RECEIVED, "review"): Status.IN_REVIEW,
    (Status.RECEIVED, "approve"): Status.ACTIVE,
    (Status.RECEIVED, "reject"): Status.REJECTED,
    (Status.RECEIVED, "clarify"): Status.CLARIFICATION_REQUESTED,
    (Status.IN_REVIEW, "approve"): Status.ACTIVE,
    (Status.IN_REVIEW, "reject"): Status.REJECTED,
    (Status.IN_REVIEW, "clarify"): Status.CLARIFICATION_REQUESTED,
    (Status.CLARIFICATION_REQUESTED, "answer"): Status.IN_REVIEW,
    (Status.CLARIFICATION_REQUESTED, "reject"): Status.REJECTED,
    (Status.APPROVED, "lift"): Status.LIFTED,
    (Status.ACTIVE, "lift"): Status.LIFTED,
}


@pytest.mark.parametrize("status", list(Status), ids=str)
@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_from_every_status(status: Status, step: str) -> None:
    order = in_status(status)
    now = T0 + timedelta(minutes=5)
    expected = ALLOWED.get((status, step))
    if expected is None:
        with pytest.raises(Conflict, match=f"that is {status.value}"):
            STEPS[step](order, "carol", now)
        return
    after = STEPS[step](order, "carol", now)
    assert after.status is expected
    assert after.version == order.version + 1
    last = after.transitions[-1]
    assert (last.from_status, last.to_status, last.actor, last.at) == (
        status,
        expected,
        "carol",
        now,
    )
    assert last.reason  # every transition says why


def test_the_recorder_cannot_approve_their_own_record() -> None:
    order = STEPS["review"](recorded(), "bo", T0)
    with pytest.raises(FourEyesViolation, match="second person"):
        STEPS["approve"](order, RECORDER, T0)
    assert STEPS["approve"](order, "bo", T0).approved_by == "bo"


def test_the_recorder_may_still_reject_and_lift() -> None:
    # Four eyes guards the step that lets a demand take effect, not the ones that stop it.
    assert STEPS["reject"](recorded(), RECORDER, T0).status is Status.REJECTED
    active = STEPS["approve"](recorded(), "bo", T0)
    assert STEPS["lift"](active, RECORDER, T0).status is Status.LIFTED


@pytest.mark.parametrize(
    ("jurisdiction", "narrower", "enforced"),
    [
        ("CN", None, ("CN",)),
        ("CN", ["CN-BJ"], ("CN-BJ",)),
        ("CN", ["CN-BJ", "CN-SH", "CN-BJ"], ("CN-BJ", "CN-SH")),
        ("UA", ["UA-43"], ("UA-43",)),
        ("EU", ["DE", "FR"], ("DE", "FR")),
    ],
)
def test_approval_enforces_the_jurisdiction_or_a_narrower_scope(
    jurisdiction: str, narrower: list[str] | None, enforced: tuple[str, ...]
) -> None:
    order = recorded(jurisdiction=jurisdiction)
    approved = orders.approve(order, actor="bo", now=T0, justification="ok", scope=narrower)
    assert approved.scope == enforced
    assert approved.transitions[-1].scope == enforced


@pytest.mark.parametrize(
    ("jurisdiction", "wider"),
    [("CN", ["HK"]), ("CN", ["TW"]), ("CN", ["CN", "MO"]), ("CN", ["*"]), ("DE", ["EU"])],
)
def test_no_approval_reaches_outside_the_jurisdiction(jurisdiction: str, wider: list[str]) -> None:
    order = recorded(jurisdiction=jurisdiction)
    with pytest.raises(InvalidScope) as caught:
        orders.approve(order, actor="bo", now=T0, justification="ok", scope=wider)
    assert caught.value.field == "scope"


def test_a_later_start_waits_as_approved_and_time_alone_activates_and_expires_it() -> None:
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=2)
    approved = STEPS["approve"](recorded(effective_from=start, effective_until=end), "bo", T0)
    assert approved.status is Status.APPROVED
    assert not approved.in_force
    assert orders.next_change(approved) == start
    assert orders.advance(approved, start - timedelta(seconds=1)) is None
    active = orders.advance(approved, start)
    assert active is not None
    assert active.status is Status.ACTIVE
    assert active.in_force
    assert active.transitions[-1].actor == orders.SYSTEM
    assert orders.next_change(active) == end
    expired = orders.advance(active, end)
    assert expired is not None
    assert expired.status is Status.EXPIRED
    assert orders.advance(expired, end + timedelta(days=365)) is None
    assert orders.next_change(expired) is None


def test_an_order_whose_end_has_passed_cannot_be_approved() -> None:
    order = recorded(effective_until=T0 + timedelta(hours=1))
    with pytest.raises(InvalidOrder, match="effective_until"):
        STEPS["approve"](order, "bo", T0 + timedelta(hours=2))


# The state machine -----------------------------------------------------------------------------

PEOPLE = st.sampled_from([RECORDER, "bo", "carol"])
NARROWER = st.sampled_from([None, ["CN"], ["CN-BJ"], ["CN-BJ", "CN-SH"], ["HK"], ["CN", "TW"]])


class Lifecycle(RuleBasedStateMachine):
    """Random steps by random people at increasing times: whatever is refused changes nothing,
    whatever is allowed keeps every rule."""

    @initialize(
        start_in=st.one_of(st.none(), st.integers(1, 100)),
        lasts=st.one_of(st.none(), st.integers(1, 100)),
    )
    def record_one(self, start_in: int | None, lasts: int | None) -> None:
        self.now = T0
        start = None if start_in is None else T0 + timedelta(minutes=start_in)
        end = None if lasts is None else (start or T0) + timedelta(minutes=lasts)
        self.order = recorded(effective_from=start, effective_until=end)
        self.history: list[Order] = [self.order]

    def _try(self, step: Callable[[Order], Order]) -> None:
        before = self.order
        try:
            after = step(before)
        except (Conflict, InvalidOrder, InvalidScope):
            assert self.order is before
            return
        assert before.status not in FINAL, "a final status was left"
        self.order = after
        self.history.append(after)

    @rule(minutes=st.integers(0, 30))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        nxt = orders.advance(self.order, self.now)
        if nxt is not None:
            self.order = nxt
            self.history.append(nxt)

    @rule(name=st.sampled_from(["review", "reject", "clarify", "answer", "lift"]), who=PEOPLE)
    def step(self, name: str, who: str) -> None:
        self._try(lambda o: STEPS[name](o, who, self.now))

    @rule(who=PEOPLE, narrower=NARROWER)
    def approve(self, who: str, narrower: list[str] | None) -> None:
        def go(o: Order) -> Order:
            return orders.approve(o, actor=who, now=self.now, justification="ok", scope=narrower)

        self._try(go)

    @precondition(lambda self: self.order.status in {Status.RECEIVED, Status.IN_REVIEW})
    @rule()
    def recorder_tries_to_approve(self) -> None:
        with pytest.raises((FourEyesViolation, InvalidOrder)):
            orders.approve(self.order, actor=RECORDER, now=self.now, justification="mine")

    @invariant()
    def every_change_is_one_more_transition_saying_who_when_why(self) -> None:
        order = self.order
        assert order.version == len(order.transitions)
        assert [t.sequence for t in order.transitions] == list(range(1, order.version + 1))
        for earlier, later in zip(order.transitions, order.transitions[1:], strict=False):
            assert later.from_status is earlier.to_status
            assert later.at >= earlier.at
        assert all(t.actor and t.reason for t in order.transitions)

    @invariant()
    def only_a_second_person_lets_it_take_effect(self) -> None:
        if self.order.scope is not None:
            assert self.order.approved_by not in (None, RECORDER)
            approvals = [t for t in self.order.transitions if t.action == "approve"]
            assert len(approvals) == 1
            assert approvals[0].actor != RECORDER

    @invariant()
    def the_scope_stays_inside_the_jurisdiction(self) -> None:
        scope = self.order.scope
        if scope is not None:
            for code in scope:
                assert jurisdictions.covers("CN", code), code

    @invariant()
    def in_force_means_active_and_approved(self) -> None:
        assert self.order.in_force is (self.order.status is Status.ACTIVE)
        if self.order.in_force:
            assert orders.to_active(self.order).scope == frozenset(self.order.scope or ())


Lifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=25, deadline=None)
test_lifecycle_state_machine = Lifecycle.TestCase
