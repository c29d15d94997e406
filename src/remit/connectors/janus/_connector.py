"""The ``janus`` connector: remit's commands carried out on a Janus VideoRoom through its API.

``participant.remove`` revokes the participant's join token (``allowed`` ``remove``) and kicks
their publisher; a participant already gone, or a room that no longer exists, counts as done.
``participant.readmit`` gives the token back. ``host.notice`` has nothing to do in Janus, which
has no channel to a room's host: it is acknowledged, and stays listed in ``GET /v1/commands``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from remit._checks import ascii_digits
from remit.connectors._settings import Setting, checked_settings, http_url
from remit.connectors.janus import _tickets as tickets
from remit.connectors.janus._addresses import Addresses
from remit.connectors.janus._client import (
    NO_SUCH_FEED,
    NO_SUCH_ROOM,
    JanusAPI,
    failure,
)
from remit.enforcement import (
    Command,
    Connector,
    HostNoticeData,
    Platform,
    ReadmitData,
    RemoveData,
    payload,
)
from remit.errors import DeliveryError

SETTINGS = (
    Setting(
        "url",
        needs="Janus's HTTP API URL, such as http://127.0.0.1:8088/janus",
        check=lambda url: http_url(url).rstrip("/"),
    ),
    Setting("room_secret", needs="the rooms' secret"),
    Setting("api_secret"),
    Setting("token_secret", make=tickets.new_secret),  # never needs showing: remit signs with it
)


#: How long the event receiver uses a platform's settings before it reads them again.
PLATFORM_TTL_S = 30.0


class Platforms:
    """Platforms' settings as last read, for :data:`PLATFORM_TTL_S`: event batches come often."""

    def __init__(self, ttl_s: float = PLATFORM_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._read: dict[str, tuple[Platform, float]] = {}

    def get(self, name: str) -> Platform | None:
        with self._lock:
            found = self._read.get(name)
        return found[0] if found is not None and found[1] > time.monotonic() else None

    def put(self, platform: Platform) -> None:
        with self._lock:
            self._read[platform.name] = (platform, time.monotonic() + self._ttl_s)


def janus_room(room: str) -> int | str:
    """A room id as Janus takes it: a number, unless the VideoRoom uses string ids."""
    return int(room) if ascii_digits(room) else room


class JanusConnector(Connector):
    """Carries commands to a Janus server's VideoRoom plugin over its HTTP API.

    It also holds what the connector's endpoints share on this node (they find it among the
    enforcer's connectors): the one client of Janus, the addresses Janus's events reported, and
    the platforms' settings as last read.
    """

    name = "janus"

    def __init__(self, api: JanusAPI | None = None) -> None:
        self.api = api or JanusAPI()
        self.addresses = Addresses()
        self.platforms = Platforms()

    def close(self) -> None:
        """Close the connections to Janus (the enforcer calls this on stop)."""
        self.api.close()

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Settings from the operator's options: ``url`` (Janus's HTTP API), ``room_secret``
        (the rooms' ``secret``), optional ``api_secret`` (janus.jcfg's ``api_secret``) and
        ``token_secret`` (signs join tokens; made when not given, and never needs showing)."""
        return checked_settings(self.name, options, SETTINGS)

    def deliver(self, platform: Platform, command: Command) -> None:
        """Carry out one command, or raise :class:`DeliveryError` (the outbox retries)."""
        data = payload(command)
        if isinstance(data, HostNoticeData):
            return  # Janus has no way to reach a room's host
        if not isinstance(data, RemoveData | ReadmitData):
            raise DeliveryError(f"the janus connector cannot carry {command.type}")
        settings = platform.settings
        try:
            secret = settings["token_secret"]
        except KeyError as exc:
            raise DeliveryError(f"platform {platform.name}: missing {exc}") from exc
        room, host, participant = data.resource.id, data.resource.host, data.participant.id
        removing = isinstance(data, RemoveData)
        rules = _rules(settings, room)
        requests: list[dict[str, Any]] = []
        if not participant.startswith(tickets.UNKNOWN_FEED):
            token = tickets.token(secret, room, participant, host)
            action = "remove" if removing else "add"
            requests.append({"request": "allowed", "action": action, "allowed": [token], **rules})
        feed = tickets.feed_of(secret, room, participant)
        if removing and feed is not None:
            requests.append({"request": "kick", "id": feed, **rules})
        if not requests:
            return
        answers = self.api.videoroom(settings["url"], requests, settings.get("api_secret"))
        for request, answer in zip(requests, answers, strict=True):
            error = failure(answer)
            if error is not None and error[0] not in (NO_SUCH_ROOM, NO_SUCH_FEED):
                raise DeliveryError(
                    f"platform {platform.name}: Janus refused {request['request']} in room "
                    f"{room}: {error[0]} {error[1]}"
                )


def _rules(settings: dict[str, str], room: str) -> dict[str, Any]:
    """What every managing request to ``room`` carries: the room and its secret."""
    return {"room": janus_room(room), "secret": settings["room_secret"]}
