"""The checks every enforcement store makes, so that the in-memory and SQL stores refuse the same
inputs and answer alike (``remit.store.SqlEnforcementStore`` and
:class:`~remit.enforcement._memory.MemoryEnforcementStore` both call these).

The details of the contract that :class:`~remit.enforcement._interface.EnforcementStore` leaves
open, as both stores keep them (the contract tests in ``tests/store/test_enforcement_store.py``
pin them):

- Every datetime given must be aware (``InvalidInput`` otherwise); every one read back is in UTC.
- ``end_session``: ``status`` is ``left`` or ``removed`` (``InvalidInput`` for ``live``). The first
  end wins: ending a session that has ended already changes nothing and returns it as stored
  (a removal's row), or is ``NotFound`` (any other ended session was counted and its row
  deleted). A session added ended (``add_session``, ``add_sessions``) is counted the same.
- ``move_session`` on an ended session: ``Conflict``.
- ``live_sessions``: ``resource_type`` narrows the sessions found by ``resource_ids`` (and, with
  neither ids nor hosts, every live session); sessions found by ``hosts`` are of any type. Each
  session comes once. ``live_sessions`` and ``sessions_of`` list by ``joined_at``, then ``id``.
- ``sessions_of``: sessions in ``resource_ids`` (of any type) or hosted by ``hosts`` that are live,
  or that ended at or after ``since`` (the removals: no other ended session keeps a row).
- ``attendance_of``: counts of the days from ``since``'s UTC day on, ordered by day, platform,
  resource type, id, host, country, subdivision and source.
- ``purge``: deletes ended sessions (counted already) and the counts of the days up to
  ``attendance.last_purged_day``.
- ``add_sessions``: like ``enqueue``, a stored id is left as it is and the first session with an
  id in a batch wins; a batch with a session the store refuses stores nothing.
- ``enqueue``: within one batch too, the first command with a key wins. A batch with a command
  the store refuses (not JSON data, a missing field, a naive time, a type that is not a
  ``CommandType``) stores nothing. Commands read back have a ``CommandType``.
- ``due_commands``: returns the claimed commands with ``next_attempt_at`` moved to ``now + lease``
  (as stored), ordered by their ``next_attempt_at`` before the claim.
- ``record_attempt``: counts one attempt and sets ``last_error`` to ``error`` (None clears it);
  ``delivered`` sets ``delivered_at = at``; ``pending`` needs ``next_attempt_at``
  (``InvalidInput`` otherwise). A delivered command stays delivered, and a failed one changes
  only to delivered (a late attempt that did get through): other attempts on a settled command
  change nothing. ``NotFound`` for an unknown key.
- ``list_commands``: newest ``created_at`` first, then key (descending).
- ``purge``: as :mod:`~remit.enforcement._retention` says; a refusal's new key ends in 32 random
  hexadecimal digits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from remit._checks import aware, maybe_aware, member
from remit.enforcement._model import Command, CommandStatus, CommandType, Session, SessionStatus
from remit.errors import InvalidInput

#: How long a command handed out by ``due_commands`` stays claimed before it comes due again.
DEFAULT_LEASE = timedelta(seconds=30)


#: Commands' data as compact JSON with its text as it is (not as \uXXXX): a notice in Chinese,
#: Russian or Arabic takes half the room, and an activation's outbox is written that much faster.
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))
#: For text UTF-8 cannot hold (a lone surrogate): escaped, as JSON allows.
_ASCII_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def lease_length(value: timedelta) -> timedelta:
    """A claim's length: more than nothing."""
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidInput("lease: must be a positive length of time", field="lease")
    return value


def command_status(value: CommandStatus | str) -> CommandStatus:
    return member(CommandStatus, value, "a command status")


def command_type(value: CommandType | str) -> CommandType:
    return member(CommandType, value, "a command type", "type")


def ended_status(value: SessionStatus | str) -> SessionStatus:
    """The status a session ends with: ``left`` or ``removed``."""
    status = session_status(value)
    if status is SessionStatus.LIVE:
        raise InvalidInput("status: a session ends as left or removed, not live", field="status")
    return status


def attempt(
    status: CommandStatus | str, next_attempt_at: datetime | None
) -> tuple[CommandStatus, datetime | None]:
    """The outcome of a delivery attempt: a pending command needs its next time."""
    outcome = command_status(status)
    if outcome is CommandStatus.PENDING and next_attempt_at is None:
        raise InvalidInput(
            "next_attempt_at: a command still pending needs the time of its next attempt",
            field="next_attempt_at",
        )
    return outcome, maybe_aware(next_attempt_at, "next_attempt_at")


def applies(stored: CommandStatus, outcome: CommandStatus) -> bool:
    """Whether an attempt's outcome changes a command: a delivered command stays delivered, and
    a failed one changes only when a late attempt did deliver it."""
    if stored is CommandStatus.PENDING:
        return True
    return stored is CommandStatus.FAILED and outcome is CommandStatus.DELIVERED


def json_data(data: dict[str, Any], key: str) -> str:
    """A command's data as JSON text, or ``InvalidInput`` when it is not JSON."""
    try:
        text = _ENCODER.encode(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"command {key}: data must be JSON ({exc})", field="data") from exc
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _ASCII_ENCODER.encode(data)
    return text


def command_fields(command: Command) -> Command:
    """A command whose fields have the types the outbox keeps (its times are checked apart)."""
    for name in ("key", "platform", "type", "order_id"):
        value = getattr(command, name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"command {name}: must be a non-empty string", field=name)
    if command.session_id is not None and not isinstance(command.session_id, str):
        raise InvalidInput("command session_id: must be a string or None", field="session_id")
    if not isinstance(command.data, dict):
        raise InvalidInput(f"command {command.key}: data must be a JSON object", field="data")
    if not isinstance(command.attempts, int) or command.attempts < 0:
        raise InvalidInput("command attempts: must be a whole number", field="attempts")
    return command


def session_status(value: SessionStatus | str) -> SessionStatus:
    return member(SessionStatus, value, "a session status")


def session_in_utc(session: Session) -> Session:
    return replace(
        session,
        status=session_status(session.status),
        joined_at=aware(session.joined_at, "joined_at"),
        ended_at=maybe_aware(session.ended_at, "ended_at"),
    )


def unique_by_key(commands: Iterable[Command]) -> list[Command]:
    """The commands with each key once (the first one given wins), their datetimes in UTC."""
    found: dict[str, Command] = {}
    for command in commands:
        if command_fields(command).key in found:
            continue
        found[command.key] = replace(
            command,
            type=command_type(command.type),
            status=command_status(command.status),
            created_at=aware(command.created_at, "created_at"),
            next_attempt_at=aware(command.next_attempt_at, "next_attempt_at"),
            deadline=aware(command.deadline, "deadline"),
            delivered_at=maybe_aware(command.delivered_at, "delivered_at"),
        )
    return list(found.values())


def sorted_sessions(sessions: Iterable[Session]) -> list[Session]:
    """Sessions in the order every store lists them: by join time, then id."""
    return sorted(sessions, key=lambda s: (s.joined_at, s.id))
