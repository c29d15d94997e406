"""The transparency report for a period: numbers per jurisdiction and per kind of authority.

Built from the orders (what was demanded and decided) and the log's enforcement-count and appeal
entries (what was done), with nothing else: no personal data goes in. Every demand received in the
period is counted, rejected ones included (invariant 4 of docs/design.md). A demand is *complied
with fully* only when remit did what was asked where it was asked, and *partly* when it did less
(see :mod:`remit.transparency.compliance`: asked beyond the jurisdiction, asked for account
actions, narrowed); remit never suspends an account, so ``accounts_suspended`` is 0 by
construction, and ``participants_affected_outside_scope`` counts any enforcement the log shows
outside an order's scope (0, when invariant 1 holds).

Formats: :func:`to_json`, :func:`to_csv` (columns modelled on Google's government-removals CSV)
and :func:`to_html` (a page with SVG bar charts, readable without JavaScript).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from remit import jurisdictions
from remit.errors import InvalidInput, VerificationError
from remit.orders import EVERYWHERE, Order
from remit.transparency import entries as log_entries
from remit.transparency._report_html import page
from remit.transparency._report_model import (
    ActionCount,
    DemandLine,
    LegalBasisCount,
    ReportRow,
    TransparencyReport,
)
from remit.transparency.compliance import compliance_of

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "MEDIA_TYPES",
    "DemandLine",
    "LegalBasisCount",
    "ReportRow",
    "TransparencyReport",
    "build_report",
    "parse_day",
    "render",
    "to_csv",
    "to_html",
    "to_json",
]

FORMATS = ("csv", "json", "html")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "html": "text/html"}


@dataclass
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    hours: list[float] = field(default_factory=list)
    bases: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)


def _asked_beyond(order: Order) -> bool:
    jurisdiction = order.authority.jurisdiction
    for code in order.request.scope:
        if code == EVERYWHERE:
            return True
        try:
            if not jurisdictions.covers(jurisdiction, code):
                return True
        except InvalidInput:
            return True
    return False


def _decision_hours(order: Order) -> float | None:
    for step in order.transitions:
        if step.action in ("approve", "reject"):
            return (step.at - order.received_at).total_seconds() / 3600
    return None


def _in_scope(order: Order, place: str) -> bool:
    try:
        return any(jurisdictions.covers(code, place) for code in order.scope or ())
    except InvalidInput:
        return False


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(f"to: {end} is before from {start}", field="to")


def build_report(
    orders: Iterable[Order],
    entries: Iterable[bytes],
    *,
    start: date | None = None,
    end: date | None = None,
    generated_at: datetime,
) -> TransparencyReport:
    """The report for demands received from ``start`` to ``end`` (both days included, UTC).

    ``entries`` are the log's entries (any kinds; enforcement counts and appeal outcomes are
    read, by their day or time). ``end`` defaults to the day of ``generated_at``, ``start`` to
    the day of the first demand. ``VerificationError`` for an entry that does not parse.
    """
    everything = {o.id: o for o in orders}
    end = end or generated_at.astimezone(UTC).date()
    if start is None:
        days = [o.received_at.astimezone(UTC).date() for o in everything.values()]
        start = min([*days, end])
    _check_period(start, end)

    def inside(moment: date) -> bool:
        return start <= moment <= end

    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    by_country: Counter[str] = Counter()
    demands: list[DemandLine] = []
    for order in sorted(everything.values(), key=lambda o: (o.received_at, o.id)):
        if not inside(order.received_at.astimezone(UTC).date()):
            continue
        tally = tallies[(order.authority.jurisdiction, order.authority.kind.value)]
        compliance = compliance_of(order)
        outcome = compliance.outcome
        c = tally.counts
        c["demands_received"] += 1
        c[outcome] += 1
        if any(step.action == "clarify" for step in order.transitions):
            c["clarification_requested"] += 1
        if _asked_beyond(order):
            c["asked_beyond_jurisdiction"] += 1
        if order.request.asks_account_action:
            c["account_actions_asked"] += 1
        tally.actions.update(action.value for action in order.request.actions)
        if outcome.startswith("complied"):
            c["resources_restricted"] += len(order.targets)
        hours = _decision_hours(order)
        if hours is not None:
            tally.hours.append(hours)
        tally.bases[order.legal_basis] += 1
        demands.append(
            DemandLine(
                order=order.id,
                received_at=order.received_at.astimezone(UTC),
                territory_code=order.authority.jurisdiction,
                authority=order.authority.name,
                requester_kind=order.authority.kind.value,
                legal_basis=order.legal_basis,
                case_id=order.case_id,
                actions_asked=tuple(action.value for action in order.request.actions),
                scope_asked=order.request.scope,
                outcome=outcome,
                scope_enforced=order.scope,
                resources=len(order.targets),
                refused=compliance.refused,
                refusals=compliance.refusals,
            )
        )

    for data in entries:
        entry = log_entries.parse_entry(data)
        kind = entry["kind"]
        if kind not in (log_entries.ENFORCEMENT_COUNTS, log_entries.APPEAL_OUTCOME):
            continue
        named = everything.get(str(entry["order"]))
        if named is None:
            raise VerificationError(f"the log names an unknown order {entry['order']!r}")
        c = tallies[(named.authority.jurisdiction, named.authority.kind.value)].counts
        if kind == log_entries.APPEAL_OUTCOME:
            if inside(_day(entry["at"])):
                c[f"appeals_{entry['outcome']}"] += 1
            continue
        if not inside(_day(entry["day"])):
            continue
        for place, counts in entry["counts"].items():
            refused, removed = int(counts.get("refused", 0)), int(counts.get("removed", 0))
            if refused + removed:
                by_country[place[:2]] += refused + removed
            if _in_scope(named, place):
                c["participants_refused_in_scope"] += refused
                c["participants_removed_in_scope"] += removed
            else:
                c["participants_affected_outside_scope"] += refused + removed

    rows = tuple(_row(code, kind, tally) for (code, kind), tally in sorted(tallies.items()))
    every = _Tally()
    for tally in tallies.values():
        every.counts.update(tally.counts)
        every.hours += tally.hours
        every.bases.update(tally.bases)
        every.actions.update(tally.actions)
    totals = _row("", "all", every, country="All jurisdictions")
    today = generated_at.astimezone(UTC).date()
    closed = min(end, today - timedelta(days=1))
    return TransparencyReport(
        start,
        end,
        generated_at,
        rows,
        totals,
        tuple(demands),
        counts_until=closed if closed >= start else None,
        open_day=today if start <= today <= end else None,
        affected_by_country=dict(sorted(by_country.items())),
    )


def _row(code: str, kind: str, tally: _Tally, *, country: str | None = None) -> ReportRow:
    counted = {f.name for f in fields(ReportRow) if f.type == "int"}
    median = round(statistics.median(tally.hours), 1) if tally.hours else None
    bases = tuple(
        LegalBasisCount(basis, n)
        for basis, n in sorted(tally.bases.items(), key=lambda item: (-item[1], item[0]))
    )
    actions = tuple(
        ActionCount(action, n)
        for action, n in sorted(tally.actions.items(), key=lambda item: (-item[1], item[0]))
    )
    return ReportRow(
        territory_code=code,
        country=country if country is not None else jurisdictions.get(code).name,
        requester_kind=kind,
        median_hours_to_decision=median,
        legal_bases=bases,
        actions_asked=actions,
        **{name: tally.counts[name] for name in counted},
    )


# Formats --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(report: TransparencyReport) -> str:
    """The report as JSON (indented; dates in ISO 8601)."""
    return json.dumps(_plain(asdict(report)), indent=2, ensure_ascii=False) + "\n"


#: The CSV's columns, modelled on Google's government-removals CSV: one line per period,
#: jurisdiction and kind of requester.
CSV_COLUMNS = (
    "period_start",
    "period_end",
    "country",
    "territory_code",
    "requester_kind",
    *(f.name for f in fields(ReportRow) if f.type == "int"),
    "median_hours_to_decision",
    "legal_bases",
    "actions_asked",
)


#: What makes a spreadsheet read a cell as a formula (or, for tab and CR, a cell starting one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``
    (OWASP's advice for CSV injection), and a carriage return inside becomes a line feed (which
    the writer quotes; a bare CR would start a new row there). Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def to_csv(report: TransparencyReport) -> str:
    """The report as CSV: a header line, then one line per jurisdiction and requester kind.
    A text cell that starts with ``= + - @``, a tab or a carriage return (a legal basis is the
    authority's own words) starts with ``'``, so that no spreadsheet runs it as a formula, and
    no carriage return inside a cell starts a row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        values = asdict(row)
        values["legal_bases"] = "; ".join(f"{b.legal_basis} ({b.demands})" for b in row.legal_bases)
        values["actions_asked"] = "; ".join(f"{a.action} ({a.demands})" for a in row.actions_asked)
        median = row.median_hours_to_decision
        values["median_hours_to_decision"] = "" if median is None else f"{median:.1f}"
        values["period_start"] = report.period_start.isoformat()
        values["period_end"] = report.period_end.isoformat()
        writer.writerow([_inert(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def to_html(report: TransparencyReport) -> str:
    """The report as one HTML page with inline SVG charts: no script, no external file."""
    return page(report)


def render(report: TransparencyReport, format: str) -> str:
    """The report in ``format`` (csv, json or html); ``InvalidInput`` for another."""
    if format == "csv":
        return to_csv(report)
    if format == "json":
        return to_json(report)
    if format == "html":
        return to_html(report)
    raise InvalidInput(f"format: must be one of {', '.join(FORMATS)}", field="format")


def parse_day(value: str, field: str) -> date:
    """A date given as YYYY-MM-DD; ``InvalidInput`` naming ``field`` otherwise."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field) from exc
