"""What a person reads: a refused form keeps its document, confirmations say what happens next,
the report keeps its totals apart and fits the page, and times are UTC with the zone shown."""

from __future__ import annotations

import re
from pathlib import Path

from console_helpers import Site, csrf_of
from test_console_intake import DEMAND, DOCUMENT
from test_console_review import decide, join, recorded

STATIC = Path(__file__).resolve().parents[2] / "src" / "remit" / "console" / "static"


def test_a_refused_form_keeps_its_document(site: Site) -> None:
    browser = site.signed_in("intake")

    def post(files: dict[str, object] | None, **changes: str) -> object:
        page = browser.get("/orders/new").text
        data = {"csrf": csrf_of(page), **DEMAND, **changes}
        return browser.post("/orders/new", data=data, files=files, follow_redirects=False)

    files = {"document": ("notice.txt", DOCUMENT, "text/plain")}
    refused = post(files, **{"authority.jurisdiction": "XX"})
    text = refused.text  # type: ignore[attr-defined]
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert f"Kept from your last try: notice.txt ({len(DOCUMENT)} B)" in text
    kept = dict(
        re.findall(r'<input type="hidden" name="(document\.kept\w*)" value="([^"]*)"', text)
    )
    done = post(None, **kept)  # the same form sent again, no file chosen
    assert done.status_code == 303  # type: ignore[attr-defined]
    order_id = done.headers["location"].split("/")[2].split("?")[0]  # type: ignore[attr-defined]
    order = site.node.store.get_order(order_id)
    assert order.document is not None
    assert order.document.filename == "notice.txt"
    assert site.node.store.get_document(order_id) == DOCUMENT


def test_confirmations_say_what_happens_next(site: Site) -> None:
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)
    order_id = recorded(site)
    browser = site.signed_in("reviewer")
    reviewed = decide(site, "reviewer", order_id, "review")
    page = browser.get(reviewed.headers["location"]).text
    assert "Review started. Answer the questions below" in page
    approved = decide(site, "reviewer", order_id, "approve", justification="CN only.")
    page = browser.get(approved.headers["location"]).text
    assert "Approved. 1 participants will be removed and 1 hosts notified" in page
    assert "Done: " not in page


def test_the_report_keeps_totals_apart_and_fits_the_page(site: Site) -> None:
    decide(site, "reviewer", recorded(site), "approve", justification="CN only.")
    html = site.browser().get("/v1/reports/transparency?format=html").text
    by_place = html[html.index('id="by-jurisdiction"') : html.index('id="totals"')]
    assert "All" not in re.findall(r"<tr><th>([^<]+)</th>", by_place)
    assert '<table id="totals"><caption>All jurisdictions</caption>' in html
    assert html.count('<div class="scroll">') == 3  # wide tables scroll inside the page
    assert "Ministry of Public Security (China (mainland) (CN), ministry)" in html


def test_the_live_view_shows_its_time_in_utc() -> None:
    script = (STATIC / "live.js").read_text("utf-8")
    assert "toLocaleTimeString" not in script
    assert '" UTC"' in script


def test_country_names_in_the_pages_language(site: Site) -> None:
    join(site, "p-cn", "127.0.0.10")
    decide(site, "reviewer", recorded(site), "approve", justification="CN only.")
    browser = site.signed_in("reviewer")
    browser.get("/lang/zh?next=/live")
    assert "中国大陆 (CN)" in browser.get("/live/panel").text
