"""Attendance as counts: what the impact preview needs of the sessions that ended.

When a session ends, the store adds one to the count of its resource (platform, type, id, host),
its UTC day (the day it ended), and its place (country, subdivision, what placed it, and the rest
of the location the policy reads: every source's answer, a dispute). The count names no one.

The person-level row of an ended session is kept only when it is a *removal*: the platform
reported it removed, or remit ordered its removal (a ``participant.remove`` command names it). An
appeal or a readmission needs that participant's id, and the live view shows a removal for a day;
the row is deleted at the retention limit (the count stays). Any other ended session leaves no row.

The purge deletes a count once its day is :data:`COUNTS_KEPT` before the purge's cut-off (the
retention limit): the preview's 30 days are always there, and no count outlives the retention
limit by more than a month (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from remit.enforcement._model import Session, SessionStatus
from remit.location import Location
from remit.policy import Resource

#: How long before the purge's cut-off a count is kept: longer than the preview's 30 days.
COUNTS_KEPT = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Attendance:
    """How many sessions of one resource, placed alike, ended on one UTC day."""

    platform: str
    resource: Resource
    day: date
    location: Location
    count: int


def day_of(session: Session) -> date:
    """The UTC day a session is counted on: the day it ended."""
    assert session.ended_at is not None, "only ended sessions are counted"
    return session.ended_at.astimezone(UTC).date()


def count_key(
    platform: str,
    resource: tuple[str, str, str | None],
    day: date,
    place: tuple[str | None, str | None, str, str | None],
) -> str:
    """The key of one count: a SHA-256 over what it counts by (the platform, the resource's type,
    id and host, the day, the place's country, subdivision, source and the rest as JSON)."""
    parts = [platform, *resource, day.isoformat(), *place]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def counted(sessions: Iterable[Session]) -> dict[str, tuple[Session, int]]:
    """Ended sessions as counts: by key, one session standing for them and how many they are."""
    found: dict[str, tuple[Session, int]] = {}
    for s in sessions:
        loc = s.location
        place = (loc.country, loc.subdivision, loc.source, location_rest(loc))
        r = s.resource
        key = count_key(s.platform, (r.type, r.id, r.host), day_of(s), place)
        first, n = found.get(key, (s, 0))
        found[key] = (first, n + 1)
    return found


def location_rest(location: Location) -> str | None:
    """What a location holds besides its country, subdivision and source, as JSON (or None)."""
    rest = {
        k: v for k, v in location.to_dict().items() if k not in ("country", "subdivision", "source")
    }
    return json.dumps(rest, sort_keys=True, separators=(",", ":")) if rest else None


def keeps_row(session: Session, removal_ordered: bool) -> bool:
    """Whether an ended session keeps its person-level row: it is a removal."""
    return session.status is SessionStatus.REMOVED or removal_ordered


def first_day(since: datetime) -> date:
    """The first UTC day whose counts a look-back from ``since`` reads."""
    return since.astimezone(UTC).date()


def last_purged_day(before: datetime) -> date:
    """The last UTC day whose counts a purge up to ``before`` deletes (and every one before)."""
    return (before - COUNTS_KEPT).astimezone(UTC).date()


def attendance_order(a: Attendance) -> tuple[str, ...]:
    """The order counts are listed in: day, platform, resource, place."""
    r, loc = a.resource, a.location
    return (a.day.isoformat(), a.platform, r.type, r.id, r.host or "", loc.country or "",
            loc.subdivision or "", loc.source)  # fmt: skip
