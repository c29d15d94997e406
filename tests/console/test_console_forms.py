"""Post/redirect/get: every form that succeeds sends the browser to a page it GETs (303), so a
reload repeats nothing; a refused form is shown again with its message and the input kept,
in an answer no cache keeps (``Cache-Control: no-store``)."""

from __future__ import annotations

import re
from typing import Any

from console_helpers import PASSWORD, Site, csrf_of
from starlette.testclient import TestClient
from test_console_intake import DEMAND, DOCUMENT
from test_console_live import _approved_with_three_present
from test_console_review import ANSWERED, decide, recorded


def _redirected(browser: TestClient, answer: Any, to: str) -> None:
    """A success: a 303 to ``to`` (a pattern), which the browser then GETs."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(to, location), location
    assert browser.get(location, follow_redirects=False).status_code == 200


def _refused(answer: Any, status: int, *kept: str) -> None:
    """A refusal: the form again, with ``kept`` in it, and nothing a cache may keep."""
    assert answer.status_code == status, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("text/html")
    for text in kept:
        assert text in answer.text, text


def test_sign_in_and_sign_out(site: Site) -> None:
    browser = site.browser()
    csrf = csrf_of(browser.get("/signin").text)
    data = {"csrf": csrf, "name": "kept-name", "password": "wrong password!"}
    wrong = browser.post("/signin", data=data)
    _refused(wrong, 401, 'value="kept-name"', "did not sign you in")
    again = browser.post("/signin", data=data)  # a reload: the refusal replaced the token
    _refused(again, 403, "security token")
    csrf = csrf_of(wrong.text)
    answer = browser.post(
        "/signin",
        data={"csrf": csrf, "name": "intake", "password": PASSWORD, "next": "/live"},
        follow_redirects=False,
    )
    _redirected(browser, answer, "/live")
    forged = browser.post("/signout", data={"csrf": "forged"}, follow_redirects=False)
    _refused(forged, 403, "security token")
    csrf = csrf_of(browser.get("/orders").text)
    out = browser.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    _redirected(browser, out, "/signin")


def test_recording_a_demand(site: Site) -> None:
    browser = site.signed_in("intake")

    def post(**changes: str) -> Any:
        data = {"csrf": csrf_of(browser.get("/orders/new").text), **DEMAND, **changes}
        files = {"document": ("notice.txt", DOCUMENT, "text/plain")}
        return browser.post("/orders/new", data=data, files=files, follow_redirects=False)

    bad = post(**{"authority.jurisdiction": "XX", "legal_basis": "Kept basis 42"})
    _refused(bad, 422, "Kept basis 42", 'value="XX"')
    _redirected(browser, post(), r"/orders/ord_\w+\?done=record")


def _step(browser: TestClient, order_id: str, action: str, stale: bool, **fields: str) -> Any:
    page = browser.get(f"/orders/{order_id}").text
    found = re.search(
        rf'action="/orders/{order_id}/{action}"[^>]*>.*?name="version" value="(\d+)"', page, re.S
    )
    assert found, f"no {action} form"
    version = "999" if stale else found.group(1)
    data = {"csrf": csrf_of(page), "version": version, **fields}
    return browser.post(f"/orders/{order_id}/{action}", data=data, follow_redirects=False)


def test_every_step_on_the_order_page(site: Site) -> None:
    reviewer, intake = site.signed_in("reviewer"), site.signed_in("intake")
    first, second = recorded(site), recorded(site)
    steps = (
        (reviewer, first, "review", {}),
        (reviewer, first, "clarify", {"question": "Kept question?"}),
        (intake, first, "answer", {"answer": "Kept answer."}),
        (
            reviewer,
            first,
            "approve",
            {**ANSWERED, "justification": "Kept justification.", "scope": "CN"},
        ),
        (reviewer, first, "lift", {"reason": "Kept lifting reason."}),
        (reviewer, second, "review", {}),
        (reviewer, second, "reject", {"reason": "Kept rejection reason."}),
    )
    for browser, order_id, action, fields in steps:  # fmt: skip
        stale = _step(browser, order_id, action, True, **fields)
        _refused(stale, 409, "changed since this page was opened", *fields.values())
        done = _step(browser, order_id, action, False, **fields)
        _redirected(browser, done, rf"/orders/{order_id}\?done={action}")


def test_four_eyes_keeps_the_approvers_input(site: Site) -> None:
    order_id = recorded(site, "lead")
    lead = site.signed_in("lead")
    _step(lead, order_id, "review", False)
    page = lead.get(f"/orders/{order_id}").text
    assert f'action="/orders/{order_id}/approve"' not in page  # not offered to the recorder
    assert "You recorded this demand, so another reviewer approves it" in page
    answer = decide(site, "lead", order_id, "approve", justification="Kept: my own demand.")
    _refused(answer, 403, "Kept: my own demand.")


def test_deciding_an_appeal(site: Site) -> None:
    order_id = _approved_with_three_present(site)
    filed = site.api(
        "platform", "POST", "/v1/appeals",
        json={"order_id": order_id, "appellant": {"kind": "participant", "id": "p-cn"},
              "reason": "I was only reading."},
    )  # fmt: skip
    appeal_id = filed.json()["id"]

    def post(who: str) -> tuple[TestClient, Any]:
        browser = site.signed_in(who)
        data = {"csrf": csrf_of(browser.get("/appeals").text), "outcome": "upheld"}
        data["reason"] = "Kept appeal reason."
        return browser, browser.post(
            f"/appeals/{appeal_id}/decide", data=data, follow_redirects=False
        )

    _, refused = post("reviewer")  # the approver: four eyes
    _refused(refused, 403, "Kept appeal reason.", 'value="upheld" checked')
    browser, done = post("reviewer2")
    _redirected(browser, done, r"/appeals\?done=decided")
