"""The impact preview: what a demand as asked would hit, beside what remit's plan hits, over
the last month's attendance. The API's ``GET /v1/orders/{id}/impact`` and the console's order
page both show it.

The attendance is the live sessions with their participants, and the counts of the sessions that
ended (:mod:`remit.enforcement._attendance`): an ended session names no one, so each one counted
is a participant of its own, as it always was past the retention limit.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit import jurisdictions, orders
from remit.api._auth import READ
from remit.api._endpoint import Call, Endpoint, enforcer_of, json_response
from remit.api._node import Node
from remit.api._schemas import TargetOut
from remit.enforcement import (
    PURGED_PARTICIPANT,
    Attendance,
    Session,
    SessionStatus,
    must_go,
    targeted,
    targets_of,
)
from remit.orders import EVERYWHERE
from remit.policy import (
    ANY_PLATFORM,
    HOST,
    UNKNOWN_LOCATION,
    ActiveOrder,
    PolicyIndex,
    Target,
)

ATTENDANCE = timedelta(days=30)

#: Why a participant of the targeted meetings is left alone by the plan, most telling first:
#: the sources that answered placed them differently; nothing placed them; they are placed in a
#: country only, where the scope names a part of it; they are placed outside the scope.
CAUSES = ("sources_disagree", "location_unknown", "country_only", "outside_scope")


class ReachOut(msgspec.Struct, frozen=True):
    scope: list[str]
    participants: int
    by_country: dict[str, int]
    meetings: int
    accounts: int


class CauseOut(msgspec.Struct, frozen=True):
    #: sources_disagree, location_unknown, country_only or outside_scope.
    cause: str
    participants: int
    #: By the country each was placed in (``unknown`` when none).
    by_country: dict[str, int]


class ImpactOut(msgspec.Struct, frozen=True):
    order_id: str
    status: str
    #: Every action the demand asked for, as asked.
    actions_asked: list[str]
    #: The targets, each on its platform or on every platform (``*``).
    targets: list[TargetOut]
    as_asked: ReachOut
    planned: ReachOut
    outside_scope: int
    attendance_since: Any
    #: The planned removals by what placed each participant: agree (every IP source that
    #: answered agreed), static, phone, or one source's name (rule first).
    planned_by_source: dict[str, int]
    #: Participants of the targeted meetings the scope would have reached on a place some IP
    #: source gave, left alone because the sources disagreed (or too few answered).
    left_alone_disputed: int
    #: Every participant of the targeted meetings the plan leaves alone, by why (in the order of
    #: :data:`CAUSES`; a cause with none is left out): what explains each zero and shortfall.
    left_alone: list[CauseOut] = msgspec.field(default_factory=list)


def _inside(codes: list[str], session: Session) -> bool:
    places = [p for p in (session.location.subdivision, session.location.country) if p]
    return any(
        jurisdictions.covers(code, place)
        for code in codes
        if jurisdictions.is_known(code)
        for place in places
    )


class _Seen:
    """The attendance read: live sessions, and a session standing for each count (by identity:
    a platform's session ids could be anything) with how many it stands for."""

    def __init__(self, live: list[Session], counts: list[Attendance]) -> None:
        self.sessions = list(live)
        self._weight: dict[int, int] = {}
        for n, a in enumerate(counts):
            at = datetime.combine(a.day, time.min, tzinfo=UTC)
            stand_in = Session(
                f"counted/{n}", a.platform, a.resource, PURGED_PARTICIPANT, a.location, at,
                status=SessionStatus.LEFT, ended_at=at,
            )  # fmt: skip
            self.sessions.append(stand_in)
            self._weight[id(stand_in)] = a.count

    def weight(self, session: Session) -> int:
        return self._weight.get(id(session), 1)

    def counted(self, session: Session) -> bool:
        return id(session) in self._weight

    def total(self, sessions: list[Session]) -> int:
        return sum(self.weight(s) for s in sessions)


def _reach(seen: _Seen, sessions: list[Session], scope: list[str], accounts: int) -> ReachOut:
    people: dict[str, str] = {}
    by_country: Counter[str] = Counter()
    for s in sessions:
        country = s.location.country or "unknown"
        if seen.counted(s):  # an ended session names no one: each is a participant of its own
            by_country[country] += seen.weight(s)
            continue
        who = s.participant if s.participant != PURGED_PARTICIPANT else f"purged/{s.id}"
        people.setdefault(f"{s.platform}/{who}", country)
    by_country.update(people.values())
    return ReachOut(
        scope=scope,
        participants=sum(by_country.values()),
        by_country=dict(sorted(by_country.items())),
        meetings=len({(s.platform, s.resource) for s in sessions}),
        accounts=accounts,
    )


def _accounts(targets: tuple[Target, ...], seen: list[Session]) -> set[tuple[str, str]]:
    """The accounts a demand to act on accounts would hit, each on its platform: the hosts of
    the meetings attended, and the hosts it names (one on every platform counts once where it
    was not seen)."""
    found = {(s.platform, s.resource.host) for s in seen if s.resource.host is not None}
    hosts_seen = {host for _, host in found}
    for t in targets:
        if t.type == HOST and (t.platform != ANY_PLATFORM or t.id not in hosts_seen):
            found.add((t.platform, t.id))
    return found


def _person(s: Session) -> str:
    who = s.participant if s.participant != PURGED_PARTICIPANT else f"purged/{s.id}"
    return f"{s.platform}/{who}"


def _country_only(scope: list[str], country: str) -> bool:
    """Whether the scope names a part of ``country`` (and not all of it): a participant placed
    in the country without a subdivision cannot be placed inside it."""
    return any(
        code != country and jurisdictions.is_known(code) and jurisdictions.covers(country, code)
        for code in scope
    )


def _cause(index: PolicyIndex, order_id: str, scope: list[str], s: Session) -> str:
    decision = index.decide(s.location, s.resource, s.participant, platform=s.platform)
    reasons = {k.reason for k in decision.skipped if k.order == order_id}
    if s.location.dispute is not None and reasons - {UNKNOWN_LOCATION}:
        return "sources_disagree"
    if s.location.country is None:
        return "sources_disagree" if s.location.dispute is not None else "location_unknown"
    if s.location.subdivision is None and _country_only(scope, s.location.country):
        return "country_only"
    return "outside_scope"


def _left_alone(
    index: PolicyIndex,
    order_id: str,
    scope: list[str],
    attended: _Seen,
    seen: list[Session],
    planned: list[Session],
) -> list[CauseOut]:
    """Each participant of ``seen`` the plan does not reach, by cause; a count of ended
    sessions stands for as many participants as it counts."""
    reached = {_person(s) for s in planned}
    causes: dict[str, tuple[str, str, int]] = {}
    for s in seen:
        who = _person(s)
        if who not in reached and who not in causes:
            cause = _cause(index, order_id, scope, s)
            causes[who] = (cause, s.location.country or "unknown", attended.weight(s))
    out = []
    for cause in CAUSES:
        places: Counter[str] = Counter()
        for c, country, weight in causes.values():
            if c == cause:
                places[country] += weight
        if places:
            out.append(CauseOut(cause, sum(places.values()), dict(sorted(places.items()))))
    return out


def impact_of(node: Node, order_id: str, narrower: str | None = None) -> ImpactOut:
    """What the demand as asked would hit, beside what remit's plan hits (recent attendance).

    ``narrower`` previews a narrower scope (comma-separated codes). The API's impact preview
    and the console's order page both show this.
    """
    order = node.store.get_order(order_id)
    scope = order.scope or orders.enforced_scope(order, narrower.split(",") if narrower else None)
    active = ActiveOrder(order.id, order.authority.jurisdiction, frozenset(scope), order.targets)
    resources, hosts = targets_of(active)
    since = node.clock() - ATTENDANCE
    store = enforcer_of(node).store
    live = store.live_sessions(resource_ids=resources, hosts=hosts) if resources or hosts else []
    attended = _Seen(live, store.attendance_of(resources, hosts, since))
    seen = [s for s in attended.sessions if targeted(active, s)]
    asked = list(order.request.scope)
    hit_as_asked = seen if EVERYWHERE in asked else [s for s in seen if _inside(asked, s)]
    accounts = 0
    if order.request.asks_account_action:
        accounts = len(_accounts(order.targets, seen))
    planned = must_go(active, seen)
    outside = [s for s in planned if not _inside([order.authority.jurisdiction], s)]
    index = PolicyIndex.compile([active])
    disputed = [
        s
        for s in seen
        if s.location.dispute is not None
        and any(
            k.order == active.id and k.reason == s.location.dispute
            for k in index.decide(
                s.location, s.resource, s.participant, platform=s.platform
            ).skipped
        )
    ]
    by_source: Counter[str] = Counter()
    for s in planned:
        by_source[s.location.source] += attended.weight(s)
    return ImpactOut(
        order_id=order.id,
        status=order.status.value,
        actions_asked=[action.value for action in order.request.actions],
        targets=[TargetOut(t.type, t.id, t.platform) for t in order.targets],
        as_asked=_reach(attended, hit_as_asked, asked, accounts),
        planned=_reach(attended, planned, list(scope), 0),
        outside_scope=attended.total(outside),
        attendance_since=since,
        planned_by_source=dict(sorted(by_source.items())),
        left_alone_disputed=attended.total(disputed),
        left_alone=_left_alone(index, active.id, list(scope), attended, seen, planned),
    )


async def impact(call: Call) -> Response:
    narrower = call.request.query_params.get("scope")
    return json_response(await run_in_threadpool(impact_of, call.node, call.params["id"], narrower))


IMPACT_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", "/v1/orders/{id}/impact", impact,
        "What the demand as asked would hit, beside what remit's plan hits", READ,
        response=ImpactOut,
        query=(("scope", "string", "Preview a narrower scope (comma-separated codes)"),),
    ),
)  # fmt: skip
