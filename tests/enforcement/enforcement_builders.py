"""Orders, sessions and a clock for the enforcement tests (pytest collects nothing here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from remit.enforcement import Platform, Session
from remit.location import Location
from remit.orders import (
    Authority,
    AuthorityKind,
    Order,
    OrderType,
    Request,
    RequestedAction,
    approve,
    record,
)
from remit.policy import Resource, Target

NOW = datetime(2020, 6, 4, 12, 0, tzinfo=UTC)
APPEAL_URL = "https://remit.example/appeals"
BEIJING = Location("CN", "CN-BJ", "static")
SHANGHAI = Location("CN", "CN-SH", "static")
HONG_KONG = Location("HK", None, "static")
UNKNOWN = Location(None, None, "none")


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def in_force(
    *targets: Target, scope: tuple[str, ...] | None = None, order_id: str = "ord-1", **changes: Any
) -> Order:
    """The 2020 demand of a mainland ministry, recorded by ``intake`` and approved by ``reviewer``
    (enforced in ``scope``, the authority's jurisdiction ``CN`` unless narrowed)."""
    fields: dict[str, Any] = {
        "id": order_id,
        "type": OrderType.GOVERNMENT_REQUEST,
        "authority": Authority("Ministry of Public Security", AuthorityKind.MINISTRY, "CN"),
        "legal_basis": "Cybersecurity Law art. 12",
        "case_id": "2020-0604",
        "received_at": NOW - timedelta(days=3),
        "request": Request(
            "Delete the four meetings and the accounts hosting them.",
            (RequestedAction.DELETE_ACCOUNT,),
            ("*",),
        ),
        "targets": targets or (Target("meeting", "june4-a"),),
        "actor": "intake",
        "now": NOW - timedelta(days=1),
    }
    fields.update(changes)
    return approve(record(**fields), actor="reviewer", now=NOW, justification="ok", scope=scope)


def session(
    sid: str,
    location: Location = BEIJING,
    *,
    meeting: str = "june4-a",
    host: str | None = "host-us-1",
    platform: str = "meet",
    **changes: Any,
) -> Session:
    """A participant ``p-<sid>`` live in ``meeting`` since an hour before ``NOW``."""
    return Session(
        id=sid,
        platform=platform,
        resource=Resource("meeting", meeting, host),
        participant=f"p-{sid}",
        location=location,
        joined_at=NOW - timedelta(hours=1),
        **changes,
    )


def platform(name: str = "meet", connector: str = "recording") -> Platform:
    return Platform(name, connector, {}, NOW - timedelta(days=30))
