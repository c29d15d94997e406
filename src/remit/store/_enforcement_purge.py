"""The retention purge's SQL: what finished before the cut-off loses its personal data.

What is purged and what is kept is :mod:`remit.enforcement._retention`'s: an ended session's row
(a removal's: no other ended session keeps one) is deleted, its attendance counted when it ended,
and counts older than :data:`~remit.enforcement._attendance.COUNTS_KEPT` before the cut-off go;
this is how the SQL store does it without reading the history into Python. Sessions and
commands are purged in batches of :data:`PURGE_BATCH` rows, each batch its own short
transaction, found on the indexes made for it; on PostgreSQL with ``FOR UPDATE SKIP LOCKED``,
so that nodes purging at the same time share the work. A dry run counts instead, changing nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from remit._checks import aware, maybe_aware
from remit.enforcement._activation import REFUSED
from remit.enforcement._attendance import last_purged_day
from remit.enforcement._retention import ENDED, FINISHED, KEPT_DATA, PURGED_PARTICIPANT, Purged
from remit.store._attendance_sql import purge_counts
from remit.store._enforcement_codec import DriverTimes
from remit.store._enforcement_models import SESSION_HOLDS_DATA
from remit.store._sql_database import Database

#: Rows one purge transaction changes: short transactions, so that on SQLite (one writer at a
#: time) admissions and deliveries never wait long for a purge.
PURGE_BATCH = 2000

_ENDED_SQL = ", ".join(f"'{status.value}'" for status in ENDED)
_KEPT_SQL = ", ".join(f"'{name}'" for name in KEPT_DATA)

#: Sessions still holding personal data that ended in [since, before): a range per ended status of
#: the partial index ``ix_sessions_status_ended_at_unpurged``, which holds only such sessions
#: (``ended_at < :before`` implies its ``ended_at IS NOT NULL``, and its test of the data is
#: repeated word for word). A batch is the first rows of the range: purged, they leave the index.
_SESSIONS_TO_PURGE = (
    f"status IN ({_ENDED_SQL}) AND ended_at < :before{{since}} AND ({SESSION_HOLDS_DATA})"
)
#: The batch's ids are looked up on the primary key: on PostgreSQL as an array, because an
#: ``IN (SELECT …)`` may be planned as a join that reads the whole table.
_SESSIONS_BATCH = "SELECT id FROM sessions WHERE {where} LIMIT :batch{lock}"
#: An ended session left is a removal (no other keeps a row): counted when it ended, it goes.
_PURGE_SESSIONS = "DELETE FROM sessions WHERE {ids}"
_IN_BATCH = {"sqlite": "id IN ({batch})", "postgresql": "id = ANY(ARRAY({batch}))"}

#: Commands still holding personal data (a data key that is not kept, or a last error) that
#: finished in [since, before): one status at a time on ``ix_commands_status_next_attempt_at``,
#: in batches by ``next_attempt_at`` (``>= :after``: rows purged already drop out by the test).
_COMMANDS_TO_PURGE = (
    "c.next_attempt_at < :before AND c.next_attempt_at >= :after "
    "AND (c.delivered_at IS NULL OR c.delivered_at < :before) "
    "AND (c.last_error IS NOT NULL "
    f"OR EXISTS (SELECT 1 FROM json_each(c.data) AS j WHERE j.key NOT IN ({_KEPT_SQL})))"
)
#: A purged command's data, and a refusal's key that names no one: per dialect.
_KEPT_DATA = {
    "sqlite": "(SELECT json_group_object(j.key, j.value) FROM json_each(commands.data) AS j "
    f"WHERE j.key IN ({_KEPT_SQL}))",
    "postgresql": "(SELECT coalesce(json_object_agg(j.key, j.value), '{}'::json) "
    f"FROM json_each(commands.data) AS j WHERE j.key IN ({_KEPT_SQL}))",
}
_RANDOM_HEX = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "md5(random()::text || random()::text || clock_timestamp()::text)",
}
_PURGE_COMMANDS = (
    "UPDATE commands SET data = {kept}, last_error = NULL, "
    "key = CASE WHEN commands.type = :refused "
    "THEN 'refused/' || commands.order_id || '/purged-' || {random} ELSE commands.key END "
    "WHERE commands.key IN (SELECT c.key FROM commands AS c WHERE c.status = :status AND {where} "
    "ORDER BY c.next_attempt_at LIMIT :batch{lock}) RETURNING next_attempt_at"
)


def purge(
    database: Database, before: datetime, *, since: datetime | None = None, dry_run: bool = False
) -> Purged:
    """:meth:`~remit.enforcement._interface.EnforcementStore.purge` on ``database``."""
    when = DriverTimes(database.postgres)
    cutoff, after = aware(before, "before"), maybe_aware(since, "since")
    dialect = database.dialect
    lock = " FOR UPDATE SKIP LOCKED" if database.postgres else ""  # nodes share the work
    session_since = "" if after is None else " AND ended_at >= :since"
    sessions_where = _SESSIONS_TO_PURGE.format(since=session_since)
    first = when(after or datetime.min.replace(tzinfo=UTC), "since")
    common: dict[str, Any] = {"before": when(cutoff, "before"), "purged": PURGED_PARTICIPANT}
    if after is not None:
        common["since"] = when(after, "since")
    if dry_run:
        with database.transaction("count what a purge would change", snapshot=True) as db:
            sessions = db.scalar(
                text(f"SELECT count(*) FROM sessions WHERE {sessions_where}"), common
            )
            commands = db.scalar(
                text(
                    "SELECT count(*) FROM commands AS c "
                    f"WHERE c.status IN (:s1, :s2) AND {_COMMANDS_TO_PURGE}"
                ),
                {**common, "after": first, "s1": FINISHED[0].value, "s2": FINISHED[1].value},
            )
        return Purged(sessions=int(sessions or 0), commands=int(commands or 0))

    batch = _SESSIONS_BATCH.format(where=sessions_where, lock=lock)
    purge_sessions = text(_PURGE_SESSIONS.format(ids=_IN_BATCH[dialect].format(batch=batch)))
    sessions = 0
    while True:
        with database.transaction("purge ended sessions", write=True) as db:
            changed = (
                db.connection().execute(purge_sessions, {**common, "batch": PURGE_BATCH}).rowcount
            )
        sessions += changed
        if changed < PURGE_BATCH:
            break
    with database.transaction("purge old attendance counts", write=True) as db:
        purge_counts(db, last_purged_day(cutoff))

    purge_commands = text(
        _PURGE_COMMANDS.format(
            kept=_KEPT_DATA[dialect], random=_RANDOM_HEX[dialect], where=_COMMANDS_TO_PURGE,
            lock=lock,
        )
    )  # fmt: skip
    commands = 0
    for status in FINISHED:
        lowest = first
        while True:
            with database.transaction("purge finished commands", write=True) as db:
                times = db.connection().execute(
                    purge_commands,
                    {**common, "status": status.value, "after": lowest, "refused": REFUSED,
                     "batch": PURGE_BATCH},
                ).scalars().all()  # fmt: skip
            commands += len(times)
            if len(times) < PURGE_BATCH:
                break
            lowest = max(times)
    return Purged(sessions=sessions, commands=commands)
