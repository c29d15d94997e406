"""Rows to domain values and back: the boundary ORM rows never cross."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

from remit.orders import (
    Appeal,
    AppealStatus,
    Authority,
    AuthorityKind,
    Checklist,
    Document,
    Order,
    OrderType,
    Request,
    RequestedAction,
    Status,
    Transition,
)
from remit.policy import ANY_PLATFORM, Target
from remit.store._interface import AuditEntry, Role, User
from remit.store._sql_models import AuditRow, OrderRow, TransitionRow, UserRow

_T = TypeVar("_T")


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse_when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _codes(value: tuple[str, ...] | None) -> list[str] | None:
    return None if value is None else list(value)


def _tuple(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def order_data(order: Order) -> dict[str, Any]:
    """The fields of an order that are not columns of ``orders``, as JSON."""
    return {
        "type": order.type.value,
        "authority": {
            "name": order.authority.name,
            "kind": order.authority.kind.value,
            "jurisdiction": order.authority.jurisdiction,
        },
        "legal_basis": order.legal_basis,
        "case_id": order.case_id,
        "request": {
            "text": order.request.text,
            "actions": [action.value for action in order.request.actions],
            "scope": list(order.request.scope),
        },
        "targets": [{"type": t.type, "id": t.id, "platform": t.platform} for t in order.targets],
        "recorded_by": order.recorded_by,
        "effective_from": _when(order.effective_from),
        "effective_until": _when(order.effective_until),
        "document": None if order.document is None else asdict(order.document),
        "scope": _codes(order.scope),
        "approved_by": order.approved_by,
        "appeals": [
            {**asdict(a), "filed_at": _when(a.filed_at), "decided_at": _when(a.decided_at)}
            for a in order.appeals
        ],
        "exempt": list(order.exempt),
        "exempt_on": [list(pair) for pair in order.exempt_on],
    }


def order_columns(order: Order) -> dict[str, Any]:
    """The values of ``orders``' columns that come from the order itself."""
    return {
        "status": order.status.value,
        "jurisdiction": order.authority.jurisdiction,
        "version": order.version,
        "received_at": order.received_at,
        "data": order_data(order),
    }


def transition_row(order_id: str, step: Transition) -> TransitionRow:
    return TransitionRow(
        order_id=order_id,
        sequence=step.sequence,
        action=step.action,
        from_status=None if step.from_status is None else step.from_status.value,
        to_status=step.to_status.value,
        actor=step.actor,
        at=step.at,
        reason=step.reason,
        checklist=None if step.checklist is None else asdict(step.checklist),
        scope=_codes(step.scope),
    )


def transition(row: TransitionRow) -> Transition:
    return transition_of(
        row.sequence,
        row.action,
        row.from_status,
        row.to_status,
        row.actor,
        row.at,
        row.reason,
        row.checklist,
        row.scope,
    )


def transition_of(
    sequence: int,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: str,
    at: datetime,
    reason: str,
    checklist: dict[str, bool] | None,
    scope: list[str] | None,
) -> Transition:
    """A transition from its stored values (JSON ones decoded)."""
    return Transition(
        sequence=sequence,
        action=action,
        from_status=None if from_status is None else _status(from_status),
        to_status=_status(to_status),
        actor=actor,
        at=at,
        reason=reason,
        checklist=None if checklist is None else Checklist(**checklist),
        scope=_tuple(scope),
    )


#: Statuses by value: a dict lookup, not an enum call, for each of 100,000 orders at a start.
_STATUSES = {s.value: s for s in Status}


def _status(value: str) -> Status:
    return _STATUSES.get(value) or Status(value)


def _build(_key: Hashable, build: Callable[[], _T]) -> _T:
    return build()


def order(row: OrderRow) -> Order:
    """The domain order of a row whose transitions were loaded with it."""
    transitions = tuple(transition(t) for t in row.transitions)
    return order_of(row.id, row.status, row.version, row.received_at, row.data, transitions)


def order_of(
    order_id: str,
    status: str,
    version: int,
    received_at: datetime,
    data: dict[str, Any],
    transitions: tuple[Transition, ...],
    *,
    shared: Callable[[Hashable, Callable[[], Any]], Any] = _build,
) -> Order:
    """The domain order of its columns, its JSON ``data`` and its transitions.

    ``shared(key, build)`` may hand back a part built before for an equal key (the authority,
    the request, the scope) instead of building it again: a bulk read shares them.
    """
    authority, request, document = data["authority"], data["request"], data["document"]
    # An order recorded when a demand held one action reads as a one-item list.
    actions = tuple(request.get("actions") or [request["action"]])
    scope = data["scope"]
    return Order(
        id=order_id,
        type=OrderType(data["type"]),
        authority=shared(
            ("authority", authority["name"], authority["kind"], authority["jurisdiction"]),
            lambda: Authority(
                name=authority["name"],
                kind=AuthorityKind(authority["kind"]),
                jurisdiction=authority["jurisdiction"],
            ),
        ),
        legal_basis=data["legal_basis"],
        case_id=data["case_id"],
        received_at=received_at,
        request=shared(
            ("request", request["text"], actions, tuple(request["scope"])),
            lambda: Request(
                text=request["text"],
                actions=tuple(RequestedAction(a) for a in actions),
                scope=tuple(request["scope"]),
            ),
        ),
        # Targets recorded before they named a platform cover the id on every platform.
        targets=tuple(
            [Target(t["type"], t["id"], t.get("platform", ANY_PLATFORM)) for t in data["targets"]]
        ),
        recorded_by=data["recorded_by"],
        status=_status(status),
        version=version,
        effective_from=_parse_when(data["effective_from"]),
        effective_until=_parse_when(data["effective_until"]),
        document=None if document is None else Document(**document),
        scope=None if scope is None else shared(("scope", *scope), lambda: tuple(scope)),
        approved_by=data["approved_by"],
        transitions=transitions,
        appeals=tuple(_appeal(a) for a in data.get("appeals", ())),
        exempt=tuple(data.get("exempt", ())),
        exempt_on=tuple((p, who) for p, who in data.get("exempt_on", ())),
    )


def user_row(user: User) -> UserRow:
    return UserRow(
        name=user.name,
        roles=sorted(role.value for role in user.roles),
        created_at=user.created_at,
        disabled=user.disabled,
    )


def user(row: UserRow) -> User:
    return User(
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles),
        created_at=row.created_at,
        disabled=row.disabled,
    )


def audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        at=entry.at,
        outcome=entry.outcome,
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        actor=row.actor, action=row.action, subject=row.subject, at=row.at, outcome=row.outcome
    )


def _appeal(data: dict[str, Any]) -> Appeal:
    return Appeal(
        **{
            **data,
            "status": AppealStatus(data["status"]),
            "filed_at": _parse_when(data["filed_at"]),
            "decided_at": _parse_when(data["decided_at"]),
        }
    )
