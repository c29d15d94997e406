"""The order lifecycle as pure functions: each takes an order and returns the next one.

Nothing here reads a clock or a database: ``now`` and ``actor`` are passed in, so every rule
(four eyes, narrowing, expiry) is testable with tables of cases. The store persists the result
with the order's ``version`` as its optimistic lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from remit import jurisdictions
from remit._checks import maybe_aware
from remit.errors import Conflict, FourEyesViolation, InvalidInput, InvalidOrder
from remit.orders._model import (
    FINAL,
    OPEN,
    Authority,
    Checklist,
    Document,
    Order,
    OrderType,
    Request,
    Status,
    Transition,
)
from remit.policy import ActiveOrder, Target

MAX_TEXT = 100_000
MAX_SHORT = 1_000
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: The scope as asked may say "everywhere"; remit records it and never enforces it.
EVERYWHERE = "*"


def _text(value: str, field: str, *, limit: int = MAX_SHORT, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit:
        need = "a string" if empty else "a non-empty string"
        raise InvalidInput(f"{field}: must be {need} of at most {limit} characters", field=field)
    return value


def record(
    *,
    id: str,
    type: OrderType,
    authority: Authority,
    legal_basis: str,
    case_id: str | None,
    received_at: datetime,
    request: Request,
    targets: Iterable[Target],
    actor: str,
    now: datetime,
    effective_from: datetime | None = None,
    effective_until: datetime | None = None,
    document: Document | None = None,
) -> Order:
    """A new order in ``received``, validated, with its first transition."""
    _text(authority.name, "authority.name")
    jurisdictions.get(authority.jurisdiction, field="authority.jurisdiction")
    _text(legal_basis, "legal_basis", limit=MAX_TEXT, empty=True)
    if case_id is not None:
        _text(case_id, "case_id")
    for name, value in (
        ("received_at", received_at),
        ("effective_from", effective_from),
        ("effective_until", effective_until),
    ):
        maybe_aware(value, name)
    if effective_from and effective_until and effective_until <= effective_from:
        raise InvalidInput("effective_until: must be after effective_from", field="effective_until")
    _text(request.text, "request.text", limit=MAX_TEXT, empty=True)
    for n, code in enumerate(request.scope):
        if code != EVERYWHERE:
            jurisdictions.get(code, field=f"request.scope[{n}]")
    if not request.scope:
        raise InvalidInput("request.scope: name at least one place, or '*'", field="request.scope")
    target_list = tuple(targets)
    if not target_list:
        raise InvalidOrder("targets: an order names at least one target", field="targets")
    if len(set(target_list)) != len(target_list):
        raise InvalidOrder("targets: a target is listed twice", field="targets")
    if document is not None and not _SHA256.fullmatch(document.sha256):
        raise InvalidInput("document.sha256: must be 64 lower-case hex digits", field="document")
    first = Transition(1, "record", None, Status.RECEIVED, actor, now, "recorded as received")
    return Order(
        id=id,
        type=OrderType(type),
        authority=replace(authority, jurisdiction=jurisdictions.get(authority.jurisdiction).code),
        legal_basis=legal_basis,
        case_id=case_id,
        received_at=received_at,
        request=request,
        targets=target_list,
        recorded_by=actor,
        status=Status.RECEIVED,
        version=1,
        effective_from=effective_from,
        effective_until=effective_until,
        document=document,
        transitions=(first,),
    )


def _step(
    order: Order,
    action: str,
    to: Status,
    actor: str,
    now: datetime,
    reason: str,
    **changes: object,
) -> Order:
    checklist = changes.pop("checklist", None)
    transition = Transition(
        sequence=len(order.transitions) + 1,
        action=action,
        from_status=order.status,
        to_status=to,
        actor=actor,
        at=now,
        reason=reason,
        checklist=checklist if isinstance(checklist, Checklist) else None,
        scope=changes.get("scope"),  # type: ignore[arg-type]
    )
    return replace(
        order,
        status=to,
        version=order.version + 1,
        transitions=(*order.transitions, transition),
        **changes,  # type: ignore[arg-type]
    )


def _require(order: Order, allowed: Iterable[Status], action: str) -> None:
    allowed = frozenset(allowed)
    if order.status not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(f"cannot {action} an order that is {order.status.value} (only when {names})")


def start_review(order: Order, *, actor: str, now: datetime, reason: str = "") -> Order:
    """``received`` -> ``in_review``."""
    _require(order, {Status.RECEIVED}, "start reviewing")
    return _step(order, "review", Status.IN_REVIEW, actor, now, reason or "review started")


def enforced_scope(order: Order, scope: Iterable[str] | None) -> tuple[str, ...]:
    """The scope approval would enforce: the authority's jurisdiction unless narrowed.

    A scope reaching outside the jurisdiction is refused with ``InvalidScope``.
    """
    codes = (order.authority.jurisdiction,) if scope is None else tuple(scope)
    jurisdictions.scope_places(codes, order.authority.jurisdiction)
    return tuple(sorted({jurisdictions.get(c).code for c in codes}))


def approve(
    order: Order,
    *,
    actor: str,
    now: datetime,
    justification: str,
    scope: Iterable[str] | None = None,
    checklist: Checklist | None = None,
) -> Order:
    """Approve an order: it takes effect now, or at ``effective_from`` when that is ahead.

    Four eyes: the approver must not be the person who recorded it.
    """
    _require(order, {Status.RECEIVED, Status.IN_REVIEW}, "approve")
    _text(justification, "justification", limit=MAX_TEXT)
    if actor == order.recorded_by:
        raise FourEyesViolation(
            f"{actor} recorded this order and cannot also approve it: a second person must"
        )
    if order.effective_until is not None and order.effective_until <= now:
        raise InvalidOrder(
            "effective_until: the order's end has passed; reject it instead",
            field="effective_until",
        )
    enforced = enforced_scope(order, scope)
    later = order.effective_from is not None and order.effective_from > now
    return _step(
        order,
        "approve",
        Status.APPROVED if later else Status.ACTIVE,
        actor,
        now,
        justification,
        scope=enforced,
        approved_by=actor,
        checklist=checklist or Checklist(),
    )


def reject(
    order: Order, *, actor: str, now: datetime, reason: str, checklist: Checklist | None = None
) -> Order:
    """Refuse the demand. It stays on record and in the transparency report."""
    _require(order, OPEN, "reject")
    _text(reason, "reason", limit=MAX_TEXT)
    return _step(
        order, "reject", Status.REJECTED, actor, now, reason, checklist=checklist or Checklist()
    )


def clarify(order: Order, *, actor: str, now: datetime, question: str) -> Order:
    """Ask the authority for clarification; the order waits."""
    _require(order, {Status.RECEIVED, Status.IN_REVIEW}, "ask for clarification on")
    _text(question, "question", limit=MAX_TEXT)
    return _step(order, "clarify", Status.CLARIFICATION_REQUESTED, actor, now, question)


def answer(order: Order, *, actor: str, now: datetime, answer: str) -> Order:
    """Record the authority's answer; review resumes."""
    _require(order, {Status.CLARIFICATION_REQUESTED}, "record an answer on")
    _text(answer, "answer", limit=MAX_TEXT)
    return _step(order, "answer", Status.IN_REVIEW, actor, now, answer)


def lift(order: Order, *, actor: str, now: datetime, reason: str) -> Order:
    """End an approved or active order before its time."""
    _require(order, {Status.APPROVED, Status.ACTIVE}, "lift")
    _text(reason, "reason", limit=MAX_TEXT)
    return _step(order, "lift", Status.LIFTED, actor, now, reason)


SYSTEM = "system"


def advance(order: Order, now: datetime) -> Order | None:
    """The change time alone makes: start at ``effective_from``, expiry at ``effective_until``.

    Returns None when nothing is due. No one has to act for an order to expire.
    """
    if order.status in FINAL:
        return None
    until, start = order.effective_until, order.effective_from
    if order.status in (Status.APPROVED, Status.ACTIVE) and until is not None and until <= now:
        return _step(order, "expire", Status.EXPIRED, SYSTEM, now, "effective_until reached")
    if order.status is Status.APPROVED and (start is None or start <= now):
        return _step(order, "activate", Status.ACTIVE, SYSTEM, now, "effective_from reached")
    return None


def next_change(order: Order) -> datetime | None:
    """When :func:`advance` will next have something to do for this order, if ever."""
    if order.status is Status.APPROVED:
        return order.effective_from
    if order.status is Status.ACTIVE:
        return order.effective_until
    return None


def to_active(order: Order) -> ActiveOrder:
    """The decision engine's view of an order in force."""
    if not order.in_force or order.scope is None:
        raise Conflict(f"order {order.id} is {order.status.value}, not active")
    return ActiveOrder(
        order.id,
        order.authority.jurisdiction,
        frozenset(order.scope),
        order.targets,
        exempt=frozenset(order.exempt),
        exempt_on=frozenset(order.exempt_on),
    )
