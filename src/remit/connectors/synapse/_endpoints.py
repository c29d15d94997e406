"""The API operations the Synapse module calls: joins and leaves by room and Matrix user.

Synapse knows a membership by room and user, not by remit's session id, so the module reports it
that way and keeps no state of its own: a Synapse restart loses nothing here. Each room is a
resource of type ``meeting`` whose id is the room id and whose host is the room's creator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit.api import PLATFORM, Call, Endpoint, enforcer_of, json_response, open_session
from remit.connectors.synapse._paths import JOINS, LEAVES
from remit.enforcement import Session, SessionStatus
from remit.policy import Resource

MEETING = "meeting"
MatrixId = Annotated[str, Meta(min_length=1, max_length=255)]


class JoinIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A Matrix user joining a room, as the module sees it."""

    room_id: MatrixId
    user_id: MatrixId
    host: MatrixId | None = None
    ip: Annotated[str, Meta(max_length=64)] | None = None
    language: Annotated[str, Meta(max_length=35)] | None = None
    #: Synapse let them in already (the room's creator, a server admin, or a join let in while
    #: remit was unreachable): roster them whatever the decision, so an order in force removes
    #: them at once. Otherwise this is the check at the door: a refusal answers 451.
    admitted: bool = False


class JoinOut(msgspec.Struct, frozen=True):
    session_id: str
    decision: str


class LeaveIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A Matrix user who left a room (or was kicked or banned from it)."""

    room_id: MatrixId
    user_id: MatrixId
    #: When they left (milliseconds since the epoch, the event's ``origin_server_ts``): a later
    #: join, reported before this leave reached remit, is not ended by it.
    at: Annotated[int, Meta(ge=0, le=253_402_300_799_999)] | None = None  # up to year 9999


class LeaveOut(msgspec.Struct, frozen=True):
    ended: int


async def _live(call: Call, room: str, user: str) -> list[Session]:
    """The caller's live sessions of ``user`` in ``room``."""
    live = await run_in_threadpool(
        enforcer_of(call.node).store.live_sessions, resource_type=MEETING, resource_ids=[room]
    )
    return [s for s in live if s.platform == call.actor and s.participant == user]


async def _end(call: Call, sessions: list[Session]) -> int:
    enforcer = call.node.enforcer
    assert enforcer is not None
    for session in sessions:
        await run_in_threadpool(
            enforcer.store.end_session, session.id, SessionStatus.LEFT, call.node.clock()
        )
    return len(sessions)


async def join(call: Call) -> Response:
    body = await call.body(JoinIn)
    live = await _live(call, body.room_id, body.user_id)
    if body.admitted and live:  # reported twice (a restart between check and event): one stay
        return json_response(JoinOut(live[0].id, "allow"), 201)
    await _end(call, live)  # a new join: an earlier stay whose leave never reached remit is over
    session, decision, refused = await open_session(
        call,
        Resource(MEETING, body.room_id, body.host),
        body.user_id,
        ip=body.ip,
        language=body.language,
        refuse=not body.admitted,
    )
    if refused is not None:
        return refused
    out = JoinOut(session.id, decision.outcome)
    return json_response(out, 201)


async def leave(call: Call) -> Response:
    body = await call.body(LeaveIn)
    live = await _live(call, body.room_id, body.user_id)
    if body.at is not None:
        left = datetime.fromtimestamp(body.at / 1000, UTC)
        live = [s for s in live if s.joined_at <= left]
    return json_response(LeaveOut(await _end(call, live)))


ENDPOINTS = [
    Endpoint(
        "POST",
        JOINS,
        join,
        "A Matrix user joins a room: decide (451 refuses), and put them on the roster",
        PLATFORM,
        JoinIn,
        JoinOut,
        201,
        problems=("unavailable-for-legal-reasons",),
    ),
    Endpoint(
        "POST",
        LEAVES,
        leave,
        "A Matrix user left a room: end their live sessions in it",
        PLATFORM,
        LeaveIn,
        LeaveOut,
    ),
]
