"""Demands, their outcomes and logs for the transparency tests (pytest collects nothing here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from remit import orders
from remit.orders import (
    Authority,
    AuthorityKind,
    Checklist,
    Order,
    OrderType,
    Request,
    RequestedAction,
)
from remit.policy import Target
from remit.transparency import LogStore, MemoryLogStore, Signer, TransparencyLog

T0 = datetime(2020, 6, 1, 1, 0, tzinfo=UTC)
ORIGIN = "remit.test/log"
#: A fixed key, so that runs are reproducible (a test key: never use it for a real log).
SIGNER = Signer.from_seed(ORIGIN, bytes(range(32)))
SECRET = b"test secret for keyed target hashes"


def demand(order_id: str = "ord-0001", **changes: Any) -> Order:
    """The 2020 demand as received: delete the meetings and the accounts, everywhere."""
    fields: dict[str, Any] = {
        "id": order_id,
        "type": OrderType.GOVERNMENT_REQUEST,
        "authority": Authority("Ministry of Public Security", AuthorityKind.MINISTRY, "CN"),
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": "2020-0604",
        "received_at": T0,
        "request": Request(
            "Delete the meetings of Wang Dan and the accounts hosting them.",
            (RequestedAction.DELETE_ACCOUNT,),
            ("*",),
        ),
        "targets": [Target("meeting", "june4-a"), Target("host", "host-us-1")],
        "actor": "alice.intake",
        "now": T0,
    }
    fields.update(changes)
    return orders.record(**fields)


def approved(order: Order, *, hours: float = 5, scope: list[str] | None = None) -> Order:
    reviewing = orders.start_review(order, actor="bob.reviewer", now=T0 + timedelta(hours=1))
    return orders.approve(
        reviewing,
        actor="bob.reviewer",
        now=T0 + timedelta(hours=hours),
        justification="Lawful under art. 12; Bob Reviewer checked with counsel Carol",
        scope=scope,
        checklist=Checklist(legal_basis_stated=True, overbroad=True),
    )


def rejected(order: Order, *, hours: float = 3) -> Order:
    return orders.reject(
        order, actor="bob.reviewer", now=T0 + timedelta(hours=hours), reason="Dave asked: no"
    )


def clarified(order: Order) -> Order:
    return orders.clarify(
        order, actor="bob.reviewer", now=T0 + timedelta(hours=2), question="Which meeting, Erin?"
    )


def story() -> list[Order]:
    """Demands in every outcome, from two jurisdictions and two kinds of authority."""
    return [
        approved(demand("ord-0001")),  # complied fully (all of CN)
        approved(
            demand(
                "ord-0002",
                authority=Authority("Kyiv court", AuthorityKind.COURT, "UA"),
                legal_basis="Code art. 1",
                case_id="K-7",
            ),
            scope=["UA-30"],
            hours=49,
        ),  # complied partly: narrowed to Kyiv
        rejected(demand("ord-0003")),
        clarified(demand("ord-0004")),
        demand("ord-0005", received_at=T0 + timedelta(days=400)),  # another year
    ]


def new_log(store: LogStore | None = None, **kwargs: Any) -> TransparencyLog:
    return TransparencyLog(
        store if store is not None else MemoryLogStore(),
        SIGNER,
        origin=ORIGIN,
        secret=SECRET,
        clock=kwargs.pop("clock", lambda: T0 + timedelta(days=1)),
        **kwargs,
    ).open()
