"""Commands carried out through LiveKit's RoomService (Twirp), with livekit-api.

``participant.remove`` tells the participant why (a data message on the topic ``remit.notice``,
which the platform's app shows) and then removes them with ``RemoveParticipant``. A participant
LiveKit no longer has, or one who joined again after the command was made (a new join is decided
on its own, so it is not the session the command is about), needs nothing more: done.
``host.notice`` goes to the host the same way. ``participant.readmit`` needs nothing in LiveKit:
the person's next token request is decided afresh.

:meth:`LiveKitConnector.rooms` lists who is in which room (ListRooms, ListParticipants), for the
roster's reconciliation (see :mod:`._reconcile`).

livekit-api speaks asyncio and aiohttp; the outbox delivers from worker threads, and the
reconciliation runs on a task thread. Each thread keeps its own event loop and its own aiohttp
session (keep-alive connections to the server), and :meth:`LiveKitConnector.close` closes them all
when the enforcer stops (after ``remit serve`` has stopped its tasks).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from livekit import api
from livekit.api.room_service import RoomService

from remit.connectors.livekit._settings import LiveKitSettings, configure
from remit.enforcement import (
    Command,
    Connector,
    HostNoticeData,
    Platform,
    ReadmitData,
    RemoveData,
    command_data,
    payload,
)
from remit.errors import DeliveryError

#: The data-message topic of notices: the platform's app shows what arrives on it.
NOTICE_TOPIC = "remit.notice"
T = TypeVar("T")


@dataclass
class _Worker:
    """One delivery thread's event loop and HTTP session."""

    loop: asyncio.AbstractEventLoop
    session: aiohttp.ClientSession | None = None


class LiveKitConnector(Connector):
    """Carries commands to LiveKit servers through their RoomService API."""

    name = "livekit"

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings ``url``, ``api_key``, ``api_secret`` (and optional ``client_url``,
        ``token_ttl_seconds``, ``reconcile_seconds``), checked."""
        return configure(options)

    def close(self) -> None:
        """Close every delivery thread's session and loop (the enforcer calls this on stop,
        once its workers are done)."""
        with self._lock:
            workers, self._workers = self._workers, []
            self._local = threading.local()
        for worker in workers:
            if worker.session is not None:
                worker.loop.run_until_complete(worker.session.close())
            worker.loop.close()

    def deliver(self, platform: Platform, command: Command) -> None:
        """Carry out one command; a failure LiveKit may recover from is a DeliveryError."""
        settings = LiveKitSettings.of(platform.settings)
        data = payload(command)
        if isinstance(data, ReadmitData):
            return  # nothing to undo in LiveKit: the next token request is decided afresh
        if isinstance(data, RemoveData):
            removal = data
            self._run(platform, settings, lambda room: _remove(room, command, removal))
        elif isinstance(data, HostNoticeData):
            notice = data
            self._run(platform, settings, lambda room: _notify_host(room, command, notice))
        else:
            raise DeliveryError(
                f"platform {platform.name}: livekit cannot carry out {command.type}"
            )

    def rooms(
        self, platform: Platform, settings: LiveKitSettings
    ) -> dict[str, list[api.ParticipantInfo]]:
        """Who is in which of the platform's rooms now (ListRooms, then ListParticipants for
        each); a room that ends in between is left out. A failure is a DeliveryError."""
        return self._run(platform, settings, _rooms)

    def _run(
        self,
        platform: Platform,
        settings: LiveKitSettings,
        work: Callable[[RoomService], Awaitable[T]],
    ) -> T:
        worker = self._worker()
        try:
            return worker.loop.run_until_complete(self._call(worker, settings, work))
        except api.ServerError as exc:
            raise DeliveryError(
                f"platform {platform.name}: LiveKit answered {exc.status} {exc.code}: {exc.message}"
            ) from exc
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            raise DeliveryError(
                f"platform {platform.name}: {type(exc).__name__} at {settings.url}"
            ) from exc

    async def _call(
        self,
        worker: _Worker,
        settings: LiveKitSettings,
        work: Callable[[RoomService], Awaitable[T]],
    ) -> T:
        if worker.session is None:
            worker.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        client = api.LiveKitAPI(
            settings.url,
            settings.api_key,
            settings.api_secret,
            session=worker.session,
            failover=False,
        )
        return await work(client.room)

    def _worker(self) -> _Worker:
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = _Worker(asyncio.new_event_loop())
            with self._lock:
                self._workers.append(worker)
        return worker


async def _remove(room: RoomService, command: Command, data: RemoveData) -> None:
    where, identity = data.resource.id, data.participant.id
    present = await _gone_if_absent(
        room.get_participant(api.RoomParticipantIdentity(room=where, identity=identity))
    )
    if present is None or _joined_ms(present) > command.created_at.timestamp() * 1000:
        return  # already gone, or a later join that was decided on its own
    notice = {
        "type": command.type,
        "order_id": command.order_id,
        "notice": command_data(data.notice),
    }
    await _gone_if_absent(_send(room, where, identity, notice))
    await _gone_if_absent(
        room.remove_participant(api.RoomParticipantIdentity(room=where, identity=identity))
    )


async def _rooms(room: RoomService) -> dict[str, list[api.ParticipantInfo]]:
    found: dict[str, list[api.ParticipantInfo]] = {}
    for each in (await room.list_rooms(api.ListRoomsRequest())).rooms:
        listed = await _gone_if_absent(
            room.list_participants(api.ListParticipantsRequest(room=each.name))
        )
        if listed is not None:
            found[each.name] = list(listed.participants)
    return found


async def _notify_host(room: RoomService, command: Command, data: HostNoticeData) -> None:
    notice = {
        "type": command.type,
        "order_id": command.order_id,
        "counts": dict(data.counts),
        "notice": command_data(data.notice),
    }
    # A host who is not in the room gets nothing now; the platform can read the notice from
    # GET /v1/commands. A room LiveKit does not have (it ended) is the same.
    await _gone_if_absent(_send(room, data.resource.id, data.host.id, notice))


def _send(
    room: RoomService, where: str, identity: str, body: dict[str, Any]
) -> Awaitable[api.SendDataResponse]:
    return room.send_data(
        api.SendDataRequest(
            room=where,
            data=json.dumps(body, ensure_ascii=False).encode(),
            kind=api.DataPacket.Kind.RELIABLE,
            destination_identities=[identity],
            topic=NOTICE_TOPIC,
        )
    )


async def _gone_if_absent(call: Awaitable[T]) -> T | None:
    """The call's answer, or None when LiveKit has no such room or participant."""
    try:
        return await call
    except api.ServerError as exc:
        if exc.code == api.ServerErrorCode.NOT_FOUND:
            return None
        raise


def _joined_ms(participant: api.ParticipantInfo) -> int:
    return participant.joined_at_ms or participant.joined_at * 1000
