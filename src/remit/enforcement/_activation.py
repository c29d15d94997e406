"""Who must go when an order takes effect: pure planning from the roster to commands.

Activation decides each live session with the same engine as admissions, on an index holding
just the order being activated, so a session is removed exactly when its participant would now
be refused at the door: the order targets its resource (or the resource's host), and the
participant's known location lies inside the order's scope (invariant 1 of docs/design.md).
Every removal carries the participant's notice, and every affected meeting with a host gets one
host notice. When an appeal is reversed, each removal it reaches is answered by a readmission.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from remit import jurisdictions
from remit.enforcement._commands import (
    HostNoticeData,
    NoticeData,
    Payload,
    PersonRef,
    ReadmitData,
    RefusalNotice,
    RefusedData,
    RemoveData,
    ResourceRef,
    command_data,
    payload,
)
from remit.enforcement._model import Command, CommandStatus, CommandType, Session
from remit.enforcement.notices import Notice, host_notice, participant_notice
from remit.location import Location
from remit.orders import Order
from remit.policy import ANY_PLATFORM, HOST, ActiveOrder, PolicyIndex, Resource

REMOVE = CommandType.REMOVE
REFUSED = CommandType.REFUSED
HOST_NOTICE = CommandType.HOST_NOTICE
READMIT = CommandType.READMIT


@dataclass(frozen=True)
class Delivery:
    """When commands are made, and how long they may take to be delivered."""

    now: datetime
    ttl: timedelta
    appeal_url: str


def resource_json(resource: Resource) -> dict[str, Any]:
    """A resource as commands carry it."""
    return command_data(_resource(resource))


def _resource(resource: Resource) -> ResourceRef:
    return ResourceRef(resource.type, resource.id, resource.host)


def _notice(notice: Notice) -> NoticeData:
    return NoticeData(
        notice.kind, notice.language, notice.direction, notice.title, notice.body,
        notice.order_id, notice.appeal_url, notice.meeting_id,
    )  # fmt: skip


def targets_of(order: ActiveOrder) -> tuple[list[str], list[str]]:
    """The resource ids and the host ids an order names, for reading the roster."""
    resources = [t.id for t in order.targets if t.type != HOST]
    hosts = [t.id for t in order.targets if t.type == HOST]
    return resources, hosts


def targeted(active: ActiveOrder, session: Session) -> bool:
    """Whether one of the order's targets names the session's resource (or its host) on the
    session's platform (or on every platform)."""
    r = session.resource
    return any(
        t.platform in (ANY_PLATFORM, session.platform)
        and ((t.type == HOST and t.id == r.host) or (t.type == r.type and t.id == r.id))
        for t in active.targets
    )


def must_go(active: ActiveOrder, sessions: Iterable[Session]) -> list[Session]:
    """The sessions the order reaches: decided as a join would be, on this order alone."""
    index = PolicyIndex.compile([active])
    return [
        s
        for s in sessions
        if active.id
        in index.decide(s.location, s.resource, s.participant, platform=s.platform).orders
    ]


def place_in_scope(location: Location, scope: tuple[str, ...]) -> str:
    """The most specific place of ``location`` that the scope holds (a subdivision or country)."""
    sub = location.subdivision
    if sub is not None and any(jurisdictions.covers(code, sub) for code in scope):
        return sub
    assert location.country is not None
    return location.country


#: Participants' notices of one order, with the place each names: by location and language. One
#: activation builds each once (every participant removed in one place in one language gets the
#: same notice), and each command gets its own copy of it as data.
NoticeCache = dict[tuple[Location, str | None], tuple[str, NoticeData]]


def removal(
    order: Order, session: Session, delivery: Delivery, notices: NoticeCache | None = None
) -> Command:
    """The command removing one session, with the participant's notice.

    ``notices`` memoises the notices of ``order`` across the removals of one activation.
    """
    assert order.scope is not None
    key = (session.location, session.language)
    found = None if notices is None else notices.get(key)
    if found is None:
        place = place_in_scope(session.location, order.scope)
        notice = participant_notice(
            order,
            place,
            order.scope,
            session.language,
            "removed",
            delivery.appeal_url,
            location=session.location,
        )
        found = (place, _notice(notice))
        if notices is not None:
            notices[key] = found
    place, notice_data = found
    data = RemoveData(
        session.id,
        _resource(session.resource),
        PersonRef(session.participant),
        order.id,
        notice_data,
        place,
    )
    return _pending(f"remove/{order.id}/{session.id}", session.platform, REMOVE, data, order.id,
                    session.id, delivery)  # fmt: skip


def _pending(
    key: str,
    platform: str,
    kind: CommandType,
    data: Payload,
    order_id: str,
    session_id: str | None,
    delivery: Delivery,
) -> Command:
    """A command to deliver from now until ``delivery.ttl`` from now."""
    return Command(
        key=key,
        platform=platform,
        type=kind,
        data=command_data(data),
        order_id=order_id,
        session_id=session_id,
        status=CommandStatus.PENDING,
        created_at=delivery.now,
        next_attempt_at=delivery.now,
        deadline=delivery.now + delivery.ttl,
    )


def readmission(removal: Command, delivery: Delivery) -> Command | None:
    """The command that lets the person a removal removed back in (an appeal released them):
    one per removed session. None when the removal names no one any more (its personal data
    was purged past the retention limit): there is no one to readmit."""
    if removal.type != REMOVE or "participant" not in removal.data:
        return None
    removed = payload(removal)
    assert isinstance(removed, RemoveData)
    data = ReadmitData(removed.session_id, removed.resource, removed.participant, removal.order_id)
    return _pending(f"readmit/{removal.order_id}/{removal.session_id}", removal.platform, READMIT,
                    data, removal.order_id, removal.session_id, delivery)  # fmt: skip


def readmissions(
    removals: Iterable[Command], people: Collection[str] | None, delivery: Delivery
) -> list[Command]:
    """A readmission for each of ``removals`` that removed one of ``people`` (everyone: None)."""
    found = []
    for removed in removals:
        command = readmission(removed, delivery)
        if command is not None and (people is None or command.data["participant"]["id"] in people):
            found.append(command)
    return found


def host_notices(order: Order, removed: Iterable[Session], delivery: Delivery) -> list[Command]:
    """One notice per affected meeting with a host: counts by country, account untouched."""
    by_meeting: dict[tuple[str, Resource], Counter[str]] = {}
    for session in removed:
        if session.resource.host is not None and session.location.country is not None:
            key = (session.platform, session.resource)
            by_meeting.setdefault(key, Counter())[session.location.country] += 1
    commands = []
    for (platform, resource), counts in sorted(by_meeting.items(), key=lambda kv: kv[0][1].id):
        notice = host_notice(order, resource.id, dict(counts), None, delivery.appeal_url)
        assert resource.host is not None
        data = HostNoticeData(
            _resource(resource),
            PersonRef(resource.host),
            order.id,
            dict(sorted(counts.items())),
            _notice(notice),
        )
        notice_key = f"host/{order.id}/{platform}/{resource.type}/{resource.id}"
        commands.append(_pending(notice_key, platform, HOST_NOTICE, data, order.id, None, delivery))
    return commands


def plan(
    order: Order, active: ActiveOrder, sessions: Iterable[Session], delivery: Delivery
) -> list[Command]:
    """Every command an order's activation needs, given the live sessions it may reach."""
    removed = must_go(active, sessions)
    notices: NoticeCache = {}
    commands = [removal(order, s, delivery, notices) for s in removed]
    return commands + host_notices(order, removed, delivery)


def refusal(
    order: Order, session: Session, place: str, notice: dict[str, Any], now: datetime
) -> Command:
    """The record of a refused join: its notice went out in the 451 answer, so it is delivered.

    One per participant, resource, order and day: refused retries are one refusal.
    """
    r = session.resource
    data = RefusedData(
        _resource(r),
        PersonRef(session.participant),
        order.id,
        place,
        msgspec.convert(notice, RefusalNotice),
    )
    return Command(
        key=f"refused/{order.id}/{now.date().isoformat()}/{session.platform}/{session.participant}"
        f"/{r.type}/{r.id}",
        platform=session.platform,
        type=REFUSED,
        data=command_data(data),
        order_id=order.id,
        session_id=None,
        status=CommandStatus.DELIVERED,
        created_at=now,
        next_attempt_at=now,
        deadline=now,
        delivered_at=now,
    )


def daily_counts(commands: Iterable[Command]) -> dict[str, dict[str, dict[str, int]]]:
    """Removals and refusals by order, then place, with no one named: what the log publishes."""
    names = {REMOVE: "removed", REFUSED: "refused"}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for c in commands:
        name, place = names.get(c.type), c.data.get("place")
        if name is None or not isinstance(place, str):
            continue
        by_name = counts.setdefault(c.order_id, {}).setdefault(place, {})
        by_name[name] = by_name.get(name, 0) + 1
    return counts
