"""The live view, the appeals queue and the transparency page."""

from __future__ import annotations

import re

from console_helpers import Site, csrf_of
from test_console_review import decide, join, recorded

from remit.orders import AppealStatus


def _people(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-participant="([^"]+)" data-status="([^"]+)"', html))


def _three_present(site: Site) -> None:
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-hk", "127.0.0.20"), ("p-us", "127.0.0.50")):
        join(site, participant, ip)


def _approved_with_three_present(site: Site, *, joined: bool = False) -> str:
    if not joined:
        _three_present(site)
    order_id = recorded(site)
    assert (
        decide(site, "reviewer", order_id, "approve", justification="CN only.").status_code == 303
    )
    return order_id


def test_the_live_view_shows_the_removal_inside_the_scope_only(site: Site) -> None:
    _three_present(site)
    browser = site.signed_in("auditor")
    before = browser.get("/live/panel").text
    assert _people(before) == {"p-cn": "live", "p-hk": "live", "p-us": "live"}
    order_id = _approved_with_three_present(site, joined=True)
    after = browser.get("/live/panel").text
    assert _people(after) == {"p-cn": "removing", "p-hk": "live", "p-us": "live"}
    assert re.search(
        r'<th scope="row" data-code="CN">China \(mainland\) \(CN\)</th><td>0</td>'
        r'<td class="removed">1</td>',
        after,
    )
    commands = re.findall(r'<tr class="command (\w+)" data-status="\w+">\s*<td>([^<]+)</td>', after)
    assert sorted(commands) == [("pending", "notice to host"), ("pending", "remove participant")]
    assert f'href="/orders/{order_id}"' in after


def test_the_live_view_counts_who_was_left_alone_because_sources_disagree(site: Site) -> None:
    _three_present(site)
    join(site, "p-zed", "8.138.193.53")  # DB-IP: mainland China; the registries: Singapore
    _approved_with_three_present(site, joined=True)
    panel = site.signed_in("auditor").get("/live/panel").text
    assert _people(panel) == {
        "p-cn": "removing",
        "p-hk": "live",
        "p-us": "live",
        "p-zed": "live",
    }
    assert "Left alone because the location sources disagree: 1" in panel
    assert "Removals on locations the sources agree on: 0" in panel  # p-cn: the static table
    assert re.search(r'data-participant="p-zed"[^>]*>\s*<span class="who">p-zed</span>\s*'
                     r'<span class="where">disputed</span>', panel)  # fmt: skip


def test_a_failed_delivery_is_highlighted(site: Site) -> None:
    _approved_with_three_present(site)
    store = site.node.enforcer.store  # type: ignore[union-attr]
    for command in store.list_commands():
        store.record_attempt(
            command.key, status=command.status.FAILED, at=site.clock(), error="503"
        )
    panel = site.signed_in("reviewer").get("/live/panel").text
    assert _people(panel)["p-cn"] == "removal_failed"
    assert panel.count('<tr class="command failed"') == 2
    assert "failed: 2" in panel
    assert "⚠" in panel


def test_the_live_events_stream_carries_the_panel(site: Site) -> None:
    _approved_with_three_present(site)
    browser = site.signed_in("reviewer")
    with browser.stream("GET", "/live/events") as stream:  # the stream ends after 0.5 s
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert text.startswith("retry: 1000\n\n")
    first = text.split("\n\n")[1]
    assert first.startswith("event: roster\n")
    assert all(line.startswith(("event:", "data:")) for line in first.splitlines())
    assert 'data-participant="p-cn" data-status="removing"' in first


def test_the_live_view_is_for_staff_not_platforms(site: Site) -> None:
    browser = site.browser()
    page = browser.get("/signin")
    browser.post("/signin", data={"csrf": csrf_of(page.text), "token": site.tokens["platform"]})
    assert browser.get("/live").status_code == 403
    assert browser.get("/live/events").status_code == 403


def test_an_appeal_is_decided_by_someone_other_than_the_approver(site: Site) -> None:
    order_id = _approved_with_three_present(site)
    filed = site.api(
        "platform", "POST", "/v1/appeals",
        json={"order_id": order_id, "appellant": {"kind": "participant", "id": "p-cn"},
              "reason": "I was only reading."},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    appeal_id = filed.json()["id"]
    page = site.signed_in("reviewer").get("/appeals").text
    assert "p-cn" in page
    assert f'action="/appeals/{appeal_id}/decide"' not in page  # the approver: no form to offer
    assert (
        f'action="/appeals/{appeal_id}/decide"' in site.signed_in("reviewer2").get("/appeals").text
    )

    def post(who: str, **fields: str) -> object:
        browser = site.signed_in(who)
        csrf = csrf_of(browser.get("/appeals").text)
        return browser.post(
            f"/appeals/{appeal_id}/decide", data={"csrf": csrf, **fields}, follow_redirects=False
        )

    refused = post("reviewer", outcome="reversed", reason="Fine.")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "cannot also decide an appeal" in refused.text  # type: ignore[attr-defined]
    assert post("reviewer2", outcome="reversed").status_code == 422  # type: ignore[attr-defined]
    done = post("reviewer2", outcome="reversed", reason="Not a participant of note.")
    assert done.status_code == 303  # type: ignore[attr-defined]
    order = site.node.store.get_order(order_id)
    assert order.appeals[0].status is AppealStatus.REVERSED
    assert (order.exempt, order.exempt_on) == ((), (("platform", "p-cn"),))  # its platform only


def test_the_transparency_page_shows_the_demand_and_the_signed_checkpoint(site: Site) -> None:
    order_id = recorded(site)
    decide(site, "reviewer", order_id, "reject", reason="Outside our terms.")
    page = site.signed_in("auditor").get("/transparency").text
    published = site.browser().get("/v1/log/checkpoint").text
    assert published.splitlines()[0] == "remit.test/log"
    assert published.splitlines()[1] in page  # the size: the same log
    demands = page[page.index('id="demands"') :]
    assert "Ministry of Public Security (China (mainland) (CN))" in demands
    assert "rejected" in demands
    assert re.search(
        r"remit log verify --url http://testserver --key (&#39;|')remit\.test/log\+", page
    )
    assert '<dd id="total-outside">0</dd>' in page


def test_no_url_is_shown_with_its_credentials_or_query(site: Site) -> None:
    _approved_with_three_present(site)
    store = site.node.enforcer.store  # type: ignore[union-attr]
    leaked = "platform meet: ConnectionRefusedError at http://u:hunter2@meet.example/x?key=K"
    for command in store.list_commands():  # as an older remit recorded it
        store.record_attempt(
            command.key, status=command.status.FAILED, at=site.clock(), error=leaked
        )
    panel = site.signed_in("reviewer").get("/live/panel").text
    commands = site.api("auditor", "GET", "/v1/commands").json()["commands"]
    errors = {c["last_error"] for c in commands}
    assert errors == {"platform meet: ConnectionRefusedError at http://meet.example/x?…"}
    for shown in (panel, *errors):
        assert "hunter2" not in shown
        assert "key=K" not in shown
    assert "http://meet.example/x?…" in panel
