"""What a transparency report holds: plain frozen values, built by
:mod:`remit.transparency.report` and rendered by it and by :mod:`remit.transparency._report_html`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from remit.transparency.compliance import Refusal


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
    #: What remit refused of the demand, and why: one line per part (empty when complied fully).
    refused: tuple[str, ...] = field(default_factory=tuple)
    #: The same, by reason, with what was asked and the scope enforced instead.
    refusals: tuple[Refusal, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TransparencyReport:
    """The report: the period, a row per jurisdiction and authority kind, totals, the demands."""

    period_start: date
    period_end: date
    generated_at: datetime
    rows: tuple[ReportRow, ...]
    totals: ReportRow
    demands: tuple[DemandLine, ...] = field(default_factory=tuple)
    #: The last day whose refusals and removals the report counts: only closed days (UTC) reach
    #: the log, so this is the day before generation at the latest (None: no day closed yet).
    counts_until: date | None = None
    #: The day still open when the report was generated, if inside the period: its refusals and
    #: removals are published in the log after it closes, at 00:00 UTC the next day.
    open_day: date | None = None
    #: Participants refused or removed, by the country of the place the log counts them in
    #: (what the report's map shows).
    affected_by_country: dict[str, int] = field(default_factory=dict)
