"""A running node keeps the retention limit itself: a sweep purges once a day, with no cron job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from remit.enforcement import (
    Enforcer,
    Policy,
    Purged,
    Session,
    SessionStatus,
    retention,
)
from remit.enforcement._memory import MemoryEnforcementStore
from remit.errors import InvalidInput, NotFound
from remit.location import Location
from remit.policy import Resource


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryEnforcementStore:
    return MemoryEnforcementStore()


def enforcer_with(store: MemoryEnforcementStore, clock: Clock, **policy: object) -> Enforcer:
    return Enforcer(
        store,
        {},
        clock=clock,
        active_orders=list,
        policy=Policy(**policy),  # type: ignore[arg-type]
    )


@pytest.fixture
def enforcer(store: MemoryEnforcementStore, clock: Clock) -> Iterator[Enforcer]:
    made = enforcer_with(store, clock, retention=timedelta(days=30))
    yield made
    made.stop()


def attend(store: MemoryEnforcementStore, sid: str, ended_at: datetime) -> None:
    store.add_session(
        Session(
            id=sid,
            platform="zoomish",
            resource=Resource("meeting", "june4-a", "host-us-1"),
            participant=f"person-{sid}",
            location=Location("CN", None, "iptocc"),
            joined_at=ended_at - timedelta(hours=1),
            language="zh-Hans",
        )
    )
    store.end_session(sid, SessionStatus.REMOVED, ended_at)  # a removal: its row is kept


def kept(store: MemoryEnforcementStore, sid: str) -> bool:
    try:
        return store.get_session(sid).participant == f"person-{sid}"
    except NotFound:
        return False


def test_a_sweep_purges_what_passed_the_limit(
    enforcer: Enforcer, store: MemoryEnforcementStore, clock: Clock
) -> None:
    attend(store, "old", clock.now - timedelta(days=31))
    attend(store, "recent", clock.now - timedelta(days=29))

    enforcer.sweep()

    assert not kept(store, "old")
    assert kept(store, "recent")


def test_sweeps_purge_once_a_day(
    enforcer: Enforcer, store: MemoryEnforcementStore, clock: Clock
) -> None:
    assert enforcer.purge_if_due() == Purged(0, 0)  # the first sweep purges
    attend(store, "s", clock.now - timedelta(days=29, hours=12))
    clock.now += timedelta(hours=13)  # s is now past the limit, but a day has not passed
    enforcer.sweep()
    assert kept(store, "s")
    assert enforcer.purge_if_due() is None
    clock.now += timedelta(hours=11)
    enforcer.sweep()
    assert not kept(store, "s")


def test_later_purges_read_only_since_the_one_before(
    enforcer: Enforcer, store: MemoryEnforcementStore, clock: Clock
) -> None:
    calls: list[tuple[datetime, datetime | None]] = []
    purge = store.purge

    def spy(before: datetime, *, since: datetime | None = None, dry_run: bool = False) -> Purged:
        calls.append((before, since))
        return purge(before, since=since, dry_run=dry_run)

    store.purge = spy  # type: ignore[method-assign]
    first_cutoff = clock.now - timedelta(days=30)
    enforcer.purge()
    clock.now += timedelta(days=1)
    enforcer.purge()
    assert calls == [
        (first_cutoff, None),
        (first_cutoff + timedelta(days=1), first_cutoff - timedelta(days=1)),
    ]


def test_a_running_node_purges_in_the_background(
    store: MemoryEnforcementStore, clock: Clock
) -> None:
    attend(store, "old", clock.now - timedelta(days=8))
    node = enforcer_with(store, clock, retention=timedelta(days=7), sweep_s=0.0)
    node.start()
    try:
        deadline = time.monotonic() + 10
        while kept(store, "old"):
            assert time.monotonic() < deadline, "the node did not purge"
            time.sleep(0.02)
    finally:
        node.stop()


def test_the_limit_is_whole_days_from_one() -> None:
    assert retention(30) == timedelta(days=30)
    assert retention(1) == timedelta(days=1)
    for bad in (0, -1, 3651, True, 2.5):
        with pytest.raises(InvalidInput, match="retention-days"):
            retention(bad)  # type: ignore[arg-type]
