"""The HTTP API's request and response bodies, as msgspec Structs.

One definition gives three things: fast decoding, validation errors that name the field, and the
JSON Schemas published in the OpenAPI document. Unknown fields are refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Aware = Annotated[datetime, Meta(tz=True, description="RFC 3339 date-time with a time zone")]
Id = Annotated[str, Meta(min_length=1, max_length=512)]
Name = Annotated[str, Meta(min_length=1, max_length=1000)]
Text = Annotated[str, Meta(max_length=100_000)]
Reason = Annotated[str, Meta(min_length=1, max_length=100_000)]
Code = Annotated[
    str,
    Meta(
        pattern=r"^(\*|[A-Za-z]{2,4}(-[A-Za-z0-9]{1,3})?)$",
        description="ISO 3166-1 alpha-2, ISO 3166-2, or a named group (EU, EEA); '*' as asked",
    ),
]
Phone = Annotated[
    str,
    Meta(pattern=r"^\+[0-9 ().-]{3,40}$", description="International form: + country code …"),
]
ResourceType = Annotated[
    str,
    Meta(
        pattern="^[a-z0-9_-]{1,64}$",
        description="One of the resource types the operator declared (remit serve "
        "--resource-types; meeting, recording and channel unless set)",
    ),
]
TargetType = Annotated[
    str,
    Meta(
        pattern="^[a-z0-9_-]{1,64}$",
        description="One of the declared resource types, or host: every resource the account "
        "hosts (never the account itself)",
    ),
]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class AuthorityIn(_In):
    name: Name
    kind: Literal["court", "ministry", "regulator", "police", "other"]
    jurisdiction: Code


Action = Literal[
    "remove_participants", "block_access", "end_meeting", "delete_meeting",
    "delete_content", "suspend_account", "delete_account", "other",
]  # fmt: skip


class RequestIn(_In):
    """The demand as received: ``actions`` lists every action asked, as asked (``action``, one
    action, is what clients sent before; give one of the two)."""

    text: Text
    scope: Annotated[list[Code], Meta(min_length=1, max_length=300)]
    actions: Annotated[list[Action], Meta(min_length=1, max_length=8)] | None = None
    action: Action | None = None


TargetPlatform = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=512,
        description="The platform the target is on (its registered name), or `*`: the same id "
        "on every platform. Ids of two platforms are unrelated: name the platform. Left out, "
        "it is `*` (as orders recorded before targets named a platform read)",
    ),
]


class TargetIn(_In):
    type: TargetType
    id: Id
    platform: TargetPlatform = "*"


class DocumentIn(_In):
    """The original document, base64-encoded in ``content``."""

    content: bytes
    media_type: Annotated[str, Meta(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)]
    filename: Annotated[str, Meta(max_length=255)] | None = None


class OrderIn(_In):
    """A demand to record. Fields follow Lumen's notice schema where it fits."""

    type: Literal["GovernmentRequest", "CourtOrder", "LawEnforcementRequest", "LocalLaw"]
    authority: AuthorityIn
    legal_basis: Text
    received_at: Aware
    request: RequestIn
    targets: Annotated[list[TargetIn], Meta(min_length=1, max_length=10_000)]
    case_id: Name | None = None
    effective_from: Aware | None = None
    effective_until: Aware | None = None
    document: DocumentIn | None = None


class ChecklistIn(_In):
    """The reviewer's checklist, stored with the decision."""

    legal_basis_stated: bool = False
    authority_competent: bool = False
    written_and_signed: bool = False
    targets_inside_jurisdiction: bool = False
    overbroad: bool = False
    gag_order_without_end_date: bool = False


class ApproveIn(_In):
    justification: Reason
    scope: Annotated[list[Code], Meta(min_length=1, max_length=300)] | None = None
    checklist: ChecklistIn | None = None


class RejectIn(_In):
    reason: Reason
    checklist: ChecklistIn | None = None


class LiftIn(_In):
    reason: Reason


class ClarifyIn(_In):
    question: Reason


class AnswerIn(_In):
    answer: Reason


class ReviewIn(_In):
    reason: Text = ""


class ResourceIn(_In):
    type: ResourceType
    id: Id
    host: Id | None = None


class ParticipantIn(_In):
    id: Id
    ip: Annotated[str, Meta(max_length=64)] | None = None
    phone: Phone | None = None


class AdmissionIn(_In):
    """One join to decide."""

    resource: ResourceIn
    participant: ParticipantIn


# Responses ------------------------------------------------------------------------------------


class AnswerOut(msgspec.Struct, frozen=True):
    source: str
    country: str | None
    subdivision: str | None
    data_date: str | None


class LocationOut(msgspec.Struct, frozen=True, omit_defaults=True):
    country: str | None
    subdivision: str | None
    source: str
    evidence: list[AnswerOut] = []
    dispute: str | None = None
    embedded: str | None = None


class SkippedOut(msgspec.Struct, frozen=True):
    order: str
    reason: str


class AdmissionOut(msgspec.Struct, frozen=True):
    decision: Literal["allow", "deny"]
    orders: list[str]
    location: LocationOut
    skipped: list[SkippedOut]


class CreatedOut(msgspec.Struct, frozen=True):
    id: str
    status: str


class ChecklistOut(msgspec.Struct, frozen=True):
    legal_basis_stated: bool
    authority_competent: bool
    written_and_signed: bool
    targets_inside_jurisdiction: bool
    overbroad: bool
    gag_order_without_end_date: bool


class TransitionOut(msgspec.Struct, frozen=True):
    sequence: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    reason: str
    checklist: ChecklistOut | None
    scope: list[str] | None


class DocumentOut(msgspec.Struct, frozen=True):
    sha256: str
    media_type: str
    size: int
    filename: str | None


class AuthorityOut(msgspec.Struct, frozen=True):
    name: str
    kind: str
    jurisdiction: str


class RequestOut(msgspec.Struct, frozen=True):
    text: str
    #: Every action asked, as asked (an order recorded with one action: a one-item list).
    actions: list[str]
    scope: list[str]


class TargetOut(msgspec.Struct, frozen=True):
    type: str
    id: str
    #: The platform it is on, or ``*``: the same id on every platform.
    platform: str


class OrderOut(msgspec.Struct, frozen=True):
    id: str
    type: str
    status: str
    version: int
    authority: AuthorityOut
    legal_basis: str
    case_id: str | None
    received_at: datetime
    request: RequestOut
    targets: list[TargetOut]
    recorded_by: str
    effective_from: datetime | None
    effective_until: datetime | None
    document: DocumentOut | None
    scope: list[str] | None
    approved_by: str | None
    transitions: list[TransitionOut]


class OrderListOut(msgspec.Struct, frozen=True):
    orders: list[OrderOut]
    next: str | None


class AuditOut(msgspec.Struct, frozen=True):
    actor: str
    action: str
    subject: str
    at: datetime
    outcome: str


class AuditListOut(msgspec.Struct, frozen=True):
    entries: list[AuditOut]


class LocationSourceOut(msgspec.Struct, frozen=True):
    name: str
    family: str
    data_date: str | None
    age_days: int | None
    warning: str | None


class HealthOut(msgspec.Struct, frozen=True):
    #: ``starting`` (503) until the decision index is loaded; ``degraded`` while the database
    #: cannot be reached (admissions go on from memory); else ``ok``.
    status: Literal["ok", "degraded", "starting"]
    orders_in_force: int
    index_age_s: float
    location_sources: list[LocationSourceOut]
    warnings: list[str]
    #: What makes the node starting or degraded (the database's error, say); empty when ok.
    problems: list[str] = []


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
