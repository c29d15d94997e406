"""Who must go when an order takes effect: the planner, and the enforcer's activation over the
in-memory roster and outbox, with the recording connector (no server, no patching)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from enforcement_builders import (
    APPEAL_URL,
    BEIJING,
    HONG_KONG,
    NOW,
    SHANGHAI,
    UNKNOWN,
    Clock,
    in_force,
    platform,
    session,
)

from remit.connectors import RecordingConnector
from remit.enforcement import (
    CommandType,
    Delivery,
    Enforcer,
    HostNoticeData,
    MemoryEnforcementStore,
    Policy,
    RemoveData,
    Session,
    SessionStatus,
    must_go,
    payload,
    plan,
)
from remit.location import Location
from remit.orders import Order, to_active
from remit.policy import PolicyIndex, Target

DELIVERY = Delivery(NOW, timedelta(minutes=15), APPEAL_URL)
TAIPEI = Location("TW", None, "static")


def _removed(order: Order, sessions: list[Session]) -> list[str]:
    commands = plan(order, to_active(order), sessions, DELIVERY)
    return sorted(c.session_id or "" for c in commands if c.type is CommandType.REMOVE)


# The planner ----------------------------------------------------------------------------------
def test_only_sessions_located_inside_the_scope_of_a_targeted_meeting_are_removed() -> None:
    sessions = [
        session("bj", BEIJING),
        session("sh", SHANGHAI),
        session("hk", HONG_KONG),
        session("tw", TAIPEI),
        session("nowhere", UNKNOWN),
        session("elsewhere", BEIJING, meeting="book-club", host="someone"),
    ]
    assert _removed(in_force(), sessions) == ["bj", "sh"]


def test_a_narrowed_scope_reaches_only_its_subdivision() -> None:
    sessions = [session("bj", BEIJING), session("sh", SHANGHAI)]
    assert _removed(in_force(scope=("CN-BJ",)), sessions) == ["bj"]


def test_a_host_target_reaches_every_meeting_of_the_host() -> None:
    order = in_force(Target("host", "host-us-1"))
    sessions = [
        session("a", meeting="june4-a"),
        session("b", meeting="june4-b"),
        session("c", meeting="june4-c", host="host-hk-1"),
    ]
    assert _removed(order, sessions) == ["a", "b"]


def test_a_participant_released_on_appeal_stays() -> None:
    order = replace(in_force(), exempt=("p-bj",))
    assert _removed(order, [session("bj"), session("sh", SHANGHAI)]) == ["sh"]
    assert [s.id for s in must_go(to_active(order), [session("bj")])] == []


def test_each_affected_meeting_with_a_host_gets_one_notice_counting_by_country() -> None:
    order = in_force(Target("meeting", "june4-a"), Target("meeting", "open-room"))
    sessions = [
        session("bj", BEIJING),
        session("sh", SHANGHAI),
        session("hk", HONG_KONG),
        session("o", BEIJING, meeting="open-room", host=None),  # no host: no one to tell
    ]
    commands = plan(order, to_active(order), sessions, DELIVERY)
    notices = [payload(c) for c in commands if c.type is CommandType.HOST_NOTICE]
    assert len(notices) == 1
    notice = notices[0]
    assert isinstance(notice, HostNoticeData)
    assert (notice.resource.id, notice.host.id, notice.counts) == (
        "june4-a",
        "host-us-1",
        {"CN": 2},
    )
    assert "account is untouched" in notice.notice.body


def test_every_removal_carries_its_participants_notice_naming_the_place() -> None:
    commands = plan(in_force(), to_active(in_force()), [session("sh", SHANGHAI, language="zh-CN")],
                    DELIVERY)  # fmt: skip
    removal = payload(commands[0])
    assert isinstance(removal, RemoveData)
    assert removal.place == "CN-SH"
    assert removal.notice.language == "zh-Hans"
    assert "Ministry of Public Security" in removal.notice.body  # as recorded, untranslated
    assert commands[0].key == "remove/ord-1/sh"
    assert commands[0].deadline == NOW + timedelta(minutes=15)


# Activation on the roster ---------------------------------------------------------------------
@pytest.fixture
def store() -> MemoryEnforcementStore:
    made = MemoryEnforcementStore()
    made.add_platform(platform())
    return made


@pytest.fixture
def recording() -> RecordingConnector:
    return RecordingConnector()


@pytest.fixture
def enforcer(store: MemoryEnforcementStore, recording: RecordingConnector) -> Iterator[Enforcer]:
    orders: list[Order] = []
    made = Enforcer(
        store,
        {recording.name: recording},
        clock=Clock(),
        active_orders=lambda: orders,
        policy=Policy(workers=2),
    )
    yield made
    made.stop()


def test_activation_enqueues_the_plan_and_delivery_carries_it_out(
    store: MemoryEnforcementStore, enforcer: Enforcer, recording: RecordingConnector
) -> None:
    store.add_sessions([session("bj"), session("hk", HONG_KONG), session("sh", SHANGHAI)])
    assert enforcer.activate(in_force()) == 3  # two removals, one host notice
    assert enforcer.deliver_due() == 3
    removed = recording.payloads(CommandType.REMOVE)
    assert sorted(r.session_id for r in removed if isinstance(r, RemoveData)) == ["bj", "sh"]
    assert len(recording.payloads(CommandType.HOST_NOTICE)) == 1
    assert {a.platform.name for a in recording.attempts} == {"meet"}


def test_activation_is_idempotent_across_sweeps_and_nodes(
    store: MemoryEnforcementStore, enforcer: Enforcer
) -> None:
    store.add_sessions([session("bj"), session("sh", SHANGHAI)])
    order = in_force()
    assert enforcer.activate(order) == 3
    assert enforcer.activate(order) == 0
    other_node = Enforcer(store, {}, clock=Clock(), active_orders=lambda: [order])
    try:
        assert other_node.sweep() == 0
    finally:
        other_node.stop()
    assert len(store.list_commands(order_id="ord-1")) == 3


def test_a_session_that_left_is_not_removed(
    store: MemoryEnforcementStore, enforcer: Enforcer
) -> None:
    store.add_sessions([session("bj"), session("sh", SHANGHAI)])
    store.end_session("bj", SessionStatus.LEFT, NOW)
    enforcer.activate(in_force())
    removals = [c.session_id for c in store.list_commands() if c.type is CommandType.REMOVE]
    assert removals == ["sh"]


def test_a_session_that_joins_while_the_order_is_in_force_is_checked(
    store: MemoryEnforcementStore, enforcer: Enforcer
) -> None:
    order = in_force()
    index = PolicyIndex.compile([to_active(order)])
    late = session("late", SHANGHAI)
    store.add_session(late)
    commands = enforcer.check(late, index, {order.id: order}.__getitem__)
    assert [c.key for c in commands] == ["remove/ord-1/late"]
    assert enforcer.check(session("hk", HONG_KONG), index, {order.id: order}.__getitem__) == []
    assert store.get_command("remove/ord-1/late").type is CommandType.REMOVE


def test_a_reversal_readmits_every_removed_session_page_after_page(
    store: MemoryEnforcementStore, enforcer: Enforcer, recording: RecordingConnector
) -> None:
    many = 2_345  # more than two pages of the outbox's removals
    store.add_sessions([session(f"s{n:05}", BEIJING) for n in range(many)])
    order = in_force()
    enforcer.activate(order)
    assert enforcer.readmit(order, {"p-s00007"}) == 1
    assert enforcer.readmit(order) == many - 1  # the one readmitted already is not again
    readmits = [c for c in store.list_commands(limit=10 * many) if c.type is CommandType.READMIT]
    assert len(readmits) == many
    assert {c.session_id for c in readmits} == {f"s{n:05}" for n in range(many)}
