"""Whether remit complied with a demand, as Lumen and Google count it, and what it refused.

A demand is complied with *fully* only when remit did what was asked where it was asked: every
action asked is one remit carries out as such (removing participants, blocking access), and the
scope enforced covers every place asked. Anything less, once approved, is *partly*: a demand
asking beyond the authority's jurisdiction (``*``, or another country), asking for an action on
accounts (never carried out: invariant 2 of docs/design.md), asking to end or delete a meeting
or content (remit makes it unavailable inside the scope instead), or narrowed by a reviewer.

:func:`classify` is pure and takes the actions asked as a collection, so that a demand asking
for several actions is classified by the same function.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from remit import jurisdictions
from remit.errors import InvalidInput
from remit.orders import ACCOUNT_ACTIONS, EVERYWHERE, Order, RequestedAction, Status

__all__ = [
    "AS_ASKED",
    "COMPLIED",
    "Compliance",
    "Refusal",
    "classify",
    "compliance_of",
]

#: The statuses of a demand remit acted on.
COMPLIED = frozenset({Status.APPROVED, Status.ACTIVE, Status.EXPIRED, Status.LIFTED})
#: The actions remit carries out as asked, inside the scope.
AS_ASKED = frozenset({RequestedAction.REMOVE_PARTICIPANTS, RequestedAction.BLOCK_ACCESS})


@dataclass(frozen=True)
class Refusal:
    """One part of a demand remit did not carry out as asked: why (``account_actions``,
    ``not_as_such``, ``beyond_jurisdiction`` or ``narrowed``), what was asked (actions or
    places), and the scope enforced instead."""

    reason: str
    asked: tuple[str, ...]
    enforced: tuple[str, ...]
    jurisdiction: str

    def text(self) -> str:
        """The refusal as one line of plain English."""
        asked = ", ".join("everywhere" if p == EVERYWHERE else p for p in self.asked)
        enforced = ", ".join(self.enforced)
        return {
            "account_actions": f"{asked}: remit never acts on an account; the account's "
            "resources are unavailable inside the scope only",
            "not_as_such": f"{asked}: not carried out as such; the resources are unavailable "
            "inside the scope only",
            "beyond_jurisdiction": f"{asked}: outside the authority's jurisdiction "
            f"{self.jurisdiction}; enforced in {enforced} only",
            "narrowed": f"{asked}: narrowed by a reviewer to {enforced}",
        }[self.reason]


@dataclass(frozen=True)
class Compliance:
    """The outcome (``rejected``, ``complied_fully``, ``complied_partly`` or ``pending``) and,
    for a partial one, each part of the demand remit refused with its reason."""

    outcome: str
    refusals: tuple[Refusal, ...] = ()

    @property
    def refused(self) -> tuple[str, ...]:
        """The refusals in plain English, one line each."""
        return tuple(r.text() for r in self.refusals)


def _covered(enforced: Sequence[str], place: str) -> bool:
    try:
        return any(jurisdictions.covers(code, place) for code in enforced)
    except InvalidInput:
        return False


def _inside(jurisdiction: str, place: str) -> bool:
    if place == EVERYWHERE:
        return False
    try:
        return jurisdictions.covers(jurisdiction, place)
    except InvalidInput:
        return False


def classify(
    status: Status,
    jurisdiction: str,
    actions: Collection[RequestedAction | str],
    scope_asked: Sequence[str],
    scope_enforced: Sequence[str] | None,
) -> Compliance:
    """The compliance of a demand by an authority of ``jurisdiction`` asking for ``actions`` in
    ``scope_asked``, now in ``status`` and enforced in ``scope_enforced``."""
    if status is Status.REJECTED:
        return Compliance("rejected")
    if status not in COMPLIED or scope_enforced is None:
        return Compliance("pending")
    enforced = tuple(scope_enforced)
    asked = [RequestedAction(a) for a in actions]
    beyond = tuple(p for p in scope_asked if not _inside(jurisdiction, p))
    parts = {
        "account_actions": tuple(sorted(a.value for a in asked if a in ACCOUNT_ACTIONS)),
        "not_as_such": tuple(
            sorted(a.value for a in asked if a not in ACCOUNT_ACTIONS and a not in AS_ASKED)
        ),
        "beyond_jurisdiction": beyond,
        "narrowed": tuple(p for p in scope_asked if p not in beyond and not _covered(enforced, p)),
    }
    refusals = tuple(
        Refusal(reason, what, enforced, jurisdiction) for reason, what in parts.items() if what
    )
    return Compliance("complied_partly" if refusals else "complied_fully", refusals)


def compliance_of(order: Order) -> Compliance:
    """:func:`classify` for a recorded order."""
    return classify(
        order.status,
        order.authority.jurisdiction,
        order.request.actions,
        order.request.scope,
        order.scope,
    )
