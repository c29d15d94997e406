"""The retention limit of personal data on the roster and in the outbox (invariant 6 of
docs/design.md).

What is personal: a session's participant id and language; in a
command's data, the participant it names, the notice written to them or to a host, the host it
was addressed to; a refusal's idempotency key (it names the participant); a delivery's last error
(a conferencing server's answer may echo the participant). A purge removes those from what
*finished* before a cut-off, and keeps what the impact preview, the live view, the transparency
counts, delivery reports and the audit need:

- an ended session's row is deleted. Only removals keep one after they end (any other session
  is counted in the attendance counts and loses its row the moment it ends:
  :mod:`remit.enforcement._attendance`), and every ended session was counted when it ended, so
  the impact preview's counts stay as they were. Counts older than
  :data:`~remit.enforcement._attendance.COUNTS_KEPT` before the cut-off are deleted too. Live
  sessions are never touched. (:data:`PURGED_PARTICIPANT`, ``""``, is the participant of rows
  a purge emptied before migration 0011, which deleted them.) No address or number is ever
  kept: see docs/privacy.md;
- a delivered or failed command keeps its type, platform, order, session id, status, attempts and
  times, and of its data only :data:`KEPT_DATA` (the order, the session id, the resource, the place
  the daily counts are made of, a host notice's counts by country); its last error becomes
  ``None``; a refusal's key becomes ``refused/ORDER/purged-RANDOM``. Pending commands are never
  touched.

A command *finished before* the cut-off when it is delivered or failed, its last claim
(``next_attempt_at``, which every claim moves to the claim's end, and which is the time of a
refusal) is before it, and so is its delivery, if any. Purging is idempotent: what is purged
already is not counted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from remit.enforcement._activation import REFUSED
from remit.enforcement._model import Command, CommandStatus, Session, SessionStatus
from remit.errors import InvalidInput

#: The default retention limit: 30 days, the impact preview's window of recent attendance (a
#: reviewer judging a demand sees who attended the targeted meetings in the last 30 days), long
#: enough to answer a complaint or an appeal about a removal with its details while they are fresh,
#: and short enough that remit never becomes a record of who attended what.
DEFAULT_RETENTION_DAYS = 30
#: The shortest limit: a day. A refusal's key names the day, and refusals of one day are one
#: record (idempotency), so a refusal is purged only after its day is over; the console's live
#: view shows the last 24 hours of attendance with the participants' ids.
MIN_RETENTION_DAYS = 1
#: The longest limit remit takes (about ten years): a limit, not a way to keep data forever.
MAX_RETENTION_DAYS = 3650
#: How often a running node purges.
PURGE_EVERY = timedelta(days=1)

#: The participant id of an ended session whose personal data was purged.
PURGED_PARTICIPANT = ""
#: What a purged command's data keeps: no one named, no notice.
KEPT_DATA = ("order_id", "session_id", "resource", "place", "counts")
ENDED = (SessionStatus.LEFT, SessionStatus.REMOVED)
FINISHED = (CommandStatus.DELIVERED, CommandStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Purged:
    """What a purge removed personal data from (on a dry run: would remove it from)."""

    sessions: int
    commands: int


def retention(days: int) -> timedelta:
    """The retention limit of ``days`` whole days, or ``InvalidInput``."""
    if (
        not isinstance(days, int)
        or isinstance(days, bool)
        or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS
    ):
        raise InvalidInput(
            f"retention-days: must be a whole number of days from {MIN_RETENTION_DAYS} to "
            f"{MAX_RETENTION_DAYS}, not {days!r}",
            field="retention-days",
        )
    return timedelta(days=days)


def session_is_purgeable(session: Session, before: datetime, since: datetime | None) -> bool:
    """An ended session that ended before ``before`` (and at or after ``since``) and still holds
    personal data."""
    return (
        session.status in ENDED
        and session.ended_at is not None
        and session.ended_at < before
        and (since is None or session.ended_at >= since)
        and (session.participant != PURGED_PARTICIPANT or session.language is not None)
    )


def command_is_purgeable(command: Command, before: datetime, since: datetime | None) -> bool:
    """A command that finished before ``before`` (its last claim at or after ``since``) and still
    holds personal data."""
    return (
        command.status in FINISHED
        and command.next_attempt_at < before
        and (since is None or command.next_attempt_at >= since)
        and (command.delivered_at is None or command.delivered_at < before)
        and (any(k not in KEPT_DATA for k in command.data) or command.last_error is not None)
    )


def purged_data(data: dict[str, Any]) -> dict[str, Any]:
    """A command's data without its personal parts."""
    return {k: v for k, v in data.items() if k in KEPT_DATA}


def purged_key(command: Command, random_hex: str) -> str:
    """A command's key once purged: a refusal's names no one; other keys name no one already."""
    if command.type == REFUSED:
        return f"refused/{command.order_id}/purged-{random_hex}"
    return command.key
