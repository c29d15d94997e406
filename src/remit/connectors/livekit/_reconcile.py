"""Reconciling remit's roster with LiveKit's rooms, for when a webhook was lost.

LiveKit drops a webhook it cannot deliver within about 30 seconds: if remit is down or unreachable
then, a ``participant_joined`` never reaches it (the person is off the roster, and an order that
takes effect later would not remove them), and a lost ``participant_left`` leaves a session live
that has ended. So every ``reconcile_seconds`` (a platform setting, default 60; 0 never) the task
``livekit.reconcile`` asks each LiveKit platform's server who is in which room (ListRooms, then
ListParticipants) and

- rosters every person LiveKit has and remit's roster lacks, through :func:`roster_join`, the
  code path of the ``participant_joined`` webhook: one inside an order in force is removed at once;
- ends (``left``) the platform's live sessions whose participant is no longer in the room.

The roster is read before LiveKit is asked, so a join reported by a webhook meanwhile is never
taken for a departure. A LiveKit server that cannot be reached is logged; the next turn tries again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from livekit import api

from remit._urls import redact_urls
from remit.api import Node, enforcer_of
from remit.connectors.livekit._connector import LiveKitConnector
from remit.connectors.livekit._endpoints import (
    CONNECTOR,
    MEETING,
    PEOPLE,
    end_session,
    platform_account,
    roster_join,
    same_connection,
    sealed_of,
)
from remit.connectors.livekit._seal import Sealed
from remit.connectors.livekit._settings import DEFAULT_RECONCILE, LiveKitSettings
from remit.enforcement import Platform, Session, SessionStatus
from remit.errors import DeliveryError

log = logging.getLogger("remit.connectors.livekit")


class Reconciler:
    """The periodic task: reconciles each LiveKit platform whose turn has come. It runs as often
    as the most frequent platform asks (``interval_s``); each platform every its own
    ``reconcile_seconds``."""

    name = "livekit.reconcile"

    def __init__(self) -> None:
        self._due: dict[str, float] = {}  # platform -> time.monotonic() of its next turn
        self._interval = float(DEFAULT_RECONCILE)

    @property
    def interval_s(self) -> float:
        return self._interval

    def run(self, node: Node) -> None:
        enforcer = node.enforcer
        if enforcer is None:
            return
        connector = enforcer.connectors.get(CONNECTOR)
        if not isinstance(connector, LiveKitConnector):
            return
        periods: list[int] = []
        for platform in enforcer.store.list_platforms():
            if platform.connector != CONNECTOR:
                continue
            settings = LiveKitSettings.of(platform.settings)
            period = settings.reconcile_seconds
            if period <= 0:
                continue
            periods.append(period)
            now = time.monotonic()
            if now < self._due.get(platform.name, 0.0):
                continue
            self._due[platform.name] = now + period - min(1.0, period / 10)
            try:
                rostered, ended = reconcile(node, connector, platform, settings)
            except DeliveryError as exc:
                log.warning(
                    "platform %s: roster not reconciled: %s", platform.name, redact_urls(str(exc))
                )
            except Exception:
                log.exception("platform %s: roster not reconciled with LiveKit", platform.name)
            else:
                if rostered or ended:
                    log.info(
                        "platform %s: reconciled with LiveKit: %d rostered, %d ended",
                        platform.name,
                        rostered,
                        ended,
                    )
        self._interval = float(min(periods, default=DEFAULT_RECONCILE))


def reconcile(
    node: Node, connector: LiveKitConnector, platform: Platform, settings: LiveKitSettings
) -> tuple[int, int]:
    """Bring the platform's part of the roster in line with LiveKit's rooms now; returns how
    many people were rostered and how many sessions ended. A LiveKit failure: DeliveryError."""
    if platform_account(node, platform.name) is None:
        log.warning("platform %s has no enabled platform account: not reconciled", platform.name)
        return 0, 0
    store = enforcer_of(node).store
    # The roster first, then LiveKit: a session rostered in between is not in `before`.
    before = [s for s in store.live_sessions(resource_type=MEETING) if s.platform == platform.name]
    rooms = connector.rooms(platform, settings)
    known: dict[tuple[str, str], list[Session]] = defaultdict(list)
    for session in before:
        known[session.resource.id, session.participant].append(session)
    present: set[tuple[str, str]] = set()
    rostered = 0
    for room, people in rooms.items():
        for person in people:
            if person.kind not in PEOPLE or person.state == api.ParticipantInfo.State.DISCONNECTED:
                continue
            present.add((room, person.identity))
            sealed = sealed_of(settings, room, person) or Sealed()
            if any(same_connection(node, s, sealed) for s in known[room, person.identity]):
                continue  # on the roster already
            _, new = roster_join(node, platform.name, settings, room, person)
            rostered += new
    ended = 0
    for session in before:
        if (session.resource.id, session.participant) not in present:
            end_session(node, session, SessionStatus.LEFT)
            ended += 1
    return rostered, ended
