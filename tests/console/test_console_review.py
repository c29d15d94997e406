"""Deciding in the console follows the API's rules: roles, four eyes, scope, optimistic lock."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from console_helpers import Site, csrf_of

from remit.console._orders import CHECKLIST
from remit.orders import Status

DEMAND: dict[str, Any] = {
    "type": "GovernmentRequest",
    "authority": {"name": "Ministry of Public Security", "kind": "ministry", "jurisdiction": "CN"},
    "legal_basis": "Cybersecurity Law art. 12",
    "case_id": "2020-0604",
    "received_at": "2020-06-01T09:00:00+08:00",
    "request": {"text": "Delete the meetings.", "action": "delete_account", "scope": ["*"]},
    "targets": [{"type": "meeting", "id": "june4-a"}, {"type": "host", "id": "host-us-1"}],
}


def recorded(site: Site, who: str = "intake") -> str:
    answer = site.api(who, "POST", "/v1/orders", json=DEMAND)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def join(site: Site, participant: str, ip: str) -> None:
    body = {
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "participant": {"id": participant, "ip": ip},
    }
    assert site.api("platform", "POST", "/v1/sessions", json=body).status_code == 201


#: Every question of the review answered: approving needs them (the console's default).
ANSWERED = {f"checklist.{name}": "yes" for name in CHECKLIST}


def decide(site: Site, who: str, order_id: str, action: str, **fields: str) -> Any:
    """``who`` takes ``action`` on the order's page; an approval answers every question of the
    review (yes) unless ``fields`` answer them."""
    if action == "approve" and not any(k.startswith("checklist.") for k in fields):
        fields = {**ANSWERED, **fields}
    browser = site.signed_in(who)
    page = browser.get(f"/orders/{order_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    data = {"csrf": csrf_of(page.text), "version": version.group(1) if version else "1", **fields}
    return browser.post(f"/orders/{order_id}/{action}", data=data, follow_redirects=False)


def test_the_order_page_shows_the_demand_beside_the_plan_and_the_impact(site: Site) -> None:
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-hk", "127.0.0.20"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)
    order_id = recorded(site)
    page = site.signed_in("reviewer").get(f"/orders/{order_id}").text
    table = page[
        page.index('id="impact-table"') : page.index("</table>", page.index('id="impact-totals"'))
    ]
    assert "Ministry of Public Security" in page
    assert '<strong id="plan-scope">CN</strong>' in page
    assert "remit never suspends or deletes an account" in page
    by_country = r'<th scope="row" data-code="(\w+)">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>'
    assert re.findall(by_country, table) == [
        ("CN", "China (mainland) (CN)", "1", "1"), ("HK", "Hong Kong (HK)", "1", "0"),
        ("US", "United States (US)", "1", "0"),
    ]  # fmt: skip
    totals = table[table.index('id="impact-totals"') :]  # the totals: a table of their own
    assert re.findall(r'<th scope="row">(\w+)</th><td>(\d+)</td><td>(\d+)</td>', totals) == [
        ("Participants", "3", "1"), ("Meetings", "1", "1"), ("Accounts", "1", "0"),
    ]  # fmt: skip
    start = page.index('id="impact-chart-title"')
    chart = page[start : page.index("</svg>", start)]
    assert ">China (mainland) (CN)</text>" in chart
    assert 'class="value">0</text>' not in chart  # no label on a bar of nothing
    assert "<svg viewBox" in page
    assert "Participants by country, as asked and as planned" in page


def test_a_reviewer_approves_with_the_checklist_and_a_narrower_scope(site: Site) -> None:
    order_id = recorded(site)
    answer = decide(
        site, "reviewer", order_id, "approve", justification="Lawful in Beijing only.",
        scope="CN-BJ", **{**ANSWERED, "checklist.written_and_signed": "no"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/orders/{order_id}?done=approve"
    order = site.node.store.get_order(order_id)
    assert order.status is Status.ACTIVE
    assert order.scope == ("CN-BJ",)
    assert order.approved_by == "reviewer"
    last = order.transitions[-1]
    assert last.reason == "Lawful in Beijing only."
    assert last.checklist is not None
    assert last.checklist.legal_basis_stated
    assert last.checklist.overbroad
    assert not last.checklist.written_and_signed
    assert order_id in site.node.snapshot.orders  # in the decision index at once
    history = site.signed_in("auditor").get(f"/orders/{order_id}").text
    assert "Lawful in Beijing only." in history
    assert "States its legal basis" in history
    assert "Not in writing and signed" in history  # each answer is a finding
    assert "Overbroad" in history


def test_the_recorder_cannot_approve_their_own_demand(site: Site) -> None:
    order_id = recorded(site, "lead")  # lead records demands and reviews them
    answer = decide(site, "lead", order_id, "approve", justification="Looks fine to me.")
    assert answer.status_code == 403
    assert "lead recorded this order and cannot also approve it" in answer.text
    assert "Looks fine to me." in answer.text  # the justification is kept
    assert site.node.store.get_order(order_id).status is Status.RECEIVED


def test_a_role_without_the_right_is_refused_and_changes_nothing(site: Site) -> None:
    order_id = recorded(site)
    for who in ("intake", "auditor"):
        page = site.signed_in(who).get(f"/orders/{order_id}").text
        assert 'action="/orders/' + order_id + '/approve"' not in page  # not offered
        answer = decide(site, who, order_id, "approve", justification="I approve.")
        assert answer.status_code == 403, who
        assert "this needs the role reviewer" in answer.text
    assert site.node.store.get_order(order_id).status is Status.RECEIVED


def test_a_scope_outside_the_jurisdiction_is_refused_beside_its_field(site: Site) -> None:
    order_id = recorded(site)
    answer = decide(
        site, "reviewer", order_id, "approve", justification="Also Hong Kong.", scope="HK"
    )
    assert answer.status_code == 422
    assert re.search(r'id="approve-scope-error"[^>]*>[^<]*HK', answer.text)
    assert 'value="HK"' in answer.text
    assert "Also Hong Kong." in answer.text
    assert site.node.store.get_order(order_id).status is Status.RECEIVED


def test_a_decision_on_a_stale_page_is_refused(site: Site) -> None:
    order_id = recorded(site)
    browser = site.signed_in("reviewer")
    page = browser.get(f"/orders/{order_id}")
    assert (
        site.api("reviewer2", "POST", f"/v1/orders/{order_id}/review", json={}).status_code == 200
    )
    answer = browser.post(
        f"/orders/{order_id}/approve",
        data={"csrf": csrf_of(page.text), "version": "1", "justification": "As I read it."},
    )
    assert answer.status_code == 409
    assert "changed since this page was opened" in answer.text
    assert site.node.store.get_order(order_id).status is Status.IN_REVIEW


def test_an_empty_justification_or_a_forged_form_changes_nothing(site: Site) -> None:
    order_id = recorded(site)
    empty = decide(site, "reviewer", order_id, "approve", justification="")
    assert empty.status_code == 422
    assert "justification" in empty.text
    forged = site.signed_in("reviewer").post(
        f"/orders/{order_id}/approve", data={"csrf": "x", "version": "1", "justification": "ok"}
    )
    assert forged.status_code == 403
    assert site.node.store.get_order(order_id).status is Status.RECEIVED


def test_reject_and_clarification_with_their_reasons(site: Site) -> None:
    first, second = recorded(site), recorded(site)
    assert decide(site, "reviewer", first, "reject", reason="No legal basis.").status_code == 303
    assert site.node.store.get_order(first).status is Status.REJECTED
    asked = decide(site, "reviewer", second, "clarify", question="Which meetings exactly?")
    assert asked.status_code == 303
    assert site.node.store.get_order(second).status is Status.CLARIFICATION_REQUESTED
    answered = decide(site, "intake", second, "answer", answer="Only june4-a.")
    assert answered.status_code == 303
    order = site.node.store.get_order(second)
    assert order.status is Status.IN_REVIEW
    assert [t.actor for t in order.transitions] == ["intake", "reviewer", "intake"]
    queue = site.signed_in("reviewer").get("/orders").text
    waiting = queue[: queue.index("Decided")]
    assert second in waiting
    assert first not in waiting


def test_the_queue_shows_a_new_demand_behind_a_thousand_older_ones(site: Site) -> None:
    template = site.node.store.get_order(recorded(site))
    older = [replace(template, id=f"ord-{n:04}", document=None) for n in range(1000)]
    site.node.store.add_orders(older)
    newest = recorded(site)
    queue = site.signed_in("reviewer").get("/orders").text
    assert newest in queue[: queue.index("Decided")]


def _page(site: Site, who: str, order_id: str) -> str:
    return str(site.signed_in(who).get(f"/orders/{order_id}").text)


def test_each_decision_is_offered_only_in_the_states_where_it_applies(site: Site) -> None:
    order_id = recorded(site)
    received = _page(site, "reviewer", order_id)
    offered = set(re.findall(rf'action="/orders/{order_id}/(\w+)"', received))
    assert offered == {"review"}  # before the review starts: nothing to decide yet
    assert "Review: answer each question" not in received
    assert decide(site, "reviewer", order_id, "review").status_code == 303
    reviewing = _page(site, "reviewer", order_id)
    assert set(re.findall(rf'action="/orders/{order_id}/(\w+)"', reviewing)) == {
        "approve", "reject", "clarify",
    }  # fmt: skip
    assert reviewing.count('<fieldset class="checklist"') == 1  # once, for approve or reject
    assert reviewing.count('name="checklist.overbroad"') == 2  # its yes and its no


def test_every_box_is_a_finding_answered_yes_or_no(site: Site) -> None:
    order_id = recorded(site)
    decide(site, "reviewer", order_id, "review")
    page = _page(site, "reviewer", order_id)
    assert "Does it ask for more than its law allows (overbroad)?" in page
    assert "It is overbroad" not in page
    assert re.search(r'value="yes"[^>]*><label[^>]*>Yes: Overbroad</label>', page)
    assert re.search(r'value="no"[^>]*><label[^>]*>No: Not overbroad</label>', page)


def test_an_approval_needs_every_question_answered(site: Site) -> None:
    order_id = recorded(site)
    decide(site, "reviewer", order_id, "review")
    half = {**ANSWERED}
    del half["checklist.overbroad"], half["checklist.authority_competent"]
    refused = decide(site, "reviewer", order_id, "approve", justification="Fine.", **half)
    assert refused.status_code == 422
    assert re.search(
        r'id="approve-checklist-error"[^>]*>[^<]*answer every question of the review before '
        r"approving \(authority_competent, overbroad\)",
        refused.text,
    )
    assert 'value="yes" checked' in refused.text  # the answers given are kept
    assert site.node.store.get_order(order_id).status is Status.IN_REVIEW
    done = decide(site, "reviewer", order_id, "approve", justification="Fine.", **ANSWERED)
    assert done.status_code == 303


def test_the_answers_required_are_configurable() -> None:
    import pytest

    from remit.console import console_routes
    from remit.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        console_routes(None, review_requires=["overbroad", "is_lawful"])  # type: ignore[arg-type]
    assert raised.value.field == "review_requires"
    assert "is_lawful is not a question of the review" in raised.value.message


def test_rejecting_from_the_review_form_keeps_one_text(site: Site) -> None:
    order_id = recorded(site)
    decide(site, "reviewer", order_id, "review")
    answer = decide(site, "reviewer", order_id, "reject", justification="No legal basis stated.")
    assert answer.status_code == 303
    order = site.node.store.get_order(order_id)
    assert order.status is Status.REJECTED
    assert order.transitions[-1].reason == "No legal basis stated."


def test_the_impact_preview_gives_the_cause_of_every_zero_and_shortfall(site: Site) -> None:
    for participant, ip in (
        ("p-cn", "127.0.0.10"), ("p-bj", "127.0.0.11"), ("p-hk", "127.0.0.20"),
        ("p-us", "127.0.0.50"), ("p-private", "10.9.9.9"),
    ):  # fmt: skip
        join(site, participant, ip)
    order_id = recorded(site)
    reviewer = site.signed_in("reviewer")
    page = reviewer.get(f"/orders/{order_id}", params={"scope": "CN-BJ"}).text
    why = page[page.index('id="left-alone"') : page.index("</ul>", page.index('id="left-alone"'))]
    assert re.findall(r'<li data-cause="(\w+)">([^<]+)</li>', why) == [
        ("location_unknown", "1 whose location is unknown"),
        ("country_only", "1 placed in CN without a province or region, where the scope names "
                         "only part of it"),
        ("outside_scope", "2 placed outside the scope: HK, US"),
        ("account_actions", "1 account(s) asked for: remit never acts on an account"),
    ]  # fmt: skip
    table = page[page.index('id="impact-table"') : page.index("</table>")]
    row = r'data-code="(\w+)">[^<]+</th><td>(\d+)</td><td>(\d+)</td><td class="why">(.*?)</td>'
    rows = {code: (asked, planned, cell) for code, asked, planned, cell in re.findall(row, table)}
    assert rows["CN"][:2] == ("2", "1")
    assert "1 without a province or region" in rows["CN"][2]
    assert "1 outside the scope" in rows["US"][2]
    assert "1 location unknown" in rows["unknown"][2]
    reviewer.get("/lang/zh?next=/")
    chinese = reviewer.get(f"/orders/{order_id}", params={"scope": "CN-BJ"}).text
    assert "1 人：仅定位到 CN，没有省级地区" in chinese


def test_an_order_nobody_attended_says_why_its_counts_are_zero(site: Site) -> None:
    page = site.signed_in("reviewer").get(f"/orders/{recorded(site)}").text
    assert '<li data-cause="no_attendance">No one attended the targeted meetings since ' in page


def test_the_impact_preview_maps_the_scope_the_jurisdiction_and_the_participants(
    site: Site,
) -> None:
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-hk", "127.0.0.20"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)
    order_id = recorded(site)
    reviewer = site.signed_in("reviewer")
    page = reviewer.get(f"/orders/{order_id}").text
    svg = page[
        page.index('<svg id="impact-map"') : page.index("</svg>", page.index('id="impact-map"'))
    ]
    kinds = dict(re.findall(r'<path data-code="(\w\w)" data-kind="(\w+)"', svg))
    assert kinds["CN"] == "scope"
    assert kinds["TW"] == kinds["US"] == kinds["RU"] == "other"
    assert len(kinds) > 150  # the world, not the scope alone
    assert re.search(r'<circle data-code="HK" data-kind="other"', svg)  # a point: too small
    dots = dict(re.findall(r'class="dot" data-code="(\w\w)" data-count="(\d+)"', svg))
    assert dots == {"CN": "1", "HK": "1", "US": "1"}
    assert "Made with Natural Earth (public domain)" in svg
    assert "<script" not in page[page.index('id="impact-map-figure"') :]
    narrowed = reviewer.get(f"/orders/{order_id}", params={"scope": "CN-BJ"}).text
    assert '<path data-code="CN" data-kind="partly"' in narrowed
