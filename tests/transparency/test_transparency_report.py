"""The transparency report: every demand counted (rejected ones too), what was asked beside what
was done, and people affected inside and outside scope, from the log's counts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from log_builders import T0, demand, new_log, story

from remit.errors import InvalidInput, VerificationError
from remit.orders import Authority, AuthorityKind
from remit.transparency import entries
from remit.transparency.report import (
    CSV_COLUMNS,
    TransparencyReport,
    build_report,
    parse_day,
    render,
    to_csv,
    to_html,
    to_json,
)

GENERATED = datetime(2021, 12, 31, tzinfo=UTC)
KINDS = (entries.ENFORCEMENT_COUNTS, entries.APPEAL_OUTCOME)


def report_2020(extra: list[bytes] | None = None) -> TransparencyReport:
    log = new_log()
    log.log_orders(story())
    log.append_enforcement_counts(
        "ord-0001", date(2020, 6, 4), {"CN": {"refused": 5, "removed": 2}, "CN-BJ": {"removed": 1}}
    )
    log.append_enforcement_counts("ord-0001", date(2021, 1, 1), {"CN": {"refused": 100}})
    log.append_appeal_outcome("ord-0001", "filed", ["CN"], at=datetime(2020, 7, 1, tzinfo=UTC))
    log.append_appeal_outcome("ord-0001", "reversed", ["CN"], at=datetime(2020, 7, 9, tzinfo=UTC))
    return build_report(
        story(),
        [*log.entries_of_kind(KINDS), *(extra or [])],
        start=date(2020, 1, 1),
        end=date(2020, 12, 31),
        generated_at=GENERATED,
    )


def test_numbers_per_jurisdiction_and_kind_of_authority() -> None:
    report = report_2020()
    cn, ua = report.rows
    assert (cn.territory_code, cn.country, cn.requester_kind) == (
        "CN",
        "China (mainland)",
        "ministry",
    )
    assert (ua.territory_code, ua.requester_kind) == ("UA", "court")
    assert cn.demands_received == 3
    # The approved demand asked for accounts everywhere and was enforced in CN only: partial.
    assert (cn.rejected, cn.complied_fully, cn.complied_partly, cn.pending) == (1, 0, 1, 1)
    assert cn.clarification_requested == 1
    assert cn.asked_beyond_jurisdiction == 3  # each asked for "*": everywhere
    assert cn.account_actions_asked == 3
    assert cn.accounts_suspended == 0  # never, by construction
    assert cn.resources_restricted == 2  # the approved demand's two targets
    assert cn.median_hours_to_decision == 4.0  # rejected after 3 h, approved after 5 h
    assert [(b.legal_basis, b.demands) for b in cn.legal_bases] == [
        ("Cybersecurity Law art. 12", 3)
    ]
    assert (ua.demands_received, ua.complied_partly, ua.median_hours_to_decision) == (1, 1, 49.0)


def test_rejected_demands_are_in_the_report() -> None:
    report = report_2020()
    assert report.totals.rejected == 1
    assert [d.outcome for d in report.demands if d.order == "ord-0003"] == ["rejected"]


def test_enforcement_and_appeals_come_from_the_log_for_the_period() -> None:
    cn = report_2020().rows[0]
    assert cn.participants_refused_in_scope == 5  # the 2021 day is outside the period
    assert cn.participants_removed_in_scope == 3  # CN and CN-BJ: both inside the scope CN
    assert cn.participants_affected_outside_scope == 0
    assert (cn.appeals_filed, cn.appeals_upheld, cn.appeals_reversed) == (1, 0, 1)


def test_an_enforcement_outside_scope_would_show() -> None:
    outside = entries.enforcement_record("ord-0002", date(2020, 6, 5), {"UA-46": {"refused": 2}})
    ua = report_2020([outside.data]).rows[1]
    assert ua.participants_affected_outside_scope == 2  # Lviv: outside the narrowed scope Kyiv


def test_each_demand_shows_what_was_asked_and_what_was_done() -> None:
    first = report_2020().demands[0]
    assert first.order == "ord-0001"
    assert first.scope_asked == ("*",)
    assert first.actions_asked == ("delete_account",)
    assert first.outcome == "complied_partly"
    assert first.scope_enforced == ("CN",)
    assert first.refused == (
        "delete_account: remit never acts on an account; the account's resources are "
        "unavailable inside the scope only",
        "everywhere: outside the authority's jurisdiction CN; enforced in CN only",
    )
    narrowed = report_2020().demands[1]
    assert (narrowed.outcome, narrowed.scope_enforced) == ("complied_partly", ("UA-30",))


def test_the_period_defaults_to_everything_until_the_day_of_generation() -> None:
    report = build_report(story(), [], generated_at=GENERATED)
    assert report.period_start == T0.date()
    assert report.period_end == date(2021, 12, 31)
    assert report.totals.demands_received == 5
    empty = build_report([], [], generated_at=GENERATED)
    assert empty.period_start == empty.period_end == date(2021, 12, 31)
    assert empty.rows == ()


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        build_report([], [], start=date(2021, 1, 1), end=date(2020, 1, 1), generated_at=GENERATED)
    assert raised.value.field == "to"


def test_days_are_read_strictly() -> None:
    assert parse_day("2020-06-04", "from") == date(2020, 6, 4)
    for bad in ("2020-6-4", "20200604", "2020-02-30", "today"):
        with pytest.raises(InvalidInput):
            parse_day(bad, "from")


def test_an_entry_naming_an_unknown_order_is_an_error() -> None:
    stray = entries.enforcement_record("ord-none", date(2020, 6, 5), {"CN": {"refused": 1}})
    with pytest.raises(VerificationError, match="unknown order"):
        report_2020([stray.data])


def test_csv_columns_are_modelled_on_google_government_removals() -> None:
    text = to_csv(report_2020())
    lines = list(csv.reader(io.StringIO(text)))
    assert tuple(lines[0]) == CSV_COLUMNS
    assert lines[0][:5] == [
        "period_start",
        "period_end",
        "country",
        "territory_code",
        "requester_kind",
    ]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["period_start"] == "2020-01-01"
    assert rows[0]["country"] == "China (mainland)"
    assert rows[0]["demands_received"] == "3"
    assert rows[0]["median_hours_to_decision"] == "4.0"
    assert rows[0]["legal_bases"] == "Cybersecurity Law art. 12 (3)"
    assert rows[1]["median_hours_to_decision"] == "49.0"


def test_json_has_the_rows_totals_and_demands() -> None:
    value = json.loads(to_json(report_2020()))
    assert value["generated_at"] == "2021-12-31T00:00:00Z"
    assert value["totals"]["demands_received"] == 4
    assert value["totals"]["participants_affected_outside_scope"] == 0
    assert value["demands"][0]["scope_asked"] == ["*"]
    assert render(report_2020(), "json") == to_json(report_2020())


def test_html_reads_without_javascript_and_escapes_what_it_shows() -> None:
    odd = demand("ord-0009", authority=Authority("<b>Bureau</b> & co", AuthorityKind.POLICE, "CN"))
    report = build_report(
        [*story(), odd], [], start=date(2020, 1, 1), end=date(2020, 12, 31), generated_at=GENERATED
    )
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert page.count("<svg") == 3  # two charts and the map
    assert "<title>Demands by outcome</title>" in page
    assert "&lt;b&gt;Bureau&lt;/b&gt; &amp; co" in page
    assert "<b>Bureau" not in page
    assert "Affected outside scope" in page


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        render(report_2020(), "pdf")
    assert raised.value.field == "format"


@pytest.mark.parametrize(
    "basis",
    [
        "@SUM(1+1)*cmd|' /C calc'!A0",
        '=HYPERLINK("http://evil.example")',
        "+1+1",
        "-2+3",
        "\tTAB",
        "\rCR",
    ],
)
def test_no_csv_cell_is_a_formula_a_spreadsheet_would_run(basis: str) -> None:
    order = demand("ord-0009", legal_basis=basis)
    built = build_report([order], [], start=date(2020, 1, 1), end=None, generated_at=GENERATED)
    rows = list(csv.DictReader(io.StringIO(to_csv(built), newline="")))
    assert len(rows) == 1
    assert rows[0]["legal_bases"] == f"'{basis} (1)".replace("\r", "\n")
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    # The JSON report keeps the authority's words as they were.
    assert json.loads(to_json(built))["rows"][0]["legal_bases"][0]["legal_basis"] == basis


def test_a_carriage_return_inside_a_cell_starts_no_row() -> None:
    order = demand("ord-0009", legal_basis="art. 1\r=cmd|' /C calc'!A0")
    built = build_report([order], [], start=date(2020, 1, 1), end=None, generated_at=GENERATED)
    text = to_csv(built)
    assert "\r" not in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["legal_bases"] for row in rows] == ["art. 1\n=cmd|' /C calc'!A0 (1)"]


def test_the_report_maps_the_scopes_the_jurisdictions_and_the_participants() -> None:
    outside = entries.enforcement_record("ord-0002", date(2020, 6, 5), {"UA-46": {"refused": 2}})
    report = report_2020([outside.data])
    assert report.affected_by_country == {"CN": 8, "UA": 2}
    assert json.loads(to_json(report))["affected_by_country"] == {"CN": 8, "UA": 2}
    page = to_html(report)
    svg = page[page.index('<svg id="report-map"') : page.index("</svg>", page.index("report-map"))]
    kinds = dict(re.findall(r'<path data-code="(\w\w)" data-kind="(\w+)"', svg))
    assert kinds["CN"] == "scope"  # ord-0001 enforced in all of CN
    assert kinds["UA"] == "partly"  # ord-0002 narrowed to Kyiv (UA-30)
    assert kinds["RU"] == kinds["TW"] == "other"
    dots = dict(re.findall(r'class="dot" data-code="(\w\w)" data-count="(\d+)"', svg))
    assert dots == {"CN": "8", "UA": "2"}
    assert "Scopes enforced: CN, UA-30" in page
    assert "Natural Earth" in page


def test_the_map_data_ships_with_its_licence_note() -> None:
    from importlib import resources

    from remit._worldmap import map_data

    data = map_data()
    assert "Public domain" in data["licence"]
    assert "Natural Earth" in data["source"]
    readme = resources.files("remit._worldmap").joinpath("README.md")
    assert "public domain" in readme.read_text("utf-8")
    assert {"CN", "TW", "US", "UA", "RU"} <= set(data["countries"])
    assert {"HK", "MO"} <= set(data["points"])  # too small for 1:110m, drawn as points
