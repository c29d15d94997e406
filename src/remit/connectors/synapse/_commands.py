"""remit's commands, received by Synapse at ``/_synapse/client/remit/commands`` and carried out.

Runs inside Synapse's process: the standard library, Synapse and Twisted only. remit POSTs each
command signed per Standard Webhooks; the answer is 2xx only once the command is carried out, so
a kick that failed is retried by remit's outbox until it succeeds or its deadline passes.

- ``participant.remove``: the participant is kicked from the room (membership ``leave``, sent by
  the configured ``kick_as`` user or else the room's creator) with remit's notice as the kick's
  ``reason``, which every Matrix client shows the person. Someone no longer in the room is
  already gone: acknowledged, nothing done (a repeated delivery lands here too).
- ``host.notice`` and ``participant.readmit``: acknowledged and logged. Matrix has nothing to
  carry out for them: the host sees each kick and its reason in the room, and a readmitted person
  is let in by the join check again, since remit no longer refuses them.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from synapse.module_api import DirectServeJsonResource, ModuleApi

from remit.connectors.synapse._paths import ACKNOWLEDGED, REMOVE
from remit.connectors.synapse._signature import SignatureError, verify

#: The notice's fields carried in the kick event beside ``reason``, for clients that show more.
NOTICE_FIELDS = ("title", "language", "direction", "order_id", "appeal_url")

logger = logging.getLogger(__name__)

Answer = tuple[int, dict[str, Any]]


class CommandsResource(DirectServeJsonResource):  # type: ignore[misc]
    """The web resource remit's connector delivers to."""

    def __init__(self, api: ModuleApi, key: bytes, kick_as: str | None) -> None:
        super().__init__()
        self._api = api
        self._key = key
        self._kick_as = kick_as

    async def _async_render_POST(self, request: Any) -> Answer:
        body: bytes = request.content.read()
        names = ("webhook-id", "webhook-timestamp", "webhook-signature")
        headers = {name: _header(request, name) for name in names}
        try:
            webhook_id = verify(self._key, headers, body, time.time())
        except SignatureError as exc:
            logger.warning("remit: refused a command: %s", exc)
            return 401, {"errcode": "M_UNAUTHORIZED", "error": f"remit webhook: {exc}"}
        try:
            command = json.loads(body)
            kind, data = command["type"], command["data"]
        except (ValueError, KeyError, TypeError):
            return 400, {"errcode": "M_BAD_JSON", "error": "not a remit command"}
        if kind == REMOVE:
            return await self._remove(webhook_id, data)
        if kind in ACKNOWLEDGED:
            logger.info("remit: %s %s acknowledged: %s", kind, webhook_id, data.get("order_id"))
            return 200, {"done": "acknowledged"}
        return 400, {"errcode": "M_UNRECOGNIZED", "error": f"unknown command type {kind!r}"}

    async def _remove(self, webhook_id: str, data: dict[str, Any]) -> Answer:
        try:
            room, user = str(data["resource"]["id"]), str(data["participant"]["id"])
        except (KeyError, TypeError):
            return 400, {"errcode": "M_BAD_JSON", "error": "a removal names a room and a person"}
        notice = data.get("notice") or {}
        reason = str(notice.get("body") or notice.get("title") or "Removed on a legal order.")
        try:
            state = await self._api.get_room_state(
                room, [("m.room.member", user), ("m.room.create", "")]
            )
            member = state.get(("m.room.member", user))
            if member is None or member.content.get("membership") != "join":
                logger.info("remit: %s: %s is not in %s; nothing to do", webhook_id, user, room)
                return 200, {"done": "not in the room"}
            create = state.get(("m.room.create", ""))
            sender = self._kick_as or (create.sender if create is not None else user)
            content: dict[str, Any] = {"reason": reason}
            content["org.remit.notice"] = {k: notice.get(k) for k in NOTICE_FIELDS}
            await self._api.update_room_membership(sender, user, room, "leave", content)
        except Exception as exc:  # the kick did not happen: 5xx, so that remit tries again
            logger.exception("remit: %s: could not remove %s from %s", webhook_id, user, room)
            return 503, {"errcode": "M_UNKNOWN", "error": f"not removed yet: {exc}"}
        logger.info("remit: %s: removed %s from %s", webhook_id, user, room)
        return 200, {"done": "removed"}


def _header(request: Any, name: str) -> str:
    value = request.getHeader(name)
    return str(value) if value is not None else ""
