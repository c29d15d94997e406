"""Many orders read at once, for a node's start and resync: two queries, no ORM rows.

Reading 100,000 orders through the ORM (an identity-mapped object per order and per transition,
a type processor per value) took most of a node's start. Here the orders and their transitions
are two plain ``SELECT``s; JSON values come back as text and are decoded by msgspec; timestamps
are parsed once each; and the parts orders share (an authority, a request, a target, a step of
the same actor at the same time) are built once and shared, as frozen values may be.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Text, cast, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from remit.orders import Order, Transition
from remit.store import _sql_codec
from remit.store._sql_models import OrderRow, TransitionRow

_T = TypeVar("_T")
_decode = msgspec.json.Decoder().decode


def _moment(value: Any) -> datetime:
    """A stored timestamp, read without its column type: text on SQLite (always UTC), a
    datetime on PostgreSQL."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp from the database, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: str | None) -> Any:
    return None if value is None else _decode(value)


class _Shared:
    """Equal parts built once: ``get(key, build)`` returns the one already built for ``key``."""

    def __init__(self) -> None:
        self._built: dict[Hashable, Any] = {}

    def get(self, key: Hashable, build: Callable[[], _T]) -> _T:
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = build()
        return found


def read_orders(session: Session, where: ColumnElement[bool]) -> list[tuple[Order, int]]:
    """The orders matching ``where``, each with its ``change_seq``, in the order of the changes."""
    shared = _Shared()
    text = Text()
    transitions: dict[str, list[Transition]] = {}
    steps = select(
        TransitionRow.order_id,
        TransitionRow.sequence,
        TransitionRow.action,
        TransitionRow.from_status,
        TransitionRow.to_status,
        TransitionRow.actor,
        type_coerce(TransitionRow.at, text),
        TransitionRow.reason,
        cast(TransitionRow.checklist, text),
        cast(TransitionRow.scope, text),
    ).where(TransitionRow.order_id.in_(select(OrderRow.id).where(where)))
    built: dict[tuple[Any, ...], Transition] = {}  # equal steps (same actor, same time) shared
    for row in session.execute(steps.order_by(TransitionRow.order_id, "sequence")):
        step = row[1:]
        found = built.get(step)
        if found is None:
            found = built[step] = _transition(step)
        transitions.setdefault(row[0], []).append(found)
    rows = select(
        OrderRow.id,
        OrderRow.status,
        OrderRow.version,
        type_coerce(OrderRow.received_at, text),
        cast(OrderRow.data, text),
        OrderRow.change_seq,
    ).where(where)
    out = []
    for order_id, status, version, received_at, data, change_seq in session.execute(
        rows.order_by(OrderRow.change_seq)
    ):
        order = _sql_codec.order_of(
            order_id,
            status,
            version,
            _moment(received_at),
            _decode(data),
            tuple(transitions.get(order_id, ())),
            shared=shared.get,
        )
        out.append((order, int(change_seq)))
    return out


def _transition(step: tuple[Any, ...]) -> Transition:
    sequence, action, from_status, to_status, actor, at, reason, checklist, scope = step
    return _sql_codec.transition_of(
        sequence,
        action,
        from_status,
        to_status,
        actor,
        _moment(at),
        reason,
        _json(checklist),
        _json(scope),
    )
