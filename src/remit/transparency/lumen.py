"""Each demand as a notice for the Lumen database (https://lumendatabase.org), targets redacted.

:func:`lumen_notice` gives the ``{"notice": {...}}`` object Lumen's API takes (``POST
/notices``, with the operator's own ``authentication_token`` added by whoever submits it): type,
title, jurisdiction and regulation lists, case id, dates, ``action_taken`` (``Yes`` when remit
did what was asked where it was asked, ``Partial`` when it did less: see
:mod:`remit.transparency.compliance`; ``No`` when rejected, null while undecided), the sender,
principal and recipient with their country codes,
and the works: each target as its type and the same keyed hash the public log shows, never its id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from remit import jurisdictions
from remit.errors import InvalidInput
from remit.orders import Order, OrderType
from remit.transparency.compliance import compliance_of
from remit.transparency.entries import target_hash

__all__ = ["Recipient", "lumen_notice", "lumen_notices"]

_TITLES = {
    OrderType.GOVERNMENT_REQUEST: "Government request",
    OrderType.COURT_ORDER: "Court order",
    OrderType.LAW_ENFORCEMENT_REQUEST: "Law enforcement request",
    OrderType.LOCAL_LAW: "Local law",
}


@dataclass(frozen=True)
class Recipient:
    """Who received the demands: the platform running remit."""

    name: str = "Platform operator"
    country_code: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("recipient: give the platform's name", field="recipient")
        if self.country_code is not None:
            place = jurisdictions.get(self.country_code, field="recipient_country")
            if place.kind != "country":
                raise InvalidInput(
                    "recipient_country: give an ISO 3166-1 country code",
                    field="recipient_country",
                )


_ACTION_TAKEN = {"rejected": "No", "complied_fully": "Yes", "complied_partly": "Partial"}


def _action_taken(order: Order) -> str | None:
    # undecided: None, as Lumen takes only Yes, No or Partial
    return _ACTION_TAKEN.get(compliance_of(order).outcome)


def _entity(role: str, name: str, country: str | None) -> dict[str, Any]:
    return {
        "name": role,
        "entity_attributes": {"name": name, "kind": "organization", "country_code": country},
    }


def lumen_notice(order: Order, secret: bytes, recipient: Recipient) -> dict[str, Any]:
    """The Lumen notice for one demand; targets appear only as keyed hashes."""
    authority = order.authority
    country = jurisdictions.get(authority.jurisdiction).country
    works = [
        {
            "kind": target.type,
            "description": f"{target.type}, identifier withheld (keyed hash "
            f"{target_hash(secret, target)})",
            "infringing_urls_attributes": [
                {"url": f"urn:remit:{target.type}:{target_hash(secret, target)}"}
            ],
        }
        for target in order.targets
    ]
    received = order.received_at.astimezone(UTC)
    asked = [action.value for action in order.request.actions]
    return {
        "notice": {
            "type": order.type.value,
            "title": f"{_TITLES[order.type]} from {authority.name} ({authority.jurisdiction})",
            "subject": f"asked: {', '.join(asked)} in {', '.join(order.request.scope)}",
            # Each action asked, as Lumen's tags: a demand asking two is tagged with both.
            "tag_list": ", ".join(asked),
            "source": "remit",
            "language": "en",
            "jurisdiction_list": authority.jurisdiction,
            "regulation_list": order.legal_basis,
            "case_id_number": order.case_id,
            "date_sent": None,  # remit records when a demand arrived, not when it was sent
            "date_received": received.date().isoformat(),
            "action_taken": _action_taken(order),
            "works_attributes": works,
            "entity_notice_roles_attributes": [
                _entity("sender", authority.name, country),
                _entity("principal", authority.name, country),
                _entity("recipient", recipient.name, recipient.country_code),
            ],
        }
    }


def lumen_notices(
    orders: Iterable[Order], secret: bytes, recipient: Recipient
) -> list[dict[str, Any]]:
    """A notice for each demand, oldest first (rejected ones too)."""
    ordered = sorted(orders, key=lambda o: (o.received_at, o.id))
    return [lumen_notice(order, secret, recipient) for order in ordered]
