"""A stand-in for a LiveKit server, for the connector's tests: no LiveKit server can be installed
here, so this speaks the parts of its protocol remit meets, with livekit-api's own code.

- **RoomService over Twirp**: ``POST /twirp/livekit.RoomService/<Method>`` with a protobuf (or
  JSON) body, authorised like LiveKit does: a bearer JWT signed with the key pair, verified by
  livekit-api's ``TokenVerifier``, holding the ``roomAdmin`` grant for the request's room.
  Methods: ListRooms (with the ``roomList`` grant), ListParticipants, GetParticipant,
  RemoveParticipant, SendData. Errors are Twirp's JSON.
- **Joins**: :meth:`LiveKitTwirpServer.join` admits a participant holding an access token only
  when it verifies (signature, expiry, ``roomJoin`` for a room), as a LiveKit server would.
- **Webhooks**: joins and leaves are posted to ``webhook_url`` as LiveKit posts them: the
  ``WebhookEvent`` as protobuf JSON (``application/webhook+json``), signed with a JWT whose
  ``sha256`` claim is the body's hash, in the ``Authorization`` header. A webhook that cannot
  be delivered (remit down) is recorded with status 0 and not retried: LiveKit gives up after
  about 30 seconds, so to remit it is lost either way.

Rooms live in memory, in the test process: :meth:`stop` closes the port (LiveKit unreachable)
and :meth:`start` opens it again on the same port, with the rooms as they were (as a LiveKit
node that restarts beside its Redis keeps them).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from google.protobuf import json_format
from google.protobuf.message import Message
from livekit import api

TWIRP = "/twirp/livekit.RoomService/"
STATUS = {"not_found": 404, "unauthenticated": 401, "permission_denied": 403, "malformed": 400}
STATUS |= {"bad_route": 404, "invalid_argument": 400}


class TwirpError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass
class Delivered:
    """A webhook the server posted, and remit's answer to it."""

    event: str
    identity: str
    status: int
    answer: dict[str, Any] = field(default_factory=dict)


class LiveKitTwirpServer:
    """An in-memory LiveKit server on 127.0.0.1 (see the module's docstring)."""

    def __init__(self, api_key: str, api_secret: str, port: int, webhook_url: str) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.port = port
        self.webhook_url = webhook_url
        self.rooms: dict[str, dict[str, api.ParticipantInfo]] = {}
        self.calls: list[tuple[str, Message]] = []  # (Twirp method, request), authorised
        self.refused: list[tuple[str, str]] = []  # (Twirp method, error code)
        self.removed: list[tuple[str, str]] = []  # (room, identity)
        self.data: list[tuple[str, str, str, dict[str, Any]]] = []  # room, identity, topic, body
        self.webhooks: list[Delivered] = []
        self._lock = threading.RLock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # The process ---------------------------------------------------------------------------
    def start(self) -> None:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the port; the rooms stay as they are for the next :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # What participants do ------------------------------------------------------------------
    def join(self, token: str) -> Delivered:
        """A participant connects with ``token``; returns the participant_joined webhook's fate.

        Raises ``PermissionError`` when LiveKit would refuse the token."""
        try:
            claims = api.TokenVerifier(self.api_key, self.api_secret).verify(token)
        except Exception as exc:
            raise PermissionError(f"token refused: {exc}") from exc
        video = claims.video
        if video is None or not video.room_join or not video.room or not claims.identity:
            raise PermissionError("token refused: no roomJoin grant for a room")
        info = _participant(claims.identity, api.ParticipantInfo.Kind.STANDARD)
        info.name, info.metadata = claims.name, claims.metadata
        info.attributes.update(claims.attributes or {})
        return self._admit(video.room, info)

    def dial_in(self, room: str, identity: str, phone: str) -> Delivered:
        """A caller joins through LiveKit's SIP service, which puts their number in the
        ``sip.phoneNumber`` attribute (no token: the trunk's dispatch rule lets them in)."""
        info = _participant(identity, api.ParticipantInfo.Kind.SIP)
        info.attributes["sip.phoneNumber"] = phone
        return self._admit(room, info)

    def vanish(self, room: str, identity: str) -> None:
        """The participant leaves and LiveKit's participant_left never reaches remit (LiveKit
        drops a webhook it cannot deliver within 30 seconds)."""
        with self._lock:
            del self.rooms[room][identity]

    def _admit(self, room_name: str, info: api.ParticipantInfo) -> Delivered:
        with self._lock:
            room = self.rooms.setdefault(room_name, {})
            old = room.pop(info.identity, None)
            room[info.identity] = info
        if old is not None:  # LiveKit drops the older connection of a duplicate identity
            old.disconnect_reason = api.DisconnectReason.DUPLICATE_IDENTITY
            self.post("participant_left", room_name, old)
        return self.post("participant_joined", room_name, info)

    def leave(self, room: str, identity: str) -> Delivered:
        with self._lock:
            info = self.rooms[room].pop(identity)
        info.disconnect_reason = api.DisconnectReason.CLIENT_INITIATED
        return self.post("participant_left", room, info)

    def finish(self, room: str) -> Delivered:
        """The room ends (its last participant left or it was deleted): room_finished."""
        with self._lock:
            self.rooms.pop(room, None)
        return self.post("room_finished", room, api.ParticipantInfo())

    def participants(self, room: str) -> set[str]:
        with self._lock:
            return set(self.rooms.get(room, {}))

    # Webhooks --------------------------------------------------------------------------------
    def event(self, kind: str, room: str, info: api.ParticipantInfo) -> bytes:
        """The body LiveKit posts for ``kind``: the event in protobuf JSON."""
        event = api.WebhookEvent(
            event=kind,
            room=api.Room(sid=_room_sid(room), name=room),
            participant=info,
            id="EV_" + secrets.token_hex(6),
            created_at=int(time.time()),
        )
        return json_format.MessageToJson(event).encode()

    def signature(self, body: bytes, secret: str | None = None) -> str:
        """The Authorization header LiveKit sends with ``body``, signed with the key pair."""
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        token = api.AccessToken(self.api_key, secret or self.api_secret)
        return token.with_sha256(digest).with_ttl(timedelta(minutes=5)).to_jwt()

    def deliver(self, body: bytes, authorization: str) -> httpx.Response:
        headers = {"Authorization": authorization, "Content-Type": "application/webhook+json"}
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)

    def post(self, kind: str, room: str, info: api.ParticipantInfo) -> Delivered:
        body = self.event(kind, room, info)
        try:
            answer = self.deliver(body, self.signature(body))
        except httpx.TransportError:  # remit is down: the event is lost (status 0)
            lost = Delivered(kind, info.identity, 0)
            with self._lock:
                self.webhooks.append(lost)
            return lost
        is_json = answer.headers.get("content-type", "").endswith("json")
        delivered = Delivered(
            kind, info.identity, answer.status_code, answer.json() if is_json else {}
        )
        with self._lock:
            self.webhooks.append(delivered)
        return delivered

    # RoomService ---------------------------------------------------------------------------
    def serve(self, method: str, request: Message, authorization: str) -> tuple[Message, Any]:
        """Answer one authorised call; returns the answer and what to do once it is sent."""
        if method == "ListRooms":
            assert isinstance(request, api.ListRoomsRequest)
            self._authorise(authorization, None)
            with self._lock:
                self.calls.append((method, request))
                rooms = [
                    api.Room(sid=_room_sid(name), name=name, num_participants=len(people))
                    for name, people in self.rooms.items()
                    if not request.names or name in request.names
                ]
            return api.ListRoomsResponse(rooms=rooms), None
        room_name = getattr(request, "room", "")
        self._authorise(authorization, room_name)
        with self._lock:
            self.calls.append((method, request))
            room = self.rooms.get(room_name)
            if room is None:
                raise TwirpError("not_found", "requested room does not exist")
            if method == "ListParticipants":
                return api.ListParticipantsResponse(participants=list(room.values())), None
            if method == "SendData":
                assert isinstance(request, api.SendDataRequest)
                for identity in request.destination_identities:
                    if identity in room:
                        body = json.loads(request.data)
                        self.data.append((room_name, identity, request.topic, body))
                return api.SendDataResponse(), None
            assert isinstance(request, api.RoomParticipantIdentity)
            info = room.get(request.identity)
            if info is None:
                raise TwirpError("not_found", "participant not found")
            if method == "GetParticipant":
                return info, None
            del room[request.identity]
            self.removed.append((room_name, request.identity))
        info.disconnect_reason = api.DisconnectReason.PARTICIPANT_REMOVED
        return api.RemoveParticipantResponse(), lambda: self.post(
            "participant_left", room_name, info
        )

    def _authorise(self, authorization: str, room: str | None) -> None:
        """A bearer token of the key pair with ``roomAdmin`` for ``room`` (``roomList`` when
        ``room`` is None, as ListRooms needs)."""
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            raise TwirpError("unauthenticated", "authorization header not found")
        try:
            claims = api.TokenVerifier(self.api_key, self.api_secret).verify(token)
        except Exception as exc:
            raise TwirpError("unauthenticated", f"invalid token: {exc}") from exc
        video = claims.video
        if room is None:
            if video is None or not video.room_list:
                raise TwirpError("permission_denied", "no permissions to list rooms")
        elif video is None or not video.room_admin or video.room != room:
            raise TwirpError("permission_denied", "no permissions to access the room")


def _room_sid(room: str) -> str:
    return "RM_" + hashlib.sha1(room.encode()).hexdigest()[:12]


def _participant(identity: str, kind: api.ParticipantInfo.Kind) -> api.ParticipantInfo:
    now = time.time()
    return api.ParticipantInfo(
        sid="PA_" + secrets.token_hex(6),
        identity=identity,
        state=api.ParticipantInfo.State.ACTIVE,
        joined_at=int(now),
        joined_at_ms=int(now * 1000),
        kind=kind,
    )


REQUESTS: dict[str, type[Message]] = {
    "ListRooms": api.ListRoomsRequest,
    "ListParticipants": api.ListParticipantsRequest,
    "GetParticipant": api.RoomParticipantIdentity,
    "RemoveParticipant": api.RoomParticipantIdentity,
    "SendData": api.SendDataRequest,
}


class _Handler(http.server.BaseHTTPRequestHandler):
    server_owner: LiveKitTwirpServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        owner = self.server_owner
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        as_json = self.headers.get("Content-Type", "").startswith("application/json")
        method = self.path.removeprefix(TWIRP) if self.path.startswith(TWIRP) else ""
        then = None
        try:
            kind = REQUESTS.get(method)
            if kind is None:
                raise TwirpError("bad_route", f"no handler for path {self.path}")
            try:
                request = json_format.Parse(body, kind()) if as_json else kind.FromString(body)
            except Exception as exc:
                raise TwirpError("malformed", f"the body is not a {kind.__name__}") from exc
            answer, then = owner.serve(method, request, self.headers.get("Authorization", ""))
        except TwirpError as exc:
            with owner._lock:
                owner.refused.append((method, exc.code))
            self._send(STATUS.get(exc.code, 500), json.dumps({"code": exc.code, "msg": exc.msg}))
            return
        if as_json:
            self._send(200, json_format.MessageToJson(answer), "application/json")
        else:
            self._send(200, answer.SerializeToString(), "application/protobuf")
        if then is not None:  # LiveKit reports a removal with participant_left, afterwards
            then()

    def _send(self, status: int, body: str | bytes, media: str = "application/json") -> None:
        content = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        self.wfile.flush()
