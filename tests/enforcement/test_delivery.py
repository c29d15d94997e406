"""The delivery loop on the in-memory outbox with the recording connector: delivered once,
retried with backoff, reported failed at the deadline and never dropped (invariant 5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from enforcement_builders import NOW, Clock, in_force, platform, session

from remit.connectors import RecordingConnector
from remit.enforcement import (
    Command,
    CommandStatus,
    Connector,
    Enforcer,
    MemoryEnforcementStore,
    Platform,
    Policy,
)
from remit.errors import DeliveryError

TTL = timedelta(minutes=10)
#: Backoff of 60 s for the first retry, doubled each time (with up to 20% jitter either way).
POLICY = Policy(ttl=TTL, backoff_base_s=60, backoff_max_s=600, workers=4)


class Down:
    """A platform that answers nothing until it is back up."""

    def __init__(self) -> None:
        self.up = False

    def __call__(self, platform: Platform, command: Command) -> None:
        if not self.up:
            raise DeliveryError(f"platform {platform.name}: connection refused")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryEnforcementStore:
    made = MemoryEnforcementStore()
    made.add_platform(platform())
    made.add_sessions([session("bj"), session("sh")])
    return made


@pytest.fixture
def down() -> Down:
    return Down()


def _enforcer(store: MemoryEnforcementStore, clock: Clock, *connectors: Connector) -> Enforcer:
    return Enforcer(
        store, {c.name: c for c in connectors}, clock=clock, active_orders=list, policy=POLICY
    )


@pytest.fixture
def flaky(store: MemoryEnforcementStore, clock: Clock, down: Down) -> Iterator[Enforcer]:
    """An enforcer whose one platform is down, with the order's three commands enqueued."""
    made = _enforcer(store, clock, RecordingConnector(handler=down))
    assert made.activate(in_force()) == 3
    yield made
    made.stop()


def _statuses(store: MemoryEnforcementStore) -> set[CommandStatus]:
    return {c.status for c in store.list_commands()}


def test_each_due_command_is_delivered_once(store: MemoryEnforcementStore, clock: Clock) -> None:
    recording = RecordingConnector()
    enforcer = _enforcer(store, clock, recording)
    try:
        enforcer.activate(in_force())
        assert enforcer.deliver_due() == 3
        assert enforcer.deliver_due() == 0
        clock.advance(hours=1)
        assert enforcer.deliver_due() == 0, "a delivered command never comes due again"
    finally:
        enforcer.stop()
    assert sorted(c.key for c in recording.delivered) == [
        "host/ord-1/meet/meeting/june4-a", "remove/ord-1/bj", "remove/ord-1/sh",
    ]  # fmt: skip
    for command in store.list_commands():
        assert (command.status, command.attempts, command.delivered_at) == (
            CommandStatus.DELIVERED,
            1,
            NOW,
        )
    assert recording.closed, "stopping the enforcer closes its connectors"


def test_an_unreachable_platform_is_retried_with_backoff_until_it_answers(
    flaky: Enforcer, store: MemoryEnforcementStore, clock: Clock, down: Down
) -> None:
    assert flaky.deliver_due() == 3
    pending = store.list_commands()
    assert {c.status for c in pending} == {CommandStatus.PENDING}
    assert all(c.attempts == 1 and "connection refused" in (c.last_error or "") for c in pending)
    for command in pending:
        wait = command.next_attempt_at - NOW
        assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)  # 60 s, jittered
    assert flaky.deliver_due() == 0, "nothing is due before its next attempt"
    clock.advance(seconds=75)
    assert flaky.deliver_due() == 3
    second = {c.key: c.next_attempt_at - clock() for c in store.list_commands()}
    assert all(timedelta(seconds=96) <= w <= timedelta(seconds=144) for w in second.values())
    down.up = True
    clock.advance(seconds=150)
    assert flaky.deliver_due() == 3
    assert _statuses(store) == {CommandStatus.DELIVERED}
    assert {c.attempts for c in store.list_commands()} == {3}
    assert {c.last_error for c in store.list_commands()} == {None}


def test_a_command_past_its_deadline_is_failed_and_kept(
    flaky: Enforcer, store: MemoryEnforcementStore, clock: Clock
) -> None:
    for _ in range(12):
        flaky.deliver_due()
        clock.advance(minutes=2)
    failed = store.list_commands(status=CommandStatus.FAILED)
    assert len(failed) == 3 == len(store.list_commands())
    assert all(c.last_error and c.attempts >= 2 for c in failed)
    clock.advance(days=1)
    assert flaky.deliver_due() == 0, "a failed command is reported, not tried forever"


def test_a_late_attempt_that_got_through_settles_a_failed_command(
    store: MemoryEnforcementStore, clock: Clock, down: Down
) -> None:
    enforcer = _enforcer(store, clock, RecordingConnector(handler=down))
    try:
        enforcer.activate(in_force())
        for _ in range(12):
            enforcer.deliver_due()
            clock.advance(minutes=2)
        assert _statuses(store) == {CommandStatus.FAILED}
        store.record_attempt("remove/ord-1/bj", status=CommandStatus.DELIVERED, at=clock())
        assert store.get_command("remove/ord-1/bj").status is CommandStatus.DELIVERED
    finally:
        enforcer.stop()


def test_a_platform_whose_connector_is_not_installed_is_retried_and_says_so(
    store: MemoryEnforcementStore, clock: Clock
) -> None:
    store.add_platform(platform("xmpp", connector="prosody"))
    store.add_sessions([session("x", platform="xmpp", meeting="june4-a")])
    recording = RecordingConnector()
    enforcer = _enforcer(store, clock, recording)
    try:
        enforcer.activate(in_force())
        enforcer.deliver_due()
    finally:
        enforcer.stop()
    theirs = store.get_command("remove/ord-1/x")
    assert theirs.status is CommandStatus.PENDING
    assert "no connector named 'prosody' is installed" in (theirs.last_error or "")
    assert "remove/ord-1/x" not in {c.key for c in recording.delivered}
    assert store.get_command("remove/ord-1/bj").status is CommandStatus.DELIVERED


def test_a_connectors_bug_does_not_stop_the_outbox(
    store: MemoryEnforcementStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def bug(platform: Platform, command: Command) -> None:
        if command.key == "remove/ord-1/bj":
            raise KeyError("settings")

    enforcer = _enforcer(store, clock, RecordingConnector(handler=bug))
    try:
        enforcer.activate(in_force())
        assert enforcer.deliver_due() == 3
    finally:
        enforcer.stop()
    broken = store.get_command("remove/ord-1/bj")
    assert broken.status is CommandStatus.PENDING
    assert (broken.last_error or "").startswith("connector error: KeyError")
    assert store.get_command("remove/ord-1/sh").status is CommandStatus.DELIVERED
    assert "connector failed on remove/ord-1/bj" in caplog.text


def test_the_recording_connector_records_every_attempt_and_only_successes_as_delivered(
    flaky: Enforcer, down: Down, clock: Clock
) -> None:
    recording = flaky.connectors["recording"]
    assert isinstance(recording, RecordingConnector)
    flaky.deliver_due()
    assert (len(recording.attempts), recording.delivered) == (3, [])
    down.up = True
    clock.advance(minutes=2)
    flaky.deliver_due()
    assert len(recording.attempts) == 6
    assert len(recording.delivered) == 3
