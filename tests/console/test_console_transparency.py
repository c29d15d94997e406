"""The transparency page and the public report tell what happened, the same day for staff."""

from __future__ import annotations

import re

from console_helpers import Site
from test_console_review import decide, join, recorded


def _removed_and_refused_today(site: Site) -> str:
    """p-cn removed from june4-a, p-cn2 refused when joining after: both in mainland China."""
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)
    order_id = recorded(site)
    assert (
        decide(site, "reviewer", order_id, "approve", justification="CN only.").status_code == 303
    )
    body = {
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "participant": {"id": "p-cn2", "ip": "127.0.0.11"},
    }
    assert site.api("platform", "POST", "/v1/sessions", json=body).status_code == 451
    return order_id


def _dd(page: str, ident: str) -> str:
    found = re.search(rf'<dd id="{ident}">([^<]*)</dd>', page)
    assert found, f"no #{ident} on the page"
    return found.group(1)


def test_staff_see_todays_refusals_and_removals_before_the_day_closes(site: Site) -> None:
    _removed_and_refused_today(site)
    page = site.signed_in("auditor").get("/transparency").text
    assert "Today so far (2026-06-04, UTC): not yet public" in page
    assert (_dd(page, "today-refused"), _dd(page, "today-removed")) == ("1", "1")
    assert _dd(page, "today-outside") == "0"
    today = page[page.index('id="today-table"') : page.index("</table>", page.index("today-table"))]
    assert re.search(r"China \(mainland\) \(CN\)</th><td>[^<]+</td><td>1</td><td>1</td><td>0</td>",
                     today)  # fmt: skip
    # The published numbers wait for the day to close, and the page says so.
    assert (_dd(page, "total-refused"), _dd(page, "total-removed")) == ("0", "0")
    assert "will be published in the public log shortly after the day closes at 00:00 UTC on " \
        "2026-06-05" in page  # fmt: skip


def test_the_live_view_counts_today_as_it_happens(site: Site) -> None:
    browser = site.signed_in("reviewer")
    assert (
        "Today (UTC) so far: 0 joins refused, 0 participants removed"
        in browser.get("/live/panel").text
    )
    _removed_and_refused_today(site)
    panel = browser.get("/live/panel").text
    assert "Today (UTC) so far: 1 joins refused, 1 participants removed" in panel


def test_the_public_report_says_when_todays_figures_are_published_and_why(site: Site) -> None:
    _removed_and_refused_today(site)
    html = site.browser().get("/v1/reports/transparency?format=html").text
    note = re.search(r'<p class="note" id="counts-note"><strong>([^<]+)</strong>', html)
    assert note, "the report says nothing about today's counts"
    assert "counted up to 2026-06-03, the last closed day (UTC)" in note.group(1)
    assert "Those of today, 2026-06-04, will be published" in note.group(1)
    assert "a count published as it happens would tell when one person" in note.group(1)
    report = site.browser().get("/v1/reports/transparency").json()
    assert (report["counts_until"], report["open_day"]) == ("2026-06-03", "2026-06-04")
    assert report["totals"]["participants_removed_in_scope"] == 0

    # The day closes; the next sweep publishes it, and the report shows it.
    site.clock.advance(days=1)
    site.node.enforcer.sweep()  # type: ignore[union-attr]
    report = site.browser().get("/v1/reports/transparency").json()
    assert report["counts_until"] == "2026-06-04"
    assert report["totals"]["participants_removed_in_scope"] == 1
    assert report["totals"]["participants_refused_in_scope"] == 1
    page = site.signed_in("auditor").get("/transparency").text
    assert (_dd(page, "total-refused"), _dd(page, "total-removed")) == ("1", "1")
    assert (_dd(page, "today-refused"), _dd(page, "today-removed")) == ("0", "0")


def test_a_demand_enforced_narrower_than_asked_is_partial_everywhere(site: Site) -> None:
    order_id = recorded(site)  # delete the accounts, everywhere; approved for CN, no account
    decide(site, "reviewer", order_id, "approve", justification="CN only.")
    page = site.signed_in("auditor").get("/transparency").text
    line = page[page.index('id="demands"') :]
    line = line[: line.index("</tr>", line.index("<tbody>"))]
    assert "complied partly" in line
    assert "delete the account: remit never acts on an account" not in line  # values, not names
    assert "delete_account: remit never acts on an account" in line
    assert "everywhere: outside the authority&#39;s jurisdiction CN; enforced in CN only" in line
    report = site.browser().get("/v1/reports/transparency").json()
    assert report["totals"]["complied_fully"] == 0
    assert report["totals"]["complied_partly"] == 1
    (demand,) = report["demands"]
    assert demand["outcome"] == "complied_partly"
    assert [r["reason"] for r in demand["refusals"]] == ["account_actions", "beyond_jurisdiction"]
    html = site.browser().get("/v1/reports/transparency?format=html").text
    assert "What remit refused, and why" in html
    assert "everywhere: outside the authority&#x27;s jurisdiction CN; enforced in CN only" in html
    zh = site.signed_in("auditor")
    zh.get("/lang/zh?next=/transparency")
    assert "超出机关的管辖区 CN；仅在 CN 执行" in zh.get("/transparency").text


def test_the_transparency_page_maps_the_scopes_enforced(site: Site) -> None:
    order_id = recorded(site)
    decide(site, "reviewer", order_id, "approve", justification="Beijing only.", scope="CN-BJ")
    zh = site.signed_in("auditor")
    zh.get("/lang/zh?next=/transparency")
    page = zh.get("/transparency").text
    svg = page[page.index('<svg id="report-map"') : page.index("</svg>", page.index("report-map"))]
    assert '<path data-code="CN" data-kind="partly"' in svg  # a province of it enforced
    assert '<path data-code="TW" data-kind="other"' in svg
    assert "部分执行" in svg  # the legend in the page's language
