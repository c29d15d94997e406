"""Appeals, as steps of the order's lifecycle: filed by or for an affected person, decided by a
reviewer who is not the one who approved the order. A reversal releases one person (they may
rejoin) or lifts the order entirely. Each step is a transition: who, when and why, never edited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from remit.errors import Conflict, FourEyesViolation, InvalidInput, NotFound
from remit.orders._lifecycle import _require, _step, _text
from remit.orders._model import Appeal, AppealStatus, Order, Status

APPELLANT_KINDS = frozenset({"participant", "host"})
REMEDIES = frozenset({"person", "order"})


def file_appeal(
    order: Order,
    *,
    appeal_id: str,
    appellant_kind: str,
    appellant: str,
    reason: str,
    actor: str,
    now: datetime,
    platform: str | None = None,
) -> Order:
    """Record an appeal against an approved or active order, for a participant or host of
    ``platform`` (None: of no one platform)."""
    _require(order, {Status.APPROVED, Status.ACTIVE}, "appeal")
    if appellant_kind not in APPELLANT_KINDS:
        raise InvalidInput("appellant.kind: must be participant or host", field="appellant.kind")
    _text(appellant, "appellant.id")
    _text(reason, "reason", limit=100_000)
    appeal = Appeal(appeal_id, appellant_kind, appellant, reason, actor, now, platform=platform)
    changed = _step(order, "appeal", order.status, actor, now, f"appeal {appeal_id} filed")
    return replace(changed, appeals=(*order.appeals, appeal))


def find_appeal(order: Order, appeal_id: str) -> Appeal:
    """The appeal with this id on the order, or ``NotFound``."""
    for appeal in order.appeals:
        if appeal.id == appeal_id:
            return appeal
    raise NotFound(f"no appeal {appeal_id} on order {order.id}")


def decide_appeal(
    order: Order,
    *,
    appeal_id: str,
    outcome: AppealStatus,
    reason: str,
    actor: str,
    now: datetime,
    remedy: str = "person",
) -> Order:
    """Uphold or reverse an appeal. The order's approver may not decide on it (four eyes).

    Reversed with remedy ``person``: the appellant is exempt from the order from now on, on the
    appeal's platform (on every platform when the appeal names none).
    Reversed with remedy ``order``: the order is lifted for everyone.
    """
    appeal = find_appeal(order, appeal_id)
    if appeal.status is not AppealStatus.FILED:
        raise Conflict(f"appeal {appeal_id} was already decided ({appeal.status.value})")
    if outcome not in (AppealStatus.UPHELD, AppealStatus.REVERSED):
        raise InvalidInput("outcome: must be upheld or reversed", field="outcome")
    if remedy not in REMEDIES:
        raise InvalidInput("remedy: must be person or order", field="remedy")
    _text(reason, "reason", limit=100_000)
    if actor == order.approved_by:
        raise FourEyesViolation(
            f"{actor} approved this order and cannot also decide an appeal against it"
        )
    if outcome is AppealStatus.REVERSED and order.status not in (Status.APPROVED, Status.ACTIVE):
        raise Conflict(f"order {order.id} is {order.status.value}: nothing left to release")
    decided = replace(
        appeal,
        status=outcome,
        remedy=remedy if outcome is AppealStatus.REVERSED else None,
        decided_by=actor,
        decided_at=now,
        decision=reason,
    )
    appeals = tuple(decided if a.id == appeal_id else a for a in order.appeals)
    if outcome is AppealStatus.UPHELD:
        changed = _step(order, "appeal_upheld", order.status, actor, now, reason)
        return replace(changed, appeals=appeals)
    if remedy == "order":
        changed = _step(order, "appeal_reversed", Status.LIFTED, actor, now, reason)
        return replace(changed, appeals=appeals)
    changed = _step(order, "appeal_reversed", order.status, actor, now, reason)
    if appeal.platform is not None:
        pair = (appeal.platform, appeal.appellant)
        return replace(
            changed, appeals=appeals, exempt_on=tuple(dict.fromkeys((*order.exempt_on, pair)))
        )
    exempt = tuple(dict.fromkeys((*order.exempt, appeal.appellant)))
    return replace(changed, appeals=appeals, exempt=exempt)
