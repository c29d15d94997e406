"""An order: a government demand as received, what remit was asked to do, and its lifecycle.

Fields follow Lumen's notice schema where it fits (type, authority/sender, legal basis as
regulation, case id, dates, the works/targets). Plain frozen dataclasses: the store converts its
rows to these at its boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from remit.errors import InvalidInput
from remit.policy import Target


class OrderType(StrEnum):
    """Lumen's notice types for government demands."""

    GOVERNMENT_REQUEST = "GovernmentRequest"
    COURT_ORDER = "CourtOrder"
    LAW_ENFORCEMENT_REQUEST = "LawEnforcementRequest"
    LOCAL_LAW = "LocalLaw"


class AuthorityKind(StrEnum):
    """Who made the demand."""

    COURT = "court"
    MINISTRY = "ministry"
    REGULATOR = "regulator"
    POLICE = "police"
    OTHER = "other"


class Status(StrEnum):
    """Where an order is in its lifecycle.

    ``received -> in_review -> approved|active -> expired|lifted``; ``received`` or ``in_review``
    may go to ``rejected``, or to ``clarification_requested`` and back to ``in_review`` when the
    authority answers. ``approved`` means approved but not yet in effect (its start is ahead).
    """

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    CLARIFICATION_REQUESTED = "clarification_requested"
    APPROVED = "approved"
    ACTIVE = "active"
    REJECTED = "rejected"
    EXPIRED = "expired"
    LIFTED = "lifted"


#: Statuses in which an order is still waiting for a decision.
OPEN = frozenset({Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION_REQUESTED})
#: Statuses an order never leaves.
FINAL = frozenset({Status.REJECTED, Status.EXPIRED, Status.LIFTED})


class RequestedAction(StrEnum):
    """What the authority asked for, as asked. remit never carries out the account actions."""

    REMOVE_PARTICIPANTS = "remove_participants"
    BLOCK_ACCESS = "block_access"
    END_MEETING = "end_meeting"
    DELETE_MEETING = "delete_meeting"
    DELETE_CONTENT = "delete_content"
    SUSPEND_ACCOUNT = "suspend_account"
    DELETE_ACCOUNT = "delete_account"
    OTHER = "other"


#: The actions on accounts an authority may ask for; remit never carries them out (invariant 2 of
#: docs/design.md).
ACCOUNT_ACTIONS = frozenset({RequestedAction.SUSPEND_ACCOUNT, RequestedAction.DELETE_ACCOUNT})


@dataclass(frozen=True, slots=True)
class Authority:
    """The body that made the demand, and where its law applies."""

    name: str
    kind: AuthorityKind
    jurisdiction: str


@dataclass(frozen=True, slots=True)
class Request:
    """The demand as received: its text, every action asked for, and the scope asked for.

    ``actions`` are kept as asked, in the order asked, at least one and none twice (the 2020
    demand asked for two: ``delete_meeting`` and ``delete_account``); an order recorded when a
    demand held one action reads as a one-item tuple. ``scope`` is kept as asked, even when it
    reaches beyond the authority's jurisdiction (for example ``["*"]`` for "everywhere"): that is
    what the transparency report compares with what remit did.
    """

    text: str
    actions: tuple[RequestedAction, ...]
    scope: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.actions or len(set(self.actions)) != len(self.actions):
            raise InvalidInput(
                "request.actions: name each action asked once, at least one",
                field="request.actions",
            )

    @property
    def asks_account_action(self) -> bool:
        """Whether an action asked is one on accounts (which remit never carries out)."""
        return any(action in ACCOUNT_ACTIONS for action in self.actions)


@dataclass(frozen=True, slots=True)
class Document:
    """The original document of the demand: its SHA-256 and how to show it."""

    sha256: str
    media_type: str
    size: int
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Checklist:
    """The reviewer's checklist, stored with every decision on an order."""

    legal_basis_stated: bool = False
    authority_competent: bool = False
    written_and_signed: bool = False
    targets_inside_jurisdiction: bool = False
    overbroad: bool = False
    gag_order_without_end_date: bool = False


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of an order's lifecycle: never edited, only appended."""

    sequence: int
    action: str
    from_status: Status | None
    to_status: Status
    actor: str
    at: datetime
    reason: str
    checklist: Checklist | None = None
    scope: tuple[str, ...] | None = None


class AppealStatus(StrEnum):
    """An appeal's outcome: ``upheld`` keeps the order as it was, ``reversed`` grants the appeal."""

    FILED = "filed"
    UPHELD = "upheld"
    REVERSED = "reversed"


@dataclass(frozen=True, slots=True)
class Appeal:
    """An affected person's appeal against an order, and what was decided on it.

    ``platform`` is the platform the appellant is a participant or host of, where the removal
    happened: a reversal releases them there only (readmitted there, exempt there). None for an
    appeal filed before appeals named their platform, or by staff for no one platform: it
    releases the id on every platform.
    """

    id: str
    appellant_kind: str  # participant | host
    appellant: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: AppealStatus = AppealStatus.FILED
    remedy: str | None = None  # person | order, when reversed
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision: str | None = None
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A recorded demand and everything decided about it."""

    id: str
    type: OrderType
    authority: Authority
    legal_basis: str
    case_id: str | None
    received_at: datetime
    request: Request
    targets: tuple[Target, ...]
    recorded_by: str
    status: Status
    version: int
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    document: Document | None = None
    #: The scope remit enforces, set at approval; always inside the authority's jurisdiction.
    scope: tuple[str, ...] | None = None
    approved_by: str | None = None
    transitions: tuple[Transition, ...] = field(default=())
    appeals: tuple[Appeal, ...] = field(default=())
    #: Participants a reversed appeal released from this order on every platform (appeals that
    #: named no platform).
    exempt: tuple[str, ...] = field(default=())
    #: (platform, participant) pairs a reversed appeal released from this order on one platform.
    exempt_on: tuple[tuple[str, str], ...] = field(default=())

    @property
    def in_force(self) -> bool:
        """Whether the order is active: the decision index holds exactly the orders in force."""
        return self.status is Status.ACTIVE
