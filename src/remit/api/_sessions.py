"""The live roster over HTTP: joins (decided, refused or rostered), leaves and moves, and the
functions connectors' own operations use to do the same."""

from __future__ import annotations

from typing import Annotated

import anyio._backends._asyncio  # noqa: F401 (now, not at the first refusal: see _refusal)
import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit.api._admissions import locate_participant
from remit.api._auth import PLATFORM
from remit.api._convert import decision_out, resource_in
from remit.api._endpoint import Call, Endpoint, enforcer_of, json_response
from remit.api._node import Node, Snapshot, new_id
from remit.api._proxied import symptom_of
from remit.api._schemas import AdmissionOut, ParticipantIn, Phone, ResourceIn
from remit.enforcement import (
    End,
    Enforcer,
    Join,
    Move,
    Session,
    SessionStatus,
    place_in_scope,
    refusal,
    refusal_problem,
)
from remit.enforcement.notices import blocked_by_link
from remit.policy import Decision, Resource
from remit.store import Role


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class SessionParticipantIn(ParticipantIn, forbid_unknown_fields=True, kw_only=True):
    language: Annotated[str, Meta(max_length=35)] | None = None


class SessionIn(_In):
    """A participant joined a resource."""

    resource: ResourceIn
    participant: SessionParticipantIn


class SessionMoveIn(_In):
    """A participant's address or dial-in number changed mid-meeting: the new one places them
    again, and is dropped as every address is (only the place is kept)."""

    ip: Annotated[str, Meta(max_length=64)] | None = None
    phone: Phone | None = None


class SessionOut(msgspec.Struct, frozen=True):
    id: str
    status: str
    admission: AdmissionOut


def _enforcer(call: Call) -> Enforcer:
    return enforcer_of(call.node)


async def _refusal(
    call: Call, decision: Decision, session: Session, snapshot: Snapshot
) -> Response:
    """The 451 answer to a join ``decision`` refused, recorded: from the ``snapshot`` that
    decided it, so every order it names is there."""
    enforcer = _enforcer(call)
    order = snapshot.orders[decision.orders[0]]
    assert order.scope is not None
    place = place_in_scope(decision.location, order.scope)
    language = session.language
    body = refusal_problem(
        order,
        place,
        order.scope,
        language,
        enforcer.policy.appeal_url,
        enforcer.policy.operator_url,
        location=decision.location,
    )
    body["decision"] = msgspec.to_builtins(decision_out(decision))
    notice = {k: body.get(k) for k in ("title", "detail", "language", "direction")}
    records = [
        refusal(snapshot.orders[order_id], session, place, notice, call.node.clock())
        for order_id in decision.orders
    ]
    # Starlette's thread pool imports anyio's backend on its first use: imported with this
    # module instead, since on the event loop it held every request for 0.7 s (measured).
    await run_in_threadpool(enforcer.store.enqueue, records)
    headers = {
        "Content-Language": str(body.get("language", "en")),
        "Link": blocked_by_link(enforcer.policy.operator_url),
    }
    return Response(
        msgspec.json.encode(body), 451, headers=headers, media_type="application/problem+json"
    )


def _decide(
    node: Node,
    platform: str,
    resource: Resource,
    participant: str,
    ip: str | None,
    phone: str | None,
    language: str | None,
) -> tuple[Session, Decision, Snapshot]:
    location = locate_participant(node, ip, phone)
    if not location.known and ip is not None:
        symptom_of(node).observe(platform, ip, location, participant)
    snapshot = node.snapshot
    decision = snapshot.index.decide(location, resource, participant, platform=platform)
    session = Session(
        id=new_id("ses"),
        platform=platform,
        resource=resource,
        participant=participant,
        location=location,
        joined_at=node.clock(),
        language=language,
    )
    return session, decision, snapshot


async def decide_join(
    call: Call,
    resource: Resource,
    participant: str,
    *,
    ip: str | None = None,
    phone: str | None = None,
    language: str | None = None,
) -> tuple[Decision, Response | None]:
    """Decide a join by ``call``'s platform without putting anyone on the roster: for token
    brokers, which answer before the person connects (their server reports the join later, and
    :func:`open_session` rosters it then). Returns the decision and, when refused, the same 451
    answer as ``POST /v1/sessions`` (the refusal is recorded)."""
    _enforcer(call)
    found = _decide(call.node, call.actor, resource, participant, ip, phone, language)
    session, decision, snapshot = found
    if decision.allowed:
        return decision, None
    return decision, await _refusal(call, decision, session, snapshot)


async def open_session(
    call: Call,
    resource: Resource,
    participant: str,
    *,
    ip: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    refuse: bool = True,
) -> tuple[Session, Decision, Response | None]:
    """Decide a join by ``call``'s platform and put the participant on the live roster.

    Returns the session, the decision and, when the join is refused, the 451 answer (RFC 7725,
    with the notice in the participant's language); a refused join is recorded, not rostered.
    With ``refuse=False`` (a server that has already let the person in and only reports it) the
    session goes on the roster whatever the decision, and an order in force removes it at once.
    Connectors that answer joins on their own routes (token brokers, event handlers) use this,
    so every way in is decided the same way.
    """
    enforcer = _enforcer(call)
    found = _decide(call.node, call.actor, resource, participant, ip, phone, language)
    session, decision, snapshot = found
    if not decision.allowed and refuse:
        return session, decision, await _refusal(call, decision, session, snapshot)
    # Answered once committed, together with every roster write that came meanwhile.
    await enforcer.roster.write(Join(session))
    await _check_again(call.node, enforcer, session)
    return session, decision, None


async def _check_again(node: Node, enforcer: Enforcer, session: Session) -> bool:
    """An order may have taken effect while this session was written: decide it again on the
    newest snapshot, and remove it if it must go (a database write, off the event loop, only
    then). Whether it must go."""
    snapshot = node.snapshot
    decision = snapshot.index.decide(
        session.location, session.resource, session.participant, platform=session.platform
    )
    if decision.allowed:
        return False
    await run_in_threadpool(enforcer.check, session, snapshot.index, snapshot.orders.__getitem__)
    return True


def roster_session(
    node: Node,
    platform: str,
    resource: Resource,
    participant: str,
    *,
    ip: str | None = None,
    phone: str | None = None,
    language: str | None = None,
) -> tuple[Session, Decision]:
    """:func:`open_session` with ``refuse=False``, outside a request (it blocks: call it from a
    worker thread): put a join ``platform``'s server has already let in on the live roster,
    decided as every join is, so an order in force removes it at once. For a connector's
    periodic task that finds someone its server has and remit's roster lacks."""
    enforcer = enforcer_of(node)
    session, decision, _ = _decide(node, platform, resource, participant, ip, phone, language)
    _put_on_roster(node, enforcer, session)
    return session, decision


def _put_on_roster(node: Node, enforcer: Enforcer, session: Session) -> None:
    enforcer.roster.write_blocking(Join(session))
    # An order may have taken effect while this join was decided: check again, now on the roster.
    snapshot = node.snapshot
    enforcer.check(session, snapshot.index, snapshot.orders.__getitem__)


async def join(call: Call) -> Response:
    body = await call.body(SessionIn)
    p = body.participant
    session, decision, refused = await open_session(
        call,
        resource_in(body.resource, call.settings.resource_types),
        p.id,
        ip=p.ip,
        phone=p.phone,
        language=p.language,
    )
    if refused is not None:
        return refused
    out = SessionOut(session.id, SessionStatus.LIVE.value, decision_out(decision))
    return json_response(out, 201, {"Location": f"/v1/sessions/{session.id}"})


async def close_sessions(call: Call, resource: Resource, participant: str) -> list[Session]:
    """End ``call``'s platform's live sessions of ``participant`` in ``resource`` (the person
    left); returns them as ended. For connectors whose server reports leaves by room and person
    rather than by remit's session id."""
    enforcer = _enforcer(call)
    live = await run_in_threadpool(
        enforcer.store.live_sessions, resource_type=resource.type, resource_ids=[resource.id]
    )
    ended = []
    for session in live:
        if session.platform == call.actor and session.participant == participant:
            end = End(session.id, SessionStatus.LEFT, call.node.clock(), call.actor)
            ended.append(await enforcer.roster.write(end))
    return ended


def _owner(call: Call) -> str | None:
    """Whose sessions ``call`` may change: its platform's, or (an admin) anyone's."""
    return None if Role.ADMIN in (call.user.roles if call.user else ()) else call.actor


async def leave(call: Call) -> Response:
    # One write, which finds the session, checks whose it is and ends it: no read before it.
    end = End(call.params["id"], SessionStatus.LEFT, call.node.clock(), _owner(call))
    session = await _enforcer(call).roster.write(end)
    decision = Decision("allow", (), session.location)
    return json_response(SessionOut(session.id, session.status.value, decision_out(decision)))


async def move(call: Call) -> Response:
    body = await call.body(SessionMoveIn)
    enforcer = _enforcer(call)
    location = locate_participant(call.node, body.ip, body.phone)
    change = Move(call.params["id"], location, _owner(call))
    moved = await enforcer.roster.write(change)  # one that has ended: Conflict, a 409
    removing = await _check_again(call.node, enforcer, moved)
    decision = call.node.snapshot.index.decide(
        location, moved.resource, moved.participant, platform=moved.platform
    )
    status = "removing" if removing else moved.status.value
    return json_response(SessionOut(moved.id, status, decision_out(decision)))


SESSION_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST", "/v1/sessions", join, "A participant joins: decide, and put them on the roster",
        PLATFORM, SessionIn, SessionOut, 201, problems=("unavailable-for-legal-reasons",),
    ),
    Endpoint(
        "DELETE", "/v1/sessions/{id}", leave, "A participant left", PLATFORM, response=SessionOut
    ),
    Endpoint(
        "PATCH", "/v1/sessions/{id}", move, "A participant's address changed mid-meeting",
        PLATFORM, SessionMoveIn, SessionOut,
    ),
)  # fmt: skip

__all__ = [
    "SESSION_ENDPOINTS",
    "close_sessions",
    "decide_join",
    "open_session",
    "roster_session",
]
