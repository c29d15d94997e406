"""What a transparency report holds: plain frozen values, built by
:mod:`remit.transparency.report` and rendered by it and by :mod:`remit.transparency._report_html`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class LegalBasisCount:
    """A legal basis cited, and by how many demands."""

    legal_basis: str
    demands: int


@dataclass(frozen=True)
class ActionCount:
    """An action asked, and by how many demands (a demand asking two counts for each)."""

    action: str
    demands: int


@dataclass(frozen=True)
class ReportRow:
    """The numbers for one jurisdiction and one kind of authority (or for all: the totals)."""

    territory_code: str
    country: str
    requester_kind: str
    demands_received: int = 0
    rejected: int = 0
    complied_fully: int = 0
    complied_partly: int = 0
    clarification_requested: int = 0
    pending: int = 0
    asked_beyond_jurisdiction: int = 0
    account_actions_asked: int = 0
    resources_restricted: int = 0
    participants_refused_in_scope: int = 0
    participants_removed_in_scope: int = 0
    participants_affected_outside_scope: int = 0
    accounts_suspended: int = 0
    appeals_filed: int = 0
    appeals_upheld: int = 0
    appeals_reversed: int = 0
    median_hours_to_decision: float | None = None
    legal_bases: tuple[LegalBasisCount, ...] = field(default_factory=tuple)
    actions_asked: tuple[ActionCount, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DemandLine:
    """One demand received in the period: what was asked, and what remit did."""

    order: str
    received_at: datetime
    territory_code: str
    authority: str
    requester_kind: str
    legal_basis: str
    case_id: str | None
    actions_asked: tuple[str, ...]
    scope_asked: tuple[str, ...]
    outcome: str  # rejected, complied_fully, complied_partly, pending
    scope_enforced: tuple[str, ...] | None
    resources: int


@dataclass(frozen=True)
class TransparencyReport:
    """The report: the period, a row per jurisdiction and authority kind, totals, the demands."""

    period_start: date
    period_end: date
    generated_at: datetime
    rows: tuple[ReportRow, ...]
    totals: ReportRow
    demands: tuple[DemandLine, ...] = field(default_factory=tuple)
