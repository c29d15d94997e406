"""Recording a demand in the console: as the API records it, with the document as received."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from console_helpers import Site, csrf_of

from remit.cli import cli

DEMAND = {
    "type": "GovernmentRequest",
    "authority.name": "Ministry of Public Security",
    "authority.kind": "ministry",
    "authority.jurisdiction": "CN",
    "legal_basis": "Cybersecurity Law art. 12",
    "case_id": "2020-0604",
    "received_at": "2020-06-01T09:00",
    "utc_offset": "+08:00",
    "request.action": "delete_account",
    "request.scope": "*",
    "request.text": "Delete the meetings and the accounts hosting them.",
    "targets": "meeting june4-a\nhost host-us-1",
}
DOCUMENT = "公安部通知 2020-06-01".encode()


def record(site: Site, who: str = "intake", **changes: str) -> Any:
    browser = site.signed_in(who)
    form = browser.get("/orders/new")
    data = {"csrf": csrf_of(form.text), **DEMAND, **changes}
    files = {"document": ("通知.txt", DOCUMENT, "text/plain")}
    return browser.post("/orders/new", data=data, files=files, follow_redirects=False)


def test_intake_records_the_demand_with_its_document(site: Site) -> None:
    answer = record(site)
    assert answer.status_code == 303
    order_id = answer.headers["location"].split("/")[2].split("?")[0]
    order = site.node.store.get_order(order_id)
    assert order.recorded_by == "intake"
    assert order.status.value == "received"
    assert order.authority.jurisdiction == "CN"
    assert order.request.scope == ("*",)
    assert order.received_at.isoformat() == "2020-06-01T01:00:00+00:00"
    assert [(t.type, t.id) for t in order.targets] == [
        ("meeting", "june4-a"),
        ("host", "host-us-1"),
    ]
    assert order.document is not None
    assert order.document.sha256 == hashlib.sha256(DOCUMENT).hexdigest()
    assert order.document.filename == "通知.txt"
    assert site.node.store.get_document(order_id) == DOCUMENT
    assert site.node.store.audit_trail()[0].action == "console record"


def test_the_document_downloads_as_received(site: Site) -> None:
    location = record(site).headers["location"].split("?")[0]
    download = site.signed_in("reviewer").get(f"{location}/document")
    assert download.status_code == 200
    assert download.content == DOCUMENT
    assert download.headers["x-content-sha256"] == hashlib.sha256(DOCUMENT).hexdigest()
    assert download.headers["content-disposition"].startswith("attachment;")


def test_bad_input_is_shown_beside_its_field_and_the_input_is_kept(site: Site) -> None:
    cases = {
        "authority.jurisdiction": ({"authority.jurisdiction": "XX"}, "XX"),
        "targets": ({"targets": "meeting"}, "TYPE ID"),
        "received_at": ({"received_at": "yesterday"}, "not a date"),
        "request.scope": ({"request.scope": ""}, "request.scope"),
        "utc_offset": ({"utc_offset": "8"}, "+08:00"),
    }
    for field, (changes, message) in cases.items():
        answer = record(site, **changes)
        assert answer.status_code == 422, (field, answer.text)
        input_tag = re.search(
            rf'<(?:input|textarea)[^>]*name="{re.escape(field)}"[^>]*>', answer.text
        )
        assert input_tag, field
        assert 'aria-invalid="true"' in input_tag.group(0), field
        error = re.search(rf'id="f-{re.escape(field)}-error"[^>]*>([^<]*)<', answer.text)
        assert error, field
        assert message in error.group(1), field
        assert 'value="Ministry of Public Security"' in answer.text  # the rest is kept
    assert site.node.store.list_orders() == []


def test_a_document_over_the_limit_is_refused_with_a_message(site: Site) -> None:
    browser = site.signed_in("intake")
    form = browser.get("/orders/new")
    data = {"csrf": csrf_of(form.text), **DEMAND}
    big = b"x" * (64 * 1024 + 10)
    answer = browser.post(
        "/orders/new", data=data, files={"document": ("big.pdf", big, "application/pdf")}
    )
    assert answer.status_code == 413
    assert 'id="f-document-error"' in answer.text
    assert site.node.store.list_orders() == []


def test_a_form_without_its_csrf_token_records_nothing(site: Site) -> None:
    browser = site.signed_in("intake")
    answer = browser.post("/orders/new", data={**DEMAND, "csrf": "forged"})
    assert answer.status_code == 403
    assert site.node.store.list_orders() == []


def test_only_intake_may_record(site: Site) -> None:
    browser = site.signed_in("reviewer")
    assert browser.get("/orders/new").status_code == 403
    queue = browser.get("/orders")
    answer = browser.post("/orders/new", data={**DEMAND, "csrf": csrf_of(queue.text)})
    assert answer.status_code == 403
    assert "this needs the role intake" in answer.text
    assert 'href="/orders/new"' not in queue.text  # not offered either
    assert site.node.store.list_orders() == []


def test_a_target_type_nobody_declared_is_refused_beside_the_targets(site: Site) -> None:
    form = site.signed_in("intake").get("/orders/new")
    assert "meeting, recording, channel, and host" in form.text  # the hint names the types
    answer = record(site, targets="meetng june4-a")
    assert answer.status_code == 422, answer.text
    assert "meetng" in answer.text
    assert "meeting, recording, channel" in answer.text
    assert re.search(r'<textarea[^>]*name="targets"[^>]*aria-invalid="true"', answer.text)
    assert site.node.store.list_orders() == []


def test_intake_records_the_platform_the_targets_are_on(site: Site) -> None:
    answer = record(site, **{"targets.platform": "zoomish"})
    assert answer.status_code == 303
    order_id = answer.headers["location"].split("/")[2].split("?")[0]
    order = site.node.store.get_order(order_id)
    assert {t.platform for t in order.targets} == {"zoomish"}
    page = site.signed_in("reviewer").get(f"/orders/{order_id}").text
    assert "<code>zoomish</code>" in page


def test_intake_without_a_platform_shows_every_platform(site: Site) -> None:
    order_id = record(site).headers["location"].split("/")[2].split("?")[0]
    assert {t.platform for t in site.node.store.get_order(order_id).targets} == {"*"}
    assert "on every platform" in site.signed_in("reviewer").get(f"/orders/{order_id}").text


def test_a_two_action_demand_recorded_in_the_form_is_two_on_the_page_report_and_lumen(
    site: Site, migrated_sqlite_url: str, tmp_path: Path
) -> None:
    """Issue 15, item 6: the 2020 demand asked to delete the meetings and the accounts."""
    browser = site.signed_in("intake")
    form = browser.get("/orders/new")
    assert 'name="request.actions.delete_meeting"' in form.text
    assert 'name="request.actions.delete_account"' in form.text
    data = {k: v for k, v in DEMAND.items() if k != "request.action"}
    data |= {"csrf": csrf_of(form.text), "request.actions.delete_meeting": "on",
             "request.actions.delete_account": "on"}  # fmt: skip
    files = {"document": ("通知.txt", DOCUMENT, "text/plain")}
    answer = browser.post("/orders/new", data=data, files=files, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    order_id = answer.headers["location"].split("/")[2].split("?")[0]
    asked = [a.value for a in site.node.store.get_order(order_id).request.actions]
    assert sorted(asked) == ["delete_account", "delete_meeting"]

    # The order page lists both under "Actions asked".
    page = site.signed_in("reviewer").get(f"/orders/{order_id}").text
    shown = page[page.index("Actions asked") :]
    shown = shown[: shown.index("</ul>")]
    assert sorted(re.findall(r"<li>([^<]+)</li>", shown)) == [
        "delete the account",
        "delete the meeting",
    ]

    # The public report counts the demand under each action it asked.
    report = site.browser().get("/v1/reports/transparency")
    assert report.status_code == 200, report.text
    found = report.json()
    assert found["totals"]["actions_asked"] == [
        {"action": "delete_account", "demands": 1},
        {"action": "delete_meeting", "demands": 1},
    ]
    (line,) = [d for d in found["demands"] if d["order"] == order_id]
    assert line["actions_asked"] == asked
    html = site.browser().get("/v1/reports/transparency", params={"format": "html"}).text
    assert ", ".join(asked) in html

    # The Lumen export lists both actions.
    key = tmp_path / "log.key"
    assert CliRunner().invoke(cli, ["keys", "init", "--path", str(key)]).exit_code == 0
    exported = CliRunner().invoke(
        cli, ["export", "lumen", "--db", migrated_sqlite_url, "--log-key", str(key)]
    )
    assert exported.exit_code == 0, exported.output
    (notice,) = [json.loads(line)["notice"] for line in exported.stdout.splitlines()]
    assert notice["tag_list"] == ", ".join(asked)
    assert all(a in notice["subject"] for a in asked)
