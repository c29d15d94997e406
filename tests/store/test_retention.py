"""The retention limit: a purge removes personal data from what finished before a cut-off, and the
same in memory, on SQLite and on PostgreSQL; what reports and previews count stays as it was."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from remit.enforcement import (
    HOST_NOTICE,
    KEPT_DATA,
    REFUSED,
    REMOVE,
    Command,
    CommandStatus,
    EnforcementStore,
    Purged,
    Session,
    SessionStatus,
    daily_counts,
)
from remit.enforcement._memory import MemoryEnforcementStore
from remit.errors import InvalidInput, NotFound
from remit.location import Location
from remit.policy import Resource
from remit.store import _enforcement_purge, open_enforcement_store

NOW = datetime(2020, 6, 4, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=30)
CUTOFF = NOW - RETENTION
OLD = NOW - timedelta(days=40)  # before the cut-off
RECENT = NOW - timedelta(days=2)  # after it
CN = Location("CN", "CN-BJ", "iptocc")
US = Location("US", None, "maxmind")


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[EnforcementStore]:
    opened: EnforcementStore
    if request.param == "memory":
        opened = MemoryEnforcementStore()
    elif request.param == "sqlite":
        path = tmp_path / "remit.sqlite3"
        shutil.copyfile(sqlite_template, path)
        opened = open_enforcement_store(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("migrated_postgres_url")
        opened = open_enforcement_store(url)
    try:
        yield opened
    finally:
        opened.close()


def joined(
    sid: str,
    at: datetime,
    *,
    who: str | None = None,
    meeting: str = "june4-a",
    location: Location = CN,
) -> Session:
    return Session(
        id=sid,
        platform="zoomish",
        resource=Resource("meeting", meeting, "host-us-1"),
        participant=who or f"person-{sid}",
        location=location,
        joined_at=at,
        language="zh-Hans",
    )


def ended(store: EnforcementStore, session: Session, at: datetime) -> None:
    """A removal that ended at ``at``: the ended sessions that keep a row until the purge."""
    store.add_session(session)
    store.end_session(session.id, SessionStatus.REMOVED, at)


def left(store: EnforcementStore, session: Session, at: datetime) -> None:
    store.add_session(session)
    store.end_session(session.id, SessionStatus.LEFT, at)


def gone(store: EnforcementStore, sid: str) -> bool:
    try:
        store.get_session(sid)
    except NotFound:
        return True
    return False


def removal(key: str, at: datetime, *, status: CommandStatus, **changes: object) -> Command:
    fields: dict[str, object] = {
        "key": key,
        "platform": "zoomish",
        "type": REMOVE,
        "data": {
            "session_id": key,
            "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
            "participant": {"id": f"person-{key}"},
            "order_id": "ord-1",
            "notice": {"title": "您已被移出会议", "body": "依据……"},
            "place": "CN-BJ",
        },
        "order_id": "ord-1",
        "session_id": key,
        "status": status,
        "created_at": at,
        "next_attempt_at": at,
        "deadline": at + timedelta(minutes=15),
        "delivered_at": at if status is CommandStatus.DELIVERED else None,
    }
    fields.update(changes)
    return Command(**fields)  # type: ignore[arg-type]


def refused(who: str, at: datetime) -> Command:
    return Command(
        key=f"refused/ord-1/{at.date().isoformat()}/zoomish/{who}/meeting/june4-a",
        platform="zoomish",
        type=REFUSED,
        data={
            "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
            "participant": {"id": who},
            "order_id": "ord-1",
            "place": "CN",
            "notice": {"title": "无法加入", "detail": "…", "language": "zh-Hans"},
        },
        order_id="ord-1",
        session_id=None,
        status=CommandStatus.DELIVERED,
        created_at=at,
        next_attempt_at=at,
        deadline=at,
        delivered_at=at,
    )


def host_notice(at: datetime) -> Command:
    return Command(
        key="host/ord-1/meeting/june4-a",
        platform="zoomish",
        type=HOST_NOTICE,
        data={
            "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
            "host": {"id": "host-us-1"},
            "order_id": "ord-1",
            "counts": {"CN": 2},
            "notice": {"title": "Two participants were removed"},
        },
        order_id="ord-1",
        session_id=None,
        status=CommandStatus.DELIVERED,
        created_at=at,
        next_attempt_at=at,
        deadline=at + timedelta(minutes=15),
        delivered_at=at,
    )


def all_commands(store: EnforcementStore) -> dict[str, Command]:
    return {c.key: c for c in store.list_commands(limit=1000)}


def personal(session: Session) -> tuple[object, ...]:
    return (session.participant, session.language)


# Sessions ------------------------------------------------------------------------------------
def test_old_removals_lose_their_rows_recent_and_live_ones_keep_them(
    store: EnforcementStore,
) -> None:
    left(store, joined("old-left", OLD), OLD + timedelta(hours=1))  # no row once it ended
    store.add_session(joined("old-removed", OLD))
    store.end_session("old-removed", SessionStatus.REMOVED, OLD + timedelta(minutes=5))
    ended(store, joined("recent", OLD), RECENT)  # joined long ago, removed after the cut-off
    store.add_session(joined("live", OLD))  # live since long ago: never touched
    assert gone(store, "old-left")

    assert store.purge(CUTOFF) == Purged(sessions=1, commands=0)

    assert gone(store, "old-removed")
    # What counts need stays, counted when they ended: which meeting and host, where, the day.
    counts = store.attendance_of(["june4-a"], [], OLD - timedelta(days=1))
    assert [a.day for a in counts] == [OLD.date(), RECENT.date()]
    counted = counts[0]
    assert (counted.resource, counted.location, counted.day, counted.count) == (
        Resource("meeting", "june4-a", "host-us-1"),
        CN,
        OLD.date(),
        2,
    )
    for sid in ("recent", "live"):
        kept = store.get_session(sid)
        assert personal(kept) == (f"person-{sid}", "zh-Hans")
    assert [s.id for s in store.live_sessions()] == ["live"]


def test_a_session_ending_at_the_cut_off_is_kept(store: EnforcementStore) -> None:
    ended(store, joined("edge", OLD), CUTOFF)
    assert store.purge(CUTOFF) == Purged(0, 0)
    assert store.get_session("edge").participant == "person-edge"


def test_counts_outlive_the_cut_off_by_a_month_and_no_more(store: EnforcementStore) -> None:
    left(store, joined("a", OLD), OLD)  # 40 days ago
    left(store, joined("b", OLD), NOW - timedelta(days=62))
    store.purge(CUTOFF)
    since = NOW - timedelta(days=100)
    assert [a.day for a in store.attendance_of(["june4-a"], [], since)] == [OLD.date()]
    store.purge(NOW - timedelta(days=8))  # the cut-off 31 days after the count's day
    assert store.attendance_of(["june4-a"], [], since) == []


# Commands ------------------------------------------------------------------------------------
def test_old_finished_commands_lose_personal_data_pending_and_recent_ones_keep_it(
    store: EnforcementStore,
) -> None:
    store.enqueue(
        [
            removal("old-delivered", OLD, status=CommandStatus.DELIVERED),
            removal("old-failed", OLD, status=CommandStatus.FAILED, last_error="no @ann in room"),
            removal("old-pending", OLD, status=CommandStatus.PENDING),
            removal("recent-delivered", RECENT, status=CommandStatus.DELIVERED),
            host_notice(OLD),
            refused("ann@example.org", OLD),
        ]
    )
    before = all_commands(store)

    assert store.purge(CUTOFF) == Purged(sessions=0, commands=4)

    after = all_commands(store)
    for key in ("old-delivered", "old-failed", "host/ord-1/meeting/june4-a"):
        was, now = before[key], after[key]
        assert now.data == {k: v for k, v in was.data.items() if k in KEPT_DATA}
        assert "participant" not in now.data
        assert "notice" not in now.data
        assert now.last_error is None
        # Delivery reports stay true: type, order, status, attempts and times as they were.
        for field in ("type", "platform", "order_id", "session_id", "status", "attempts"):
            assert getattr(now, field) == getattr(was, field), field
        for field in ("created_at", "next_attempt_at", "deadline", "delivered_at"):
            assert getattr(now, field) == getattr(was, field), field
    assert after["host/ord-1/meeting/june4-a"].data["counts"] == {"CN": 2}
    assert "host" not in after["host/ord-1/meeting/june4-a"].data
    assert after["old-delivered"].data["place"] == "CN-BJ"
    for key in ("old-pending", "recent-delivered"):
        assert after[key] == before[key]

    # A refusal's key named the participant: it names no one now.
    refusals = [c for c in after.values() if c.type == REFUSED]
    assert len(refusals) == 1
    (refusal,) = refusals
    assert "ann" not in refusal.key
    assert refusal.key.startswith("refused/ord-1/purged-")
    assert refusal.data == {
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "order_id": "ord-1",
        "place": "CN",
    }
    assert refusal.status is CommandStatus.DELIVERED
    assert refusal.created_at == OLD


def test_a_command_delivered_after_the_cut_off_is_kept(store: EnforcementStore) -> None:
    late = removal(
        "late", OLD, status=CommandStatus.DELIVERED, delivered_at=RECENT, next_attempt_at=OLD
    )
    store.enqueue([late])
    assert store.purge(CUTOFF) == Purged(0, 0)
    assert store.get_command("late").data == late.data


def test_a_purge_is_idempotent(store: EnforcementStore) -> None:
    ended(store, joined("s1", OLD), OLD)
    store.enqueue([removal("c1", OLD, status=CommandStatus.DELIVERED), refused("ann", OLD)])
    assert store.purge(CUTOFF) == Purged(1, 2)
    assert gone(store, "s1")
    snapshot = sorted(c.key for c in store.list_commands())
    assert store.purge(CUTOFF) == Purged(0, 0)
    assert store.purge(NOW) == Purged(0, 0)
    assert sorted(c.key for c in store.list_commands()) == snapshot


def test_a_dry_run_counts_and_changes_nothing(store: EnforcementStore) -> None:
    ended(store, joined("s1", OLD), OLD)
    ended(store, joined("s2", RECENT), RECENT)
    store.enqueue([removal("c1", OLD, status=CommandStatus.FAILED), refused("ann", OLD)])
    before = (store.get_session("s1"), all_commands(store))
    assert store.purge(CUTOFF, dry_run=True) == Purged(1, 2)
    assert (store.get_session("s1"), all_commands(store)) == before
    assert store.purge(CUTOFF) == Purged(1, 2)


def test_since_bounds_what_a_purge_reads(store: EnforcementStore) -> None:
    earlier = NOW - timedelta(days=60)
    ended(store, joined("older", earlier), earlier)
    ended(store, joined("old", OLD), OLD)
    store.enqueue(
        [
            removal("older", earlier, status=CommandStatus.DELIVERED),
            removal("old", OLD, status=CommandStatus.DELIVERED),
        ]
    )
    since = NOW - timedelta(days=45)
    assert store.purge(CUTOFF, since=since, dry_run=True) == Purged(1, 1)
    assert store.purge(CUTOFF, since=since) == Purged(1, 1)
    assert store.get_session("older").participant == "person-older"
    assert "participant" in store.get_command("older").data
    assert store.purge(CUTOFF) == Purged(1, 1)


def test_a_purge_needs_aware_times(store: EnforcementStore) -> None:
    with pytest.raises(InvalidInput):
        store.purge(CUTOFF.replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        store.purge(CUTOFF, since=OLD.replace(tzinfo=None))


def test_many_rows_are_purged_in_batches(
    store: EnforcementStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_enforcement_purge, "PURGE_BATCH", 7)
    sessions = [joined(f"s{i:03}", OLD) for i in range(40)]
    store.add_sessions(sessions)
    for s in sessions[:30]:
        store.end_session(s.id, SessionStatus.REMOVED, OLD + timedelta(seconds=len(s.id)))
    # Many commands share one claim time (a round of deliveries): batches go past ties.
    same = OLD + timedelta(minutes=1)
    store.enqueue(
        [removal(f"c{i:03}", same, status=CommandStatus.DELIVERED) for i in range(25)]
        + [removal(f"f{i:03}", OLD, status=CommandStatus.FAILED) for i in range(9)]
        + [refused(f"who-{i}", OLD + timedelta(seconds=i)) for i in range(16)]
    )
    assert store.purge(CUTOFF) == Purged(sessions=30, commands=50)
    assert store.purge(CUTOFF) == Purged(0, 0)
    assert all(
        "participant" not in c.data and "notice" not in c.data
        for c in store.list_commands(limit=1000)
    )
    assert sum(gone(store, s.id) for s in sessions) == 30
    assert len(store.live_sessions()) == 10


def test_sqlite_finds_the_sessions_to_purge_on_their_index(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """The purge reads a range of ``ix_sessions_status_ended_at_unpurged``, not the roster."""
    path = tmp_path / "remit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    store = open_enforcement_store(f"sqlite:///{path}")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "sessions" in statement and "ended_at <" in statement:
            seen.append((statement, parameters))

    event.listen(store._db.engine, "before_cursor_execute", capture)
    try:
        ended(store, joined("s1", OLD), OLD)
        assert store.purge(CUTOFF, dry_run=True) == Purged(1, 0)
        assert store.purge(CUTOFF, since=OLD - timedelta(days=1)) == Purged(1, 0)
    finally:
        store.close()
    assert len(seen) == 2
    with closing(sqlite3.connect(path)) as db:
        for statement, parameters in seen:
            plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}",
                                                          parameters))  # fmt: skip
            assert "USING INDEX ix_sessions_status_ended_at_unpurged (status=? AND ended_at" in plan
            assert "SCAN" not in plan


# What is counted stays as it was ------------------------------------------------------------
def test_the_counts_of_the_report_and_the_impact_preview_are_unchanged(
    store: EnforcementStore,
) -> None:
    # Removals and refusals of 40 days ago (purged) and of 2 days ago (kept), in two places.
    store.enqueue(
        [
            removal("old-1", OLD, status=CommandStatus.DELIVERED),
            removal("old-2", OLD, status=CommandStatus.FAILED),
            refused("ann", OLD),
            refused("bo", OLD),
            removal("new-1", RECENT, status=CommandStatus.DELIVERED),
            refused("ann", RECENT),
        ]
    )
    # Attendance: long ago, and inside the impact preview's 30 days (one person twice).
    ended(store, joined("a", OLD, who="ann"), OLD)
    left(store, joined("b", OLD, who="bo", location=US), OLD)
    ended(store, joined("c", RECENT, who="chen"), RECENT)
    left(store, joined("d", RECENT, who="chen", meeting="june4-b"), RECENT)
    store.add_session(joined("e", RECENT, who="dai", location=US))

    def daily(day: datetime) -> dict[str, dict[str, dict[str, int]]]:
        start = day.replace(hour=0, minute=0, second=0, microsecond=0)
        return daily_counts(store.commands_between(start, start + timedelta(days=1),
                                                   [REMOVE, REFUSED]))  # fmt: skip

    def attendance(since: datetime) -> tuple[int, dict[str, int], int]:
        meetings, hosts = ["june4-a", "june4-b"], ["host-us-1"]
        live = store.live_sessions(resource_ids=meetings, hosts=hosts)
        counts = store.attendance_of(meetings, hosts, since)
        by_country = Counter(s.location.country for s in live)
        for a in counts:
            by_country[a.location.country] += a.count
        resources = {s.resource for s in live} | {a.resource for a in counts}
        return sum(by_country.values()), dict(by_country), len(resources)

    counts_before = (daily(OLD), daily(RECENT))
    preview_before = attendance(NOW - timedelta(days=30))
    assert counts_before[0] == {"ord-1": {"CN-BJ": {"removed": 2}, "CN": {"refused": 2}}}
    assert preview_before == (3, {"CN": 2, "US": 1}, 2)

    assert store.purge(CUTOFF) == Purged(sessions=1, commands=4)

    assert (daily(OLD), daily(RECENT)) == counts_before
    assert attendance(NOW - timedelta(days=30)) == preview_before
    # The roster's counts by country over all time are unchanged too: places stay.
    everyone = Counter(s.location.country for s in store.live_sessions())
    for a in store.attendance_of(["june4-a", "june4-b"], [], OLD - timedelta(days=1)):
        everyone[a.location.country] += a.count
    assert everyone == Counter({"CN": 3, "US": 2})
