"""The transparency report as one HTML page: tables and inline SVG bar charts, no JavaScript.

Every bar carries its number as text and every chart a ``<title>`` and a table of the same figures,
so the page reads the same in a text browser, a screen reader or on paper.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from remit import jurisdictions
from remit._worldmap import world_map
from remit.errors import InvalidInput
from remit.transparency._report_model import ReportRow, TransparencyReport

_WIDTH = 720
_LABEL = 220
_BAR = 22
_GAP = 8
_OUTCOMES = (
    ("rejected", "Rejected", "#6b6b6b"),
    ("complied_fully", "Complied fully", "#1f5fa8"),
    ("complied_partly", "Complied partly (less than asked)", "#7fb0e0"),
    ("pending", "Pending", "#e0c060"),
)
_PEOPLE = (
    ("participants_refused_in_scope", "Refused inside scope", "#1f5fa8"),
    ("participants_removed_in_scope", "Removed inside scope", "#7fb0e0"),
    ("participants_affected_outside_scope", "Affected outside scope", "#c0392b"),
)
_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
.scroll{max-width:100%;overflow-x:auto}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.text{text-align:left}
caption{text-align:left;font-weight:bold;margin:.5em 0}
svg text{font:12px system-ui,sans-serif}
.legend span{display:inline-block;margin-right:1.2em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
"""


def _label(row: ReportRow) -> str:
    if not row.territory_code:
        return "All"
    return f"{row.country} ({row.territory_code}), {row.requester_kind}"


def _place(code: str) -> str:
    try:
        return f"{jurisdictions.get(code).name} ({code})"
    except InvalidInput:
        return code


def _legend(series: tuple[tuple[str, str, str], ...]) -> str:
    items = "".join(
        f'<span><i style="background:{color}"></i>{escape(name)}</span>'
        for _, name, color in series
    )
    return f'<p class="legend">{items}</p>'


def _chart(
    title: str, rows: tuple[ReportRow, ...], series: tuple[tuple[str, str, str], ...]
) -> str:
    """A horizontal stacked bar per row; each segment labelled with its number."""
    totals = [sum(int(getattr(row, key)) for key, _, _ in series) for row in rows]
    scale = (_WIDTH - _LABEL - 60) / max([*totals, 1])
    height = max(1, len(rows)) * (_BAR + _GAP) + _GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_WIDTH} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    if not rows:
        parts.append(f'<text x="0" y="{_BAR}">Nothing in this period.</text>')
    for n, (row, total) in enumerate(zip(rows, totals, strict=True)):
        y = _GAP + n * (_BAR + _GAP)
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + _BAR * 0.7:.1f}" text-anchor="end">'
            f"{escape(_label(row))}</text>"
        )
        x = float(_LABEL)
        for key, name, color in series:
            value = int(getattr(row, key))
            if not value:
                continue
            width = value * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_BAR}" '
                f'fill="{color}"><title>{escape(name)}: {value}</title></rect>'
            )
            if width >= 18:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + _BAR * 0.7:.1f}" '
                    f'text-anchor="middle" fill="#fff">{value}</text>'
                )
            x += width
        if total:
            parts.append(f'<text x="{x + 6:.1f}" y="{y + _BAR * 0.7:.1f}">{total}</text>')
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{escape(title)}</figcaption></figure>"


_COLUMNS = (
    ("demands_received", "Demands"),
    ("rejected", "Rejected"),
    ("complied_fully", "Complied fully"),
    ("complied_partly", "Complied partly"),
    ("clarification_requested", "Clarification asked"),
    ("pending", "Pending"),
    ("asked_beyond_jurisdiction", "Asked beyond jurisdiction"),
    ("account_actions_asked", "Account actions asked"),
    ("accounts_suspended", "Accounts suspended"),
    ("resources_restricted", "Resources restricted"),
    ("participants_refused_in_scope", "Refused in scope"),
    ("participants_removed_in_scope", "Removed in scope"),
    ("participants_affected_outside_scope", "Affected outside scope"),
    ("appeals_filed", "Appeals filed"),
    ("appeals_upheld", "Upheld"),
    ("appeals_reversed", "Reversed"),
    ("median_hours_to_decision", "Median hours to decision"),
)


def _numbers(report: TransparencyReport) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for _, name in _COLUMNS)

    def line(row: ReportRow) -> str:
        cells = []
        for key, _ in _COLUMNS:
            value = getattr(row, key)
            cells.append(f"<td>{'–' if value is None else escape(str(value))}</td>")
        return f"<tr><th>{escape(_label(row))}</th>{''.join(cells)}</tr>"

    by_place = "".join(line(row) for row in report.rows)
    return (
        '<div class="scroll"><table id="by-jurisdiction">'
        "<caption>Numbers by jurisdiction and kind of authority</caption>"
        f"<thead><tr><th>Jurisdiction, authority</th>{head}</tr></thead>"
        f"<tbody>{by_place}</tbody></table></div>"
        '<div class="scroll"><table id="totals"><caption>All jurisdictions</caption>'
        f"<thead><tr><th></th>{head}</tr></thead>"
        f"<tbody>{line(report.totals)}</tbody></table></div>"
    )


def _bases(report: TransparencyReport) -> str:
    lines = "".join(
        f'<tr><td class="text">{escape(b.legal_basis or "(none stated)")}</td>'
        f"<td>{b.demands}</td></tr>"
        for b in report.totals.legal_bases
    )
    return (
        "<table><caption>Legal bases cited</caption><thead><tr><th>Legal basis</th>"
        f"<th>Demands</th></tr></thead><tbody>{lines}</tbody></table>"
    )


def _demands(report: TransparencyReport) -> str:
    lines = []
    for d in report.demands:
        enforced = ", ".join(d.scope_enforced) if d.scope_enforced else "–"
        refused = "<br>".join(escape(line) for line in d.refused) or "–"
        lines.append(
            "<tr>"
            f'<td class="text">{escape(d.received_at.date().isoformat())}</td>'
            f'<td class="text">{escape(d.authority)} ({escape(_place(d.territory_code))}, '
            f"{escape(d.requester_kind)})</td>"
            f'<td class="text">{escape(d.case_id or "–")}</td>'
            f'<td class="text">{escape(", ".join(d.actions_asked))} in '
            f"{escape(', '.join(d.scope_asked))}</td>"
            f'<td class="text">{escape(d.outcome.replace("_", " "))}</td>'
            f'<td class="text">{escape(enforced)}</td>'
            f"<td>{d.resources}</td>"
            f'<td class="text">{refused}</td>'
            "</tr>"
        )
    return (
        '<div class="scroll"><table id="demands">'
        "<caption>Each demand: what was asked, what was done</caption><thead><tr>"
        "<th>Received</th><th>Authority</th><th>Case</th><th>Asked</th><th>Outcome</th>"
        "<th>Scope enforced</th><th>Resources</th><th>What remit refused, and why</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


def counting_note(report: TransparencyReport) -> str:
    """When the refusals and removals of the period are published, and why they wait."""
    if report.open_day is None:
        return ""
    until = report.counts_until
    counted = (
        f"Refusals and removals are counted up to {until.isoformat()}, the last closed day (UTC)."
        if until is not None
        else "No day of this period has closed yet, so no refusal or removal is counted yet."
    )
    tomorrow = (report.open_day + timedelta(days=1)).isoformat()
    return (
        f"{counted} Those of today, {report.open_day.isoformat()}, will be published in the "
        f"public log shortly after the day closes at 00:00 UTC on {tomorrow}. They wait because "
        "each day's counts enter the log once, whole, as totals by place: a count published as "
        "it happens would tell when one person was refused or removed."
    )


def _note(report: TransparencyReport) -> str:
    note = counting_note(report)
    return f'<p class="note" id="counts-note"><strong>{escape(note)}</strong></p>' if note else ""


def _map(report: TransparencyReport) -> str:
    """The world map: the scopes enforced, the rest of the demanding authorities'
    jurisdictions, a dot for the participants refused or removed in each country."""
    scopes = sorted({code for d in report.demands for code in d.scope_enforced or ()})
    laws = sorted({row.territory_code for row in report.rows})
    svg = world_map(
        scopes,
        laws,
        report.affected_by_country,
        title="Where demands were enforced, and participants refused or removed by country",
        legend={
            "scope": "Scope enforced",
            "partly": "Part of it enforced",
            "jurisdiction": "Jurisdiction of a demanding authority",
            "participants": "participants refused or removed",
        },
        ident="report-map",
    )
    enforced = ", ".join(scopes) or "none"
    return (
        f'<figure class="map">{svg}<figcaption>Scopes enforced: {escape(enforced)}; '
        f"jurisdictions of the authorities: {escape(', '.join(laws) or 'none')}. Boundaries: "
        "Natural Earth 1:110m, public domain.</figcaption></figure>"
    )


def page(report: TransparencyReport) -> str:
    """The whole page."""
    period = f"{report.period_start.isoformat()} to {report.period_end.isoformat()}"
    generated = report.generated_at.isoformat(timespec="seconds")
    t = report.totals
    summary = (
        f"<p>{t.demands_received} demands received; {t.rejected} rejected, "
        f"{t.complied_fully} complied with fully, {t.complied_partly} partly, {t.pending} pending. "
        f"Participants affected outside the scope of an order: "
        f"<strong>{t.participants_affected_outside_scope}</strong>. Accounts suspended: "
        f"<strong>{t.accounts_suspended}</strong>.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Transparency report, {escape(period)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>Transparency report</h1><p>Government demands received from "
        f"{escape(period)} (UTC). Generated {escape(generated)}.</p>{summary}"
        f"{_note(report)}"
        "<h2>Demands and outcomes</h2>"
        f"{_legend(_OUTCOMES)}{_chart('Demands by outcome', report.rows, _OUTCOMES)}"
        "<h2>Participants refused or removed</h2>"
        f"{_map(report)}{_legend(_PEOPLE)}{_chart('Participants by place', report.rows, _PEOPLE)}"
        f"<h2>Numbers</h2>{_numbers(report)}{_bases(report)}"
        f"<h2>Demands</h2>{_demands(report)}"
        "</body></html>\n"
    )
