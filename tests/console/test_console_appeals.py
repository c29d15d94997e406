"""An appeal a reviewer can decide from its page alone: the reason, where and on what evidence
the person was removed, the order's case and authority; the form only for those who may decide;
decided appeals with their reason, decider, time and readmissions; the same in the API."""

from __future__ import annotations

import re

from console_helpers import Site, csrf_of
from test_console_review import decide, join, recorded

REASON = "I was reading the news from Shenzhen; I said nothing."


def _appealed(site: Site) -> str:
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)
    order_id = recorded(site)
    assert decide(site, "reviewer", order_id, "approve", justification="CN.").status_code == 303
    filed = site.api(
        "platform", "POST", "/v1/appeals",
        json={"order_id": order_id, "appellant": {"kind": "participant", "id": "p-cn"},
              "reason": REASON},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    return str(filed.json()["id"])


def _card(page: str, appeal_id: str) -> str:
    start = page.index('<article class="card"')
    return page[start : page.index("</article>", start)]


def test_the_appeal_shows_what_a_reviewer_needs_to_decide(site: Site) -> None:
    appeal_id = _appealed(site)
    card = _card(site.signed_in("reviewer2").get("/appeals").text, appeal_id)
    assert REASON in card
    assert re.search(r'<a href="/orders/[^"]+" class="case">2020-0604</a>', card)
    assert "Ministry of Public Security (ministry, China (mainland) (CN))" in card
    removal = card[card.index('<table class="removals">') :]
    assert "<code>june4-a</code>" in removal
    assert "host host-us-1" in removal
    assert "<td>China (mainland) (CN)</td>" in removal  # placed in
    assert "the operator&#39;s table" in removal  # placed by: the static table
    assert f'action="/appeals/{appeal_id}/decide"' in card


def test_the_decide_form_is_only_for_those_who_may_decide(site: Site) -> None:
    appeal_id = _appealed(site)
    approver = site.signed_in("reviewer").get("/appeals").text
    assert f'action="/appeals/{appeal_id}/decide"' not in approver
    assert "You approved this order, so another reviewer decides this appeal" in approver
    auditor = site.signed_in("auditor").get("/appeals").text
    assert REASON in auditor
    assert "<form" not in _card(auditor, appeal_id)


def test_a_decided_appeal_shows_reason_decider_time_and_readmissions(site: Site) -> None:
    appeal_id = _appealed(site)
    browser = site.signed_in("reviewer2")
    csrf = csrf_of(browser.get("/appeals").text)
    site.clock.advance(hours=2)
    done = browser.post(
        f"/appeals/{appeal_id}/decide",
        data={"csrf": csrf, "outcome": "reversed", "reason": "Reading is not an offence."},
        follow_redirects=False,
    )
    assert done.status_code == 303
    card = _card(browser.get("/appeals").text, appeal_id)
    assert "<form" not in card
    assert '<dd class="decided-by">reviewer2</dd>' in card
    assert '<dd class="decision-reason">Reading is not an offence.</dd>' in card
    assert "2026-06-04 14:00 UTC" in card
    assert '<dd class="readmitted">1</dd>' in card


def test_get_appeals_returns_the_same(site: Site) -> None:
    appeal_id = _appealed(site)
    (filed,) = site.api("auditor", "GET", "/v1/appeals").json()["appeals"]
    assert filed["reason"] == REASON
    assert (filed["case_id"], filed["authority"], filed["jurisdiction"]) == (
        "2020-0604", "Ministry of Public Security", "CN",
    )  # fmt: skip
    assert filed["approved_by"] == "reviewer"
    (removal,) = filed["removals"]
    assert (removal["resource_id"], removal["place"], removal["source"]) == (
        "june4-a", "CN", "static",
    )  # fmt: skip
    assert removal["evidence"][0]["source"] == "static"
    body = {"outcome": "reversed", "reason": "Reading is not an offence."}
    decided = site.api("reviewer2", "POST", f"/v1/appeals/{appeal_id}/decide", json=body)
    assert decided.status_code == 200, decided.text
    (out,) = site.api("auditor", "GET", "/v1/appeals").json()["appeals"]
    assert (out["decided_by"], out["decision"], out["readmitted"]) == (
        "reviewer2", "Reading is not an offence.", 1,
    )  # fmt: skip
    assert out["removals"][0]["readmitted"] is True
