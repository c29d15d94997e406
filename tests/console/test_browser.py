"""The story of docs/design.md through the console, in a real browser (Debian's Chromium via
Playwright).

The platform puts three participants in meeting june4-a (mainland China, Hong Kong, the US);
``intake`` records the 2020 demand with its document, starts the review and is not offered the
approval (four eyes); ``reviewer`` opens it from the queue, reads the impact preview (as
asked: everyone and the host account; as planned: the mainland participant only), is refused
while questions of the review are unanswered, answers them and approves; the live view, open
all along, shows the mainland participant removed
without a reload while the others stay, and the failed delivery highlighted; the transparency
page shows the demand and the log's checkpoint. Every step saves a screenshot under
``artifacts/console/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from remit_server import RemitServer, cli_out, demand, free_port

pytestmark = pytest.mark.browser

PASSWORD = "tiananmen-1989-06-04"

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class ConsoleServer(RemitServer):
    """``remit serve`` (console included) on a SQLite file in ``tmp``. ``intake`` records
    demands and may also review (so that four eyes, not a missing role, is what stops them
    approving their own); ``reviewer`` reviews. Both sign in with :data:`PASSWORD`. The platform
    ``meet`` delivers to a port nothing listens on, so its commands fail, as with a platform that
    is down."""

    USERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "intake": ("intake", "reviewer"),
        "reviewer": ("reviewer",),
    }

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        for name in self.USERS:
            cli_out("user", "passwd", name, "--password-stdin", "--db", self.db, input=PASSWORD)
        down = f"http://127.0.0.1:{free_port()}/webhooks"  # nothing listens there
        self.add_platform("meet", "webhook", {"url": down})

    def start(self, **env: str) -> None:
        # Deliveries give up after 3 s, so the live view shows a failure within the test.
        super().start(**{"REMIT_COMMAND_TTL_SECONDS": "3", **env})

    def join(self, participant: str, ip: str, meeting: str = "june4-a") -> None:
        """The platform reports a participant in the meeting (POST /v1/sessions)."""
        body = {
            "resource": {"type": "meeting", "id": meeting, "host": "host-us-1"},
            "participant": {"id": participant, "ip": ip},
        }
        with self.client("meet") as platform:
            answer = platform.post("/v1/sessions", json=body)
        assert answer.status_code == 201, answer.text


def _missing(reason: str) -> None:
    """A missing prerequisite: a failure in CI, a skip (with the reason) elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ConsoleServer]:
    remit = ConsoleServer(tmp_path)
    remit.start()
    try:
        yield remit
    finally:
        remit.stop()


@pytest.fixture(scope="module")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


def _sign_in(page: object, base: str, name: str) -> None:
    """Sign in with the keyboard only: the name field has focus, Tab to the password, Enter."""
    from playwright.sync_api import expect

    page.goto(f"{base}/signin")  # type: ignore[attr-defined]
    expect(page.get_by_label("Name")).to_be_focused()  # type: ignore[attr-defined]
    page.keyboard.type(name)  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.type(PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/orders")  # type: ignore[attr-defined]


def test_the_2020_story_through_the_console(
    chromium: object, server: ConsoleServer, shots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = server.base
    for participant, ip in (("p-cn", "127.0.0.10"), ("p-hk", "127.0.0.20"), ("p-us", "127.0.0.50")):
        server.join(participant, ip)
    document = tmp_path / "mps-demand-2020.txt"
    document.write_text("公安部 要求: delete the four meetings and the accounts hosting them.\n")

    # intake records the demand as received, with its document.
    intake = chromium.new_context(viewport=WIDE, locale="en-US").new_page()  # type: ignore[attr-defined]
    intake.goto(f"{base}/signin")
    intake.screenshot(path=shots / "01-sign-in.png")
    _sign_in(intake, base, "intake")
    intake.get_by_role("link", name="New demand").click()
    intake.get_by_label(re.compile(r"^Authority")).fill("Ministry of Public Security")
    intake.get_by_label("Kind of authority").select_option("ministry")
    intake.get_by_label("Jurisdiction").fill("CN")
    intake.get_by_label("Legal basis").fill("Cybersecurity Law art. 12")
    intake.get_by_label("Case or reference number").fill("MPS-2020-0604")
    intake.get_by_label("Received at").fill("2020-06-01T09:00")
    intake.get_by_label("Time zone offset from UTC").fill("+08:00")
    # The 2020 demand asked two things: the meetings deleted and the accounts hosting them.
    intake.get_by_label("delete the meeting").check()
    intake.get_by_label("delete the account").check()
    intake.get_by_label("Scope asked").fill("*")
    intake.get_by_label("Text of the demand").fill(
        "Delete the meetings commemorating June 4 and the accounts hosting them."
    )
    intake.get_by_label("Targets", exact=True).fill("meeting june4-a\nhost host-us-1")
    intake.get_by_label("Document (PDF, image or text)").set_input_files(document)
    intake.screenshot(path=shots / "02-intake-form.png", full_page=True)
    intake.get_by_role("button", name="Record the demand").click()
    expect(intake.locator("#order-status")).to_have_text("received")
    expect(intake.get_by_role("link", name="mps-demand-2020.txt")).to_be_visible()
    order_url = intake.url.split("?")[0]
    intake.screenshot(path=shots / "03-recorded.png", full_page=True)

    # ... starts the review, and is not offered the approval: a second person must (four eyes).
    expect(intake.locator("#approve-form")).to_have_count(0)  # nothing to decide before review
    intake.get_by_role("button", name="Start reviewing").click()
    expect(intake.locator("#order-status")).to_have_text("in review")
    expect(intake.locator("#approve-form")).to_have_count(0)
    expect(intake.locator("#four-eyes-note")).to_contain_text("another reviewer approves it")
    intake.screenshot(path=shots / "04-four-eyes.png", full_page=True)

    # The live view is open before the approval, listening for server-sent events.
    watcher = chromium.new_context(viewport=WIDE).new_page()  # type: ignore[attr-defined]
    _sign_in(watcher, base, "reviewer")
    watcher.goto(f"{base}/live")
    live = watcher.locator("#live-panel")
    for who in ("p-cn", "p-hk", "p-us"):
        expect(live.locator(f'li[data-participant="{who}"]')).to_have_attribute(
            "data-status", "live"
        )
    expect(watcher.locator("#live-status")).to_contain_text("Updated at")  # the first event
    watcher.evaluate("window.notReloaded = true")
    watcher.screenshot(path=shots / "05-live-before.png", full_page=True)

    # reviewer opens the order from the queue and reads the impact preview.
    reviewer = chromium.new_context(viewport=WIDE).new_page()  # type: ignore[attr-defined]
    _sign_in(reviewer, base, "reviewer")
    reviewer.get_by_role("link", name="MPS-2020-0604").click()
    table = reviewer.locator("#impact-table")
    rows = {
        row.locator("th").inner_text(): row.locator("td").all_inner_texts()
        for row in table.locator("tbody tr").all()
    }
    assert rows == {  # as asked, as planned, and why the plan leaves some alone
        "China (mainland) (CN)": ["1", "1", ""],
        "Hong Kong (HK)": ["1", "0", "1 outside the scope"],
        "United States (US)": ["1", "0", "1 outside the scope"],
    }
    totals = reviewer.locator("#impact-totals")
    accounts = totals.locator("tbody tr", has_text="Accounts").locator("td").all_inner_texts()
    assert accounts == ["1", "0"]  # as asked: the host account; as planned: no account
    expect(reviewer.locator("#plan-scope")).to_have_text("CN")
    expect(reviewer.locator("figure.chart svg")).to_be_visible()
    reviewer.screenshot(path=shots / "06-review-impact.png", full_page=True)

    form = reviewer.locator("#approve-form")
    expect(reviewer.locator("fieldset.checklist")).to_have_count(1)  # once, for both decisions
    form.get_by_label("Justification").fill(
        "Lawful in CN only; enforced in mainland China, no account touched."
    )
    form.get_by_label("Yes: States its legal basis").check()
    form.get_by_role("button", name="Approve").click()  # four questions left unanswered
    expect(reviewer.get_by_role("alert")).to_contain_text("answer every question of the review")
    expect(reviewer.locator("#order-status")).to_have_text("in review")
    form = reviewer.locator("#approve-form")
    expect(form.get_by_label("Justification")).to_have_value(
        "Lawful in CN only; enforced in mainland China, no account touched."
    )
    reviewer.screenshot(path=shots / "07a-review-unanswered.png", full_page=True)
    for finding in (
        "Yes: The authority is competent",
        "Yes: In writing and signed",
        "No: Targets not inside the jurisdiction",
        "Yes: Overbroad",
        "No: No open-ended gag",
    ):
        form.get_by_label(finding).check()
    reviewer.screenshot(path=shots / "07-review-checklist.png", full_page=True)
    form.get_by_role("button", name="Approve").click()
    expect(reviewer.locator("#order-status")).to_have_text("active")
    history = reviewer.locator("#history tbody tr")
    expect(history).to_have_count(3)  # recorded, review started, approved
    expect(history.nth(2)).to_contain_text("reviewer")
    expect(history.nth(2)).to_contain_text("Overbroad")
    expect(history.nth(2)).to_contain_text("Targets not inside the jurisdiction")
    reviewer.screenshot(path=shots / "08-approved.png", full_page=True)
    assert reviewer.url.startswith(order_url)

    # The live view shows the mainland participant's removal, without a reload; the others stay.
    cn = live.locator('li[data-participant="p-cn"]')
    expect(cn).not_to_have_attribute("data-status", "live", timeout=15_000)
    for who in ("p-hk", "p-us"):
        expect(live.locator(f'li[data-participant="{who}"]')).to_have_attribute(
            "data-status", "live"
        )
    assert watcher.evaluate("window.notReloaded") is True
    removal = live.locator("tr.command", has_text="p-cn")
    expect(removal).to_be_visible()
    by_country = {
        row.locator("th").inner_text(): row.locator("td").all_inner_texts()
        for row in live.locator("table.by-country tbody tr").all()
    }
    assert by_country == {
        "China (mainland) (CN)": ["0", "1"],
        "Hong Kong (HK)": ["1", "0"],
        "United States (US)": ["1", "0"],
    }
    watcher.screenshot(path=shots / "09-live-removed.png", full_page=True)
    # The platform's receiver is down: the removal fails after its 3 s, highlighted.
    expect(removal).to_have_attribute("data-status", "failed", timeout=20_000)
    expect(removal).to_contain_text("⚠")
    expect(cn).to_have_attribute("data-status", "removal_failed")
    expect(live.locator(".counts .status.failed")).not_to_contain_text(": 0")
    watcher.screenshot(path=shots / "10-live-delivery-failed.png", full_page=True)

    # The transparency page: the demand as asked and done, and the log's checkpoint.
    reviewer.get_by_role("link", name="Transparency").click()
    demands = reviewer.locator("#demands tbody tr")
    expect(demands).to_have_count(1)
    expect(demands.first).to_contain_text("Ministry of Public Security")
    expect(demands.first).to_contain_text("everywhere")
    expect(reviewer.locator("#total-outside")).to_have_text("0")
    expect(reviewer.locator("#checkpoint")).to_contain_text("remit.example/log")
    expect(reviewer.get_by_text("remit log verify --url")).to_be_visible()
    reviewer.screenshot(path=shots / "11-transparency.png", full_page=True)
    reviewer.goto(f"{base}/v1/reports/transparency?format=html")
    assert reviewer.evaluate("document.body.scrollWidth") <= 1000  # was 1674 px wide
    reviewer.screenshot(path=shots / "11b-public-report.png", full_page=True)

    # At phone width the live view fits: nothing wider than the screen but scrolling tables.
    phone = chromium.new_context(viewport=PHONE, is_mobile=True).new_page()  # type: ignore[attr-defined]
    _sign_in(phone, base, "reviewer")
    phone.goto(f"{base}/live")
    expect(phone.locator('li[data-participant="p-cn"]')).to_have_attribute(
        "data-status", "removal_failed"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=shots / "12-phone-live.png", full_page=True)
    phone.goto(order_url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=shots / "13-phone-order.png", full_page=True)

    # The same pages in Chinese.
    reviewer.goto(order_url)
    reviewer.get_by_role("link", name="中文").click()
    expect(reviewer.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(reviewer.locator("#order-status")).to_have_text("生效中")
    expect(reviewer.get_by_role("heading", name="影响预览")).to_be_visible()
    reviewer.screenshot(path=shots / "14-order-zh.png", full_page=True)
    for page in (intake, watcher, reviewer, phone):  # end the live streams before remit stops
        page.context.close()


def test_an_html_document_opened_from_the_api_does_not_run(
    chromium: object, server: ConsoleServer
) -> None:
    """The API's document URL, opened in Chromium with the reviewer's bearer header: the
    authority's HTML is downloaded as a file, and its script never runs on remit's origin."""
    import base64
    import contextlib

    from playwright.sync_api import Error

    html = b"<script>document.title = 'ran on remit'; alert(document.cookie)</script>letter"
    body = {
        **demand("june4-b", "host-us-1"),
        "document": {
            "content": base64.b64encode(html).decode(),
            "media_type": "text/html",
            "filename": "letter.html",
        },
    }
    with server.client("intake") as intake:
        created = intake.post("/v1/orders", json=body)
    assert created.status_code == 201, created.text
    url = f"{server.base}/v1/orders/{created.json()['id']}/document"
    context = chromium.new_context(  # type: ignore[attr-defined]
        accept_downloads=True,
        extra_http_headers={"Authorization": f"Bearer {server.tokens['reviewer']}"},
    )
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Chromium aborts the navigation (an Error): the answer is a download, not a page.
    with page.expect_download() as downloading, contextlib.suppress(Error):
        page.goto(url)
    download = downloading.value
    assert download.suggested_filename == "letter.html"
    assert Path(download.path()).read_bytes() == html  # the document, as received
    assert page.title() != "ran on remit"
    assert dialogs == []
    context.close()


def test_the_impact_map_and_its_causes_in_english_and_chinese(
    chromium: object, server: ConsoleServer, shots: Path
) -> None:
    """The impact preview of a demand narrowed to Beijing: the map shades the scope's country
    as partly in scope and puts a dot where participants are; every shortfall says why (placed
    in CN without a province, location unknown, outside the scope, accounts); the same in
    Chinese, in a CJK font; the public report's map shows the scope enforced."""
    import subprocess

    from playwright.sync_api import expect

    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    if not fonts.stdout.strip():
        _missing("no Chinese font: apt-get install -y fonts-noto-cjk (.ci/run does)")
    base = server.base
    people = (("p-cn", "127.0.0.10"), ("p-bj", "127.0.0.11"), ("p-hk", "127.0.0.20"),
              ("p-us", "127.0.0.50"), ("p-nowhere", "10.9.9.9"))  # fmt: skip
    for participant, ip in people:
        server.join(participant, ip)
    with server.client("intake") as intake:
        created = intake.post("/v1/orders", json=demand("june4-a", "host-us-1"))
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    reviewer = chromium.new_context(viewport=WIDE, locale="en-US").new_page()  # type: ignore[attr-defined]
    _sign_in(reviewer, base, "reviewer")
    reviewer.goto(f"{base}/orders/{order_id}?scope=CN-BJ#impact")
    worldmap = reviewer.locator("svg#impact-map")
    expect(worldmap).to_be_visible()
    box = worldmap.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    china = worldmap.locator('path[data-code="CN"]')
    expect(china).to_have_attribute("data-kind", "partly")
    assert china.evaluate("p => getComputedStyle(p).fill") == "rgb(232, 146, 138)"
    expect(worldmap.locator('path[data-code="US"]')).to_have_attribute("data-kind", "other")
    dots = worldmap.locator("circle.dot")
    assert sorted(dots.evaluate_all("ds => ds.map(d => d.dataset.code + d.dataset.count)")) == [
        "CN2", "HK1", "US1",
    ]  # fmt: skip
    causes = reviewer.locator("#left-alone li")
    expect(causes).to_have_text([
        "1 whose location is unknown",
        "1 placed in CN without a province or region, where the scope names only part of it",
        "2 placed outside the scope: HK, US",
        "1 account(s) asked for: remit never acts on an account",
    ])  # fmt: skip
    china_row = reviewer.locator("#impact-table tbody tr", has_text="China (mainland)")
    expect(china_row.locator("td.why")).to_have_text("1 without a province or region")
    reviewer.locator("#impact").screenshot(path=shots / "15-impact-map-causes.png")

    reviewer.get_by_role("link", name="中文").click()
    expect(reviewer.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(reviewer.locator("#left-alone li").nth(1)).to_have_text(
        "1 人：仅定位到 CN，没有省级地区，而范围只涵盖其中一部分"
    )
    expect(reviewer.locator("#history tbody tr").first).to_contain_text("按收到时的原样记录")
    # Drawn in a CJK font: each character as wide as a square, not as a missing-glyph box.
    width = reviewer.locator("#impact-h").evaluate(
        "h => { const r = document.createRange(); r.selectNodeContents(h); "
        "return r.getBoundingClientRect().width / h.textContent.length; }"
    )
    size = reviewer.locator("#impact-h").evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
    assert 0.8 * size <= width <= 1.2 * size, (width, size)
    reviewer.locator("#impact").screenshot(path=shots / "16-impact-map-zh.png")

    with server.client("reviewer") as api:
        approved = api.post(
            f"/v1/orders/{order_id}/approve",
            json={"justification": "Lawful in Beijing only.", "scope": ["CN-BJ"]},
        )
    assert approved.status_code == 200, approved.text
    reviewer.goto(f"{base}/v1/reports/transparency?format=html")
    report_map = reviewer.locator("svg#report-map")
    expect(report_map).to_be_visible()
    expect(report_map.locator('path[data-code="CN"]')).to_have_attribute("data-kind", "partly")
    expect(reviewer.get_by_text("Scopes enforced: CN-BJ")).to_be_visible()
    report_map.screenshot(path=shots / "17-public-report-map.png")
    reviewer.context.close()
