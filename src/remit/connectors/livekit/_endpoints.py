"""The LiveKit connector's API: a token broker that decides every join, and the receiver of
LiveKit's webhooks that keeps remit's roster.

A participant gets into a LiveKit room only with an access token; the platform asks remit for it
(``POST /v1/connectors/livekit/tokens``), so a join inside an order's scope is refused before it
happens, with the notice. LiveKit then reports who joined and left to
``POST /v1/connectors/livekit/webhooks/{platform}``, signed with the platform's key pair; remit
rosters the joins with what it sealed into the token at the door (see :mod:`._seal`), so an order
taking effect mid-meeting reaches them. :func:`roster_join` is that rostering; the reconciliation
with LiveKit's rooms (:mod:`._reconcile`) rosters through it too, for joins whose webhook was lost.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from google.protobuf import json_format
from livekit import api
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit.api import (
    PLATFORM,
    Call,
    Endpoint,
    HTTPProblem,
    Node,
    decide_join,
    enforcer_of,
    json_response,
    roster_session,
)
from remit.connectors.livekit._seal import ATTRIBUTE, Sealed, seal, unseal
from remit.connectors.livekit._settings import LiveKitSettings
from remit.enforcement import Platform, Session, SessionStatus
from remit.errors import NotFound
from remit.policy import Resource
from remit.store import Role, User

log = logging.getLogger("remit.connectors.livekit")

CONNECTOR = "livekit"
MEETING = "meeting"  # what a LiveKit room is, as an order's target names it
MAX_WEBHOOK_BYTES = 1024 * 1024
#: The participant attribute in which LiveKit's SIP service puts a caller's number.
SIP_PHONE = "sip.phoneNumber"
#: Participants that are people: egress recorders, ingress streams and agents are not rostered.
PEOPLE = frozenset({api.ParticipantInfo.Kind.STANDARD, api.ParticipantInfo.Kind.SIP})

Identity = Annotated[str, Meta(min_length=1, max_length=512)]
RoomName = Annotated[str, Meta(min_length=1, max_length=512)]


class LiveKitParticipantIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Who asks to join: their LiveKit identity, and where they connect from."""

    id: Identity
    ip: Annotated[str, Meta(max_length=64)] | None = None
    phone: Annotated[str, Meta(pattern=r"^\+[0-9 ().-]{3,40}$")] | None = None
    language: Annotated[str, Meta(max_length=35)] | None = None
    name: Annotated[str, Meta(max_length=256)] | None = None


class LiveKitTokenIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request for an access token to one room."""

    room: RoomName
    participant: LiveKitParticipantIn
    host: Identity | None = None


class LiveKitTokenOut(msgspec.Struct, frozen=True):
    token: str
    url: str
    room: str
    identity: str
    expires_at: datetime


class LiveKitSessionOut(msgspec.Struct, frozen=True):
    id: str
    status: str


class LiveKitWebhookOut(msgspec.Struct, frozen=True):
    event: str
    sessions: list[LiveKitSessionOut]


async def _platform(call: Call, name: str) -> tuple[Platform, LiveKitSettings]:
    try:
        platform = await run_in_threadpool(enforcer_of(call.node).store.get_platform, name)
    except NotFound:
        platform = None
    if platform is None or platform.connector != CONNECTOR:
        raise HTTPProblem("not-found", f"no LiveKit platform named {name!r}")
    return platform, LiveKitSettings.of(platform.settings)


async def mint_token(call: Call) -> Response:
    """Decide the join as ``POST /v1/sessions`` would; a token only when it is allowed."""
    body = await call.body(LiveKitTokenIn)
    _, settings = await _platform(call, call.actor)
    p = body.participant
    resource = Resource(MEETING, body.room, body.host)
    _, refused = await decide_join(
        call, resource, p.id, ip=p.ip, phone=p.phone, language=p.language
    )
    if refused is not None:
        return refused
    sealed = seal(
        settings.api_secret, p.id, body.room, Sealed(p.ip, p.phone, p.language, body.host)
    )
    token = (
        api.AccessToken(settings.api_key, settings.api_secret)
        .with_identity(p.id)
        .with_name(p.name or "")
        .with_ttl(settings.token_ttl)
        .with_grants(api.VideoGrants(room_join=True, room=body.room))
        .with_attributes({ATTRIBUTE: sealed})
    )
    expires = datetime.now(UTC).replace(microsecond=0) + settings.token_ttl
    out = LiveKitTokenOut(token.to_jwt(), settings.client_url, body.room, p.id, expires)
    return json_response(out, 201)


async def _body(call: Call) -> bytes:
    chunks, size = [], 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > MAX_WEBHOOK_BYTES:
            raise HTTPProblem("too-large", f"the body is over {MAX_WEBHOOK_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _verified(settings: LiveKitSettings, body: bytes, authorization: str) -> api.WebhookEvent:
    """The event, when LiveKit signed it with the platform's key pair; else a 401 problem."""
    token = authorization.removeprefix("Bearer ").strip()
    if not token:
        raise HTTPProblem("unauthorized", "LiveKit signs webhooks in the Authorization header")
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise HTTPProblem("malformed", "the webhook is not UTF-8 JSON") from exc
    receiver = api.WebhookReceiver(api.TokenVerifier(settings.api_key, settings.api_secret))
    try:
        return receiver.receive(text, token)
    except json_format.ParseError as exc:
        raise HTTPProblem("malformed", f"the webhook is not a LiveKit event: {exc}") from exc
    except Exception as exc:  # livekit-api raises jwt's errors and bare Exceptions alike
        raise HTTPProblem(
            "unauthorized", "the webhook's signature does not verify with this platform's key"
        ) from exc


def platform_account(node: Node, name: str) -> User | None:
    """The platform's enabled account, whose sessions the roster keeps; None when it has none."""
    try:
        user = node.store.get_user(name)
    except NotFound:
        return None
    if user.disabled or Role.PLATFORM not in user.roles:
        return None
    return user


async def _act_as(call: Call, name: str) -> None:
    """The session belongs to the platform LiveKit signed for: the call acts as it."""
    user = await run_in_threadpool(platform_account, call.node, name)
    if user is None:
        raise HTTPProblem("forbidden", f"platform {name!r} has no enabled platform account")
    call.user = user


async def receive_webhook(call: Call) -> Response:
    platform, settings = await _platform(call, call.params["id"])
    event = _verified(settings, await _body(call), call.header(b"authorization"))
    await _act_as(call, platform.name)
    room, person = event.room.name, event.participant
    sessions: list[Session] = []
    if event.event == "participant_joined" and person.kind in PEOPLE:
        session, _ = await run_in_threadpool(
            roster_join, call.node, platform.name, settings, room, person
        )
        sessions = [session]
    elif event.event in ("participant_left", "participant_connection_aborted"):
        removed = person.disconnect_reason == api.DisconnectReason.PARTICIPANT_REMOVED
        status = SessionStatus.REMOVED if removed else SessionStatus.LEFT
        sessions = await run_in_threadpool(
            end_sessions, call.node, platform.name, room, person.identity, status
        )
    elif event.event == "room_finished":
        sessions = await run_in_threadpool(
            end_sessions, call.node, platform.name, room, None, SessionStatus.LEFT
        )
    out = [LiveKitSessionOut(s.id, s.status.value) for s in sessions]
    return json_response(LiveKitWebhookOut(event.event, out))


def live_sessions(node: Node, platform: str, room: str, identity: str | None) -> list[Session]:
    """The platform's live sessions in ``room`` (of ``identity``, when given)."""
    live = enforcer_of(node).store.live_sessions(resource_type=MEETING, resource_ids=[room])
    return [
        s
        for s in live
        if s.platform == platform and (identity is None or s.participant == identity)
    ]


def roster_join(
    node: Node, platform: str, settings: LiveKitSettings, room: str, person: api.ParticipantInfo
) -> tuple[Session, bool]:
    """Roster one participant LiveKit has let into ``room``, as a ``participant_joined`` webhook
    reports them or as the reconciliation finds them missing from the roster (one code path):
    decided as every join is, so one inside an order in force is removed at once.

    The same join reported again (LiveKit retries a webhook) is the session already live,
    returned with False; the identity joining again from elsewhere ends that session first.
    Blocks on the store: call it from a worker thread."""
    sealed = sealed_of(settings, room, person)
    for live in live_sessions(node, platform, room, person.identity):
        if same_connection(node, live, sealed or Sealed()):
            return live, False
        end_session(node, live, SessionStatus.LEFT)
    if sealed is None:
        log.warning(
            "participant %r joined %r without a token remit minted: location unknown",
            person.identity,
            room,
        )
        sealed = Sealed()
    session, _ = roster_session(
        node,
        platform,
        Resource(MEETING, room, sealed.host),
        person.identity,
        ip=sealed.ip,
        phone=sealed.phone,
        language=sealed.language,
    )
    return session, True


def same_connection(node: Node, session: Session, sealed: Sealed) -> bool:
    """Whether ``session`` is the join ``sealed`` describes: its address or number places it in
    the same place, by the same source, and its language is the same. The roster keeps no
    address to compare (docs/privacy.md): the seal's is used to place it again, and dropped."""
    located = node.locator.locate(ip=sealed.ip, phone=sealed.phone)
    where = session.location
    return (where.country, where.subdivision, where.source, session.language) == (
        located.country,
        located.subdivision,
        located.source,
        sealed.language,
    )


def sealed_of(settings: LiveKitSettings, room: str, person: api.ParticipantInfo) -> Sealed | None:
    """What remit sealed into the participant's token; a caller's number for a SIP participant
    (LiveKit's SIP service sets it); else None: the location stays unknown."""
    value = person.attributes.get(ATTRIBUTE)
    sealed = None if value is None else unseal(settings.api_secret, person.identity, room, value)
    if sealed is not None:
        return sealed
    if person.kind == api.ParticipantInfo.Kind.SIP and person.attributes.get(SIP_PHONE):
        return Sealed(phone=person.attributes[SIP_PHONE])
    return None


def end_session(node: Node, session: Session, status: SessionStatus) -> Session:
    return enforcer_of(node).store.end_session(session.id, status, node.clock())


def end_sessions(
    node: Node, platform: str, room: str, identity: str | None, status: SessionStatus
) -> list[Session]:
    return [end_session(node, s, status) for s in live_sessions(node, platform, room, identity)]


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST", "/v1/connectors/livekit/tokens", mint_token,
        "LiveKit: decide a join, and mint an access token when it is allowed",
        PLATFORM, LiveKitTokenIn, LiveKitTokenOut, 201,
        problems=("not-found", "unavailable-for-legal-reasons"),
    ),
    Endpoint(
        "POST", "/v1/connectors/livekit/webhooks/{id}", receive_webhook,
        "LiveKit: a signed webhook of the platform {id} (participant joined or left)",
        None, response=LiveKitWebhookOut,
        problems=("unauthorized", "forbidden", "malformed", "invalid-field", "too-large"),
    ),
)  # fmt: skip
