"""Appeals over HTTP: filed for an affected person, decided by a reviewer other than the approver.

A reversal releases one person from the order (or lifts it for everyone), and each platform that
removed them gets a ``participant.readmit`` command: they may rejoin. Outcomes go to the public log
without naming anyone.

An appeal is bound to a platform: ids of two platforms are unrelated, so a platform files appeals
only for its own people (a participant it removed or refused for the order, a host it told of a
removal; anyone else is ``404``), and a reversal releases and readmits the appellant on that
platform only. Staff (intake) may name the platform, or none: then the id is released on every
platform.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit import orders
from remit.api._auth import INTAKE, PLATFORM, READ, REVIEWER
from remit.api._endpoint import Call, Endpoint, json_response
from remit.api._node import Node
from remit.api._schemas import Id, Reason
from remit.enforcement import HOST_NOTICE, REFUSED, REMOVE, Command, EnforcementStore
from remit.errors import InvalidInput, NotFound
from remit.orders import Appeal, AppealStatus, Order, Status
from remit.policy import ANY_PLATFORM, HOST
from remit.store import Role

SEPARATOR = "-appeal-"
APPEALABLE = [Status.APPROVED, Status.ACTIVE, Status.LIFTED, Status.EXPIRED]
#: The most commands of one order on one platform read to find a refusal or a host notice.
AFFECTED_READ = 100_000


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class AppellantIn(_In):
    kind: Literal["participant", "host"]
    id: Id


class AppealIn(_In):
    """An affected person appeals an order. ``platform`` is the platform they are on: a
    platform's own account files for its own people and may leave it out (it is the caller);
    staff name it, or leave it out to release the id on every platform."""

    order_id: Id
    appellant: AppellantIn
    reason: Reason
    platform: Id | None = None


class DecideIn(_In):
    """A reviewer's decision: ``reversed`` grants the appeal, ``upheld`` keeps the order."""

    outcome: Literal["upheld", "reversed"]
    reason: Reason
    remedy: Literal["person", "order"] = "person"


class EvidenceOut(msgspec.Struct, frozen=True):
    """What one location source said of the participant's address, and its data's date."""

    source: str
    country: str | None
    subdivision: str | None
    data_date: str | None


class RemovalOut(msgspec.Struct, frozen=True):
    """Where the appellant was removed: the meeting, the place remit acted on, and the location
    it used with what placed them (null once the retention purge has taken the session)."""

    platform: str
    resource_type: str
    resource_id: str
    host: str | None
    place: str
    removed_at: datetime
    country: str | None
    subdivision: str | None
    source: str | None
    evidence: list[EvidenceOut]
    dispute: str | None
    readmitted: bool


class AppealOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    order_id: str
    appellant_kind: str
    appellant: str
    #: The appellant's reason, as filed.
    reason: str
    status: str
    remedy: str | None
    filed_at: datetime
    decided_at: datetime | None
    #: Who decided, and their reason (null while filed).
    decided_by: str | None = None
    decision: str | None = None
    #: Readmissions of the appellant (or of everyone, when the whole order was lifted).
    readmitted: int = 0
    #: The order appealed: its case number, authority and who approved it (who may not decide).
    case_id: str | None = None
    authority: str = ""
    authority_kind: str = ""
    jurisdiction: str = ""
    approved_by: str | None = None
    #: Each removal of the appellant under the order.
    removals: list[RemovalOut] = msgspec.field(default_factory=list)
    #: The platform the appellant is on; None: every platform.
    platform: str | None = None


class AppealListOut(msgspec.Struct, frozen=True):
    appeals: list[AppealOut]


def _removals(node: Node, order: Order, a: Appeal) -> tuple[list[RemovalOut], int]:
    """The appellant's removals under ``order`` with their locations, and how many
    readmissions the appeal's decision made (all of the order's, for the remedy ``order``)."""
    enforcer = node.enforcer
    if enforcer is None:
        return [], 0
    store = enforcer.store
    found: list[RemovalOut] = []
    readmitted, after = 0, None
    while True:
        page = store.removals_of(order.id, after=after, limit=500)
        for c in page:
            person = c.data.get("participant")
            theirs = (
                isinstance(person, dict)
                and person.get("id") == a.appellant
                and a.platform in (None, c.platform)
            )
            if not theirs and a.remedy != "order":
                continue
            try:
                store.get_command(f"readmit/{order.id}/{c.session_id}")
                back = True
            except NotFound:
                back = False
            readmitted += back
            if theirs:
                found.append(_removal(store, c, back))
        if len(page) < 500:
            break
        after = page[-1].key
    return found, readmitted


def _removal(store: EnforcementStore, c: Command, back: bool) -> RemovalOut:
    given = c.data.get("resource")
    resource: dict[str, object] = given if isinstance(given, dict) else {}
    try:
        location = store.get_session(str(c.session_id)).location if c.session_id else None
    except NotFound:  # purged after the retention limit
        location = None
    evidence = [
        EvidenceOut(e.source, e.country, e.subdivision, e.data_date)
        for e in (location.evidence if location else ())
    ]
    return RemovalOut(
        platform=c.platform,
        resource_type=str(resource.get("type", "")),
        resource_id=str(resource.get("id", "")),
        host=None if resource.get("host") is None else str(resource.get("host")),
        place=str(c.data.get("place", "")),
        removed_at=c.created_at,
        country=location.country if location else None,
        subdivision=location.subdivision if location else None,
        source=location.source if location else None,
        evidence=evidence,
        dispute=location.dispute if location else None,
        readmitted=back,
    )


def _out(node: Node, order: Order, a: Appeal) -> AppealOut:
    removals, readmitted = _removals(node, order, a)
    return AppealOut(
        id=a.id,
        order_id=order.id,
        appellant_kind=a.appellant_kind,
        appellant=a.appellant,
        reason=a.reason,
        status=a.status.value,
        remedy=a.remedy,
        filed_at=a.filed_at,
        decided_at=a.decided_at,
        decided_by=a.decided_by,
        decision=a.decision,
        readmitted=readmitted if a.status is AppealStatus.REVERSED else 0,
        case_id=order.case_id,
        authority=order.authority.name,
        authority_kind=order.authority.kind.value,
        jurisdiction=order.authority.jurisdiction,
        approved_by=order.approved_by,
        removals=removals,
        platform=a.platform,
    )


def _names(command: Command, kind: str, who: str) -> bool:
    data = command.data
    if kind == "host":
        return command.type == HOST_NOTICE and data.get("host", {}).get("id") == who
    return command.type in (REMOVE, REFUSED) and data.get("participant", {}).get("id") == who


def affected_on(node: Node, order_id: str, platform: str, kind: str, who: str) -> bool:
    """Whether the order reaches ``who`` (a participant or host) on ``platform``: it targets
    them as a host there (or on every platform), or a removal or a refusal of them, or a host
    notice to them, is in the outbox (as long as it names them: the retention limit)."""
    order = node.store.get_order(order_id)
    if kind == "host" and any(
        t.type == HOST and t.id == who and t.platform in (ANY_PLATFORM, platform)
        for t in order.targets
    ):
        return True
    enforcer = node.enforcer
    if enforcer is None:
        return False
    store, after = enforcer.store, None
    while kind == "participant":
        page = store.removals_of(order_id, after=after, limit=1000)
        if any(c.platform == platform and _names(c, kind, who) for c in page):
            return True
        if len(page) < 1000:
            break
        after = page[-1].key
    others = store.list_commands(order_id=order_id, platform=platform, limit=AFFECTED_READ)
    return any(_names(c, kind, who) for c in others)


def _platform_of(call: Call, body: AppealIn) -> str | None:
    """The platform an appeal is for: the caller's own, when a platform files it (which must
    have affected the appellant, else 404); the one staff named, or None."""
    user = call.user
    if user is None or not user.roles.isdisjoint({Role.INTAKE, Role.ADMIN}):
        return body.platform
    if body.platform is not None and body.platform != call.actor:
        raise NotFound(f"platform {call.actor} may appeal only for its own participants")
    kind, who = body.appellant.kind, body.appellant.id
    if not affected_on(call.node, body.order_id, call.actor, kind, who):
        raise NotFound(f"order {body.order_id} affected no {kind} {who} of platform {call.actor}")
    return call.actor


async def file(call: Call) -> Response:
    body = await call.body(AppealIn)
    platform = await run_in_threadpool(_platform_of, call, body)
    holder: dict[str, str] = {}

    def step(order: Order, now: datetime) -> Order:
        appeal_id = f"{order.id}{SEPARATOR}{len(order.appeals) + 1}"
        holder["id"] = appeal_id
        return orders.file_appeal(
            order, appeal_id=appeal_id, appellant_kind=body.appellant.kind,
            appellant=body.appellant.id, reason=body.reason, actor=call.actor, now=now,
            platform=platform,
        )  # fmt: skip

    order = await run_in_threadpool(call.node.act, body.order_id, step)
    appeal = orders.find_appeal(order, holder["id"])
    log = call.node.log
    if log is not None:
        await run_in_threadpool(
            lambda: log.append_appeal_outcome(
                order.id, "filed", order.scope or (), appeal_id=appeal.id
            )
        )
    out = await run_in_threadpool(_out, call.node, order, appeal)
    return json_response(out, 201, {"Location": f"/v1/appeals/{appeal.id}"})


def _order_of(appeal_id: str) -> str:
    order_id, sep, _ = appeal_id.rpartition(SEPARATOR)
    if not sep:
        raise NotFound(f"no appeal {appeal_id}")
    return order_id


def decide_appeal(node: Node, appeal_id: str, body: DecideIn, actor: str) -> AppealOut:
    """Decide an appeal by ``actor`` (not the order's approver): a reversal readmits the person
    (or everyone), and the outcome goes to the public log. The API and the console both decide
    appeals through this."""
    outcome = AppealStatus(body.outcome)

    def step(order: Order, now: datetime) -> Order:
        return orders.decide_appeal(
            order, appeal_id=appeal_id, outcome=outcome, reason=body.reason,
            actor=actor, now=now, remedy=body.remedy,
        )  # fmt: skip

    order = node.act(_order_of(appeal_id), step)
    appeal = orders.find_appeal(order, appeal_id)
    enforcer = node.enforcer
    if outcome is AppealStatus.REVERSED and enforcer is not None:
        people = None if body.remedy == "order" else {appeal.appellant}
        enforcer.readmit(order, people, appeal.platform)
    log = node.log
    if log is not None:
        log.append_appeal_outcome(order.id, outcome.value, order.scope or (), appeal_id=appeal.id)
    return _out(node, order, appeal)


async def decide(call: Call) -> Response:
    body = await call.body(DecideIn)
    out = await run_in_threadpool(decide_appeal, call.node, call.params["id"], body, call.actor)
    return json_response(out)


def appeals_of(node: Node, status: str | None = None) -> list[AppealOut]:
    """Appeals, oldest first, only those in ``status`` when given."""
    if status is not None and status not in {s.value for s in AppealStatus}:
        raise InvalidInput(f"status: {status!r} is not an appeal status", field="status")
    found = node.store.orders_in(APPEALABLE)
    out = [
        _out(node, o, a)
        for o in found
        for a in o.appeals
        if status is None or a.status.value == status
    ]
    return sorted(out, key=lambda a: a.filed_at)


async def list_appeals(call: Call) -> Response:
    status = call.request.query_params.get("status")
    return json_response(AppealListOut(await run_in_threadpool(appeals_of, call.node, status)))


APPEAL_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST", "/v1/appeals", file, "An affected participant or host appeals an order",
        PLATFORM | INTAKE, AppealIn, AppealOut, 201, audit=True,
        problems=("not-found", "conflict"),
    ),
    Endpoint(
        "GET", "/v1/appeals", list_appeals, "Appeals, oldest first",
        READ, response=AppealListOut,
        query=(("status", "string", "Only appeals in this status: filed, upheld, reversed"),),
    ),
    Endpoint(
        "POST", "/v1/appeals/{id}/decide", decide,
        "Decide an appeal (not by the order's approver); a reversal lets the person rejoin",
        REVIEWER, DecideIn, AppealOut, audit=True,
    ),
)  # fmt: skip

__all__ = [
    "APPEAL_ENDPOINTS",
    "AppealOut",
    "DecideIn",
    "EvidenceOut",
    "RemovalOut",
    "appeals_of",
    "decide_appeal",
]
