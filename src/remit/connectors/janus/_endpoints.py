"""The janus connector's own API operations: the token broker and Janus's event receiver.

``POST /v1/connectors/janus/tokens``: the platform asks for a participant's join token. remit
decides the join exactly as ``POST /v1/sessions`` does (451 with the notice when refused), and
on allow adds the token to the room's ``allowed`` list in Janus, with the publisher id to join
with. No one is rostered yet: Janus reports the join itself.

``POST /v1/connectors/janus/events``: Janus's sample event handler posts its events here. remit
learns each Janus session's address, rosters every VideoRoom publisher that joins (an order in
force removes one inside its scope at once), ends the session when they leave or are kicked,
and after Janus (re)starts ends every session it had and gives the rooms their lists back.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit._urls import redact_urls
from remit.api import (
    PLATFORM,
    Call,
    Endpoint,
    HTTPProblem,
    bearer,
    close_sessions,
    decide_join,
    enforcer_of,
    json_response,
    open_session,
)
from remit.connectors.janus import _tickets as tickets
from remit.connectors.janus._client import NO_SUCH_ROOM, VIDEOROOM, JanusAPI, failure
from remit.connectors.janus._connector import JanusConnector, janus_room
from remit.enforcement import Platform, Session, SessionStatus
from remit.errors import DeliveryError, InvalidInput, NotFound
from remit.policy import Resource
from remit.store import User

log = logging.getLogger("remit.connectors.janus")

MEETING = "meeting"
#: Janus's event types (``type``) remit reads.
SESSION, TRANSPORT, PLUGIN, CORE = 1, 128, 64, 256

Id = Annotated[str, Meta(min_length=1, max_length=512)]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class JanusParticipantIn(_In):
    id: Id
    ip: Annotated[str, Meta(max_length=64)] | None = None
    language: Annotated[str, Meta(max_length=35)] | None = None


class JanusTokenIn(_In):
    """A participant asks to join a VideoRoom: the room (a number, or a string with string_ids),
    the participant as the platform knows them, and the meeting's host account."""

    room: Annotated[int, Meta(ge=1)] | Annotated[str, Meta(min_length=1, max_length=256)]
    participant: JanusParticipantIn
    host: Id | None = None


class JanusTokenOut(msgspec.Struct, frozen=True):
    """What the client joins with: ``{"request": "join", "ptype": "publisher", "room": room,
    "id": id, "token": token}``."""

    room: int | str
    id: int
    token: str


class JanusEvent(msgspec.Struct, kw_only=True):
    """One event as Janus's event handlers send it (fields remit does not read are ignored)."""

    type: int = 0
    session_id: int | None = None
    event: Any = None


class JanusEventsOut(msgspec.Struct, frozen=True):
    received: int
    joined: int
    left: int


def _janus(call: Call) -> JanusConnector:
    """The node's janus connector: its client of Janus, and what Janus's events told it."""
    connector = enforcer_of(call.node).connectors.get(JanusConnector.name)
    if not isinstance(connector, JanusConnector):
        raise HTTPProblem("unavailable", "the janus connector is not installed on this node")
    return connector


async def _platform(call: Call) -> Platform:
    janus = _janus(call)
    platform = janus.platforms.get(call.actor)
    if platform is None:
        try:
            platform = await run_in_threadpool(
                enforcer_of(call.node).store.get_platform, call.actor
            )
        except NotFound as exc:
            raise HTTPProblem("forbidden", f"{call.actor} is not a registered platform") from exc
        janus.platforms.put(platform)
    if platform.connector != JanusConnector.name:
        raise HTTPProblem(
            "conflict", f"platform {platform.name} uses the {platform.connector} connector"
        )
    return platform


async def _videoroom(
    api: JanusAPI, platform: Platform, requests: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    settings = platform.settings
    try:
        return await run_in_threadpool(
            api.videoroom, settings["url"], requests, settings.get("api_secret")
        )
    except DeliveryError as exc:
        raise HTTPProblem("unavailable", f"Janus could not be reached: {exc.message}") from exc


# The token broker ----------------------------------------------------------------------------


async def grant(call: Call) -> Response:
    body = await call.body(JanusTokenIn)
    person = body.participant
    if person.id.startswith(tickets.UNKNOWN_FEED):
        raise InvalidInput(
            f"participant.id: {tickets.UNKNOWN_FEED}… is kept for publishers remit cannot identify",
            field="participant.id",
        )
    platform = await _platform(call)
    room = str(body.room)
    resource = Resource(MEETING, room, body.host)
    _, refused = await decide_join(
        call, resource, person.id, ip=person.ip, language=person.language
    )
    if refused is not None:
        return refused
    secret = platform.settings["token_secret"]
    token = tickets.token(secret, room, person.id, body.host)
    rules = {"room": body.room, "secret": platform.settings["room_secret"]}
    answers = await _videoroom(
        _janus(call).api,
        platform,
        [
            {"request": "allowed", "action": "enable", **rules},
            {"request": "allowed", "action": "add", "allowed": [token], **rules},
        ],
    )
    for answer in answers:
        error = failure(answer)
        if error is not None and error[0] == NO_SUCH_ROOM:
            raise InvalidInput(f"room: Janus has no room {room}", field="room")
        if error is not None:
            raise HTTPProblem("unavailable", f"Janus refused the room's allowed list: {error[1]}")
    return json_response(JanusTokenOut(body.room, tickets.feed_id(secret, room, person.id), token))


# The event receiver --------------------------------------------------------------------------


def _caller(call: Call) -> User:
    """The platform posting events: HTTP basic auth whose password is the platform's token (what
    Janus's sample event handler sends), or a bearer token."""
    header = call.header(b"authorization")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        token = decoded.partition(":")[2]
        user = call.node.user_for_token(token) if token else None
        if user is None:
            raise HTTPProblem("unauthorized", "the basic auth password is not a valid token")
    else:
        user = bearer(call.node, header)
    if user.roles.isdisjoint(PLATFORM):
        raise HTTPProblem("forbidden", "this needs the role platform")
    return user


async def receive(call: Call) -> Response:
    call.user = _caller(call)
    platform = await _platform(call)
    batch = await call.body(list[JanusEvent] | JanusEvent)  # type: ignore[arg-type]
    events: list[JanusEvent] = batch if isinstance(batch, list) else [batch]
    joined = left = 0
    for event in events:
        outcome = await _take(call, platform, event)
        joined += outcome == "joined"
        left += outcome == "left"
    return json_response(JanusEventsOut(len(events), joined, left))


async def _take(call: Call, platform: Platform, event: JanusEvent) -> str | None:
    addresses = _janus(call).addresses
    body = event.event
    if not isinstance(body, dict):
        return None
    if event.type == TRANSPORT:
        data = body.get("data")
        if isinstance(data, dict) and isinstance(data.get("ip"), str) and "id" in body:
            addresses.transport(platform.name, str(body["id"]), data["ip"])
    elif event.type == SESSION and event.session_id is not None:
        name = body.get("name")
        transport = body.get("transport")
        if name == "created" and isinstance(transport, dict) and "id" in transport:
            addresses.session_created(platform.name, event.session_id, str(transport["id"]))
        elif name in ("destroyed", "timeout"):
            addresses.session_gone(platform.name, event.session_id)
    elif event.type == PLUGIN and body.get("plugin") == VIDEOROOM:
        data = body.get("data")
        if isinstance(data, dict) and "room" in data and "id" in data:
            if data.get("event") == "joined":
                await _joined(call, platform, event.session_id, data)
                return "joined"
            if data.get("event") in ("leaving", "kicked"):
                return "left" if await _left(call, platform, data) else None
    elif event.type == CORE and body.get("status") == "started":
        await _restarted(call, platform)
    return None


def _identify(platform: Platform, room: str, feed: Any, token: Any) -> tuple[str, str | None]:
    """Who a publisher is: the participant and host its token names, when the token is remit's
    and the publisher took the id remit assigned; otherwise the feed itself."""
    secret = platform.settings["token_secret"]
    named = tickets.read_token(secret, room, token) if isinstance(token, str) else None
    if named is not None and tickets.feed_id(secret, room, named[0]) == feed:
        return named
    return f"{tickets.UNKNOWN_FEED}{feed}", None


async def _joined(
    call: Call, platform: Platform, session_id: int | None, data: dict[str, Any]
) -> None:
    room = str(data["room"])
    participant, host = _identify(platform, room, data["id"], data.get("token"))
    ip = _janus(call).addresses.of_session(platform.name, session_id)
    if ip is None:
        log.warning("janus %s: no address known for session %s", platform.name, session_id)
    resource = Resource(MEETING, room, host)
    # A feed is in a room once: a session still live for it is one whose leave was missed.
    await close_sessions(call, resource, participant)
    await open_session(call, resource, participant, ip=ip, refuse=False)


async def _left(call: Call, platform: Platform, data: dict[str, Any]) -> bool:
    room, feed = str(data["room"]), data["id"]
    secret = platform.settings["token_secret"]
    live = await run_in_threadpool(
        enforcer_of(call.node).store.live_sessions, resource_type=MEETING, resource_ids=[room]
    )
    gone = [
        s
        for s in live
        if s.platform == platform.name and tickets.feed_of(secret, room, s.participant) == feed
    ]
    for session in gone:
        await close_sessions(call, session.resource, session.participant)
    return bool(gone)


async def _restarted(call: Call, platform: Platform) -> None:
    """Janus (re)started: everyone it had is gone, and its rooms forgot their ``allowed`` lists.
    End their sessions, and give each room its check back with the tokens of those who were
    in it and may still be (anyone an order removes stays out)."""
    store = enforcer_of(call.node).store
    live = await run_in_threadpool(store.live_sessions, resource_type=MEETING)
    rooms: dict[str, list[str]] = {}
    secret = platform.settings["token_secret"]
    for session in (s for s in live if s.platform == platform.name):
        now = call.node.clock()
        await run_in_threadpool(store.end_session, session.id, SessionStatus.LEFT, now)
        tokens = rooms.setdefault(session.resource.id, [])
        if _may_stay(call, session):
            r = session.resource
            tokens.append(tickets.token(secret, r.id, session.participant, r.host))
    for room, tokens in rooms.items():
        rules = {"room": janus_room(room), "secret": platform.settings["room_secret"]}
        requests: list[dict[str, Any]] = [{"request": "allowed", "action": "enable", **rules}]
        if tokens:
            requests.append({"request": "allowed", "action": "add", "allowed": tokens, **rules})
        await run_in_threadpool(_restore, _janus(call).api, platform, room, requests)


def _may_stay(call: Call, session: Session) -> bool:
    if session.participant.startswith(tickets.UNKNOWN_FEED):
        return False
    return call.node.snapshot.index.decide(
        session.location, session.resource, session.participant, platform=session.platform
    ).allowed


def _restore(api: JanusAPI, platform: Platform, room: str, requests: list[dict[str, Any]]) -> None:
    """Send a room's list back, trying for a few seconds: Janus reports its start before its
    transports listen. A room still unrestored opens again at its next token."""
    settings = platform.settings
    for attempt in range(10):
        try:
            api.videoroom(settings["url"], requests, settings.get("api_secret"))
            return
        except DeliveryError as exc:
            if attempt == 9:
                log.warning(
                    "janus %s: room %s not restored: %s", platform.name, room, redact_urls(str(exc))
                )
            time.sleep(0.5)


ENDPOINTS = [
    Endpoint(
        "POST", "/v1/connectors/janus/tokens", grant,
        "Janus: decide a join and answer the VideoRoom token and publisher id",
        PLATFORM, JanusTokenIn, JanusTokenOut,
        problems=("conflict", "unavailable", "unavailable-for-legal-reasons"),
    ),
    Endpoint(
        "POST", "/v1/connectors/janus/events", receive,
        "Janus: the event handler's events (basic auth: the platform's token as password)",
        None, response=JanusEventsOut,
        problems=(
            "unauthorized", "forbidden", "conflict", "malformed", "invalid-field",
            "unsupported-media-type", "too-large",
        ),
    ),
]  # fmt: skip
