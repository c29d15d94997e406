"""Backends, orders and documents for the store tests (pytest collects nothing here)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from remit.orders import (
    Authority,
    AuthorityKind,
    Document,
    Order,
    OrderType,
    Request,
    RequestedAction,
    record,
)
from remit.policy import Target
from remit.store import Store

#: When the demand was received: Beijing time, as the authority dated it.
T0 = datetime(2020, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
NOW = datetime(2020, 6, 2, 12, 0, tzinfo=UTC)


@dataclass
class Backend:
    """Opens stores on one set of data; closes them all at the end of the test."""

    name: str
    url: str | None
    _open: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store = self._open()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


def new_order(order_id: str = "ord-0001", **changes: Any) -> Order:
    """A demand recorded by ``intake``, as the 2020 one was received."""
    fields: dict[str, Any] = {
        "id": order_id,
        "type": OrderType.GOVERNMENT_REQUEST,
        "authority": Authority("Ministry of Public Security", AuthorityKind.MINISTRY, "CN"),
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": "2020-0604",
        "received_at": T0,
        "request": Request(
            "Delete the four meetings and the accounts hosting them.",
            (RequestedAction.DELETE_ACCOUNT,),
            ("*",),
        ),
        "targets": [Target("meeting", "june4-a"), Target("host", "host-us-1")],
        "actor": "intake",
        "now": NOW,
    }
    fields.update(changes)
    return record(**fields)


def document_for(content: bytes, filename: str = "demand.pdf") -> Document:
    return Document(hashlib.sha256(content).hexdigest(), "application/pdf", len(content), filename)
