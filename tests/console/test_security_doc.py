"""docs/security.md promises headers and cookie attributes; a console and API answer with
exactly those (the page's tables are read, then compared with real responses)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from console_helpers import PASSWORD, Site, csrf_of
from starlette.testclient import TestClient

from remit_server import demand

PAGE = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _table(marker: str) -> list[list[str]]:
    text = PAGE.read_text("utf-8")
    block = text.split(f"<!-- security {marker}:", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("| ")][1:]  # past the head
    return [[cell.strip().strip("`") for cell in row.strip("|").split(" | ")] for row in rows]


def test_the_page_has_both_tables() -> None:
    assert len(_table("headers")) >= 9
    assert {row[0] for row in _table("cookies")} >= {"remit_signin", "__Host-remit_session"}


def test_every_header_the_page_promises_is_sent(site: Site) -> None:
    document = {
        "content": base64.b64encode(b"<script>1</script>").decode(),
        "media_type": "text/html",
        "filename": "letter.html",
    }
    body = {**demand("june4-a", "host-us-1"), "document": document}
    order = site.api("intake", "POST", "/v1/orders", json=body).json()["id"]
    answers = {
        "/signin": site.browser().get("/signin"),
        "/v1/orders/{id}/document": site.api("reviewer", "GET", f"/v1/orders/{order}/document"),
    }
    for path, header, value in _table("headers"):
        assert answers[path].headers.get(header) == value, (path, header)
    for answer in answers.values():
        assert "server" not in answer.headers


def _attributes(set_cookie: str) -> tuple[str, set[str]]:
    name, _, rest = set_cookie.partition("=")
    parts = [p.strip() for p in rest.split(";")[1:] if p.strip()]
    return name, {re.sub(r"(?i)^samesite=", "SameSite=", p).lower() for p in parts}


def test_every_cookie_has_the_attributes_the_page_promises(site: Site) -> None:
    sent: dict[str, set[str]] = {}
    for scheme in ("http", "https"):
        browser = TestClient(site.app, base_url=f"{scheme}://testserver")
        page = browser.get("/signin")
        data = {"csrf": csrf_of(page.text), "name": "intake", "password": PASSWORD}
        answer = browser.post("/signin", data=data, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        for set_cookie in (*page.headers.get_list("set-cookie"),
                           *answer.headers.get_list("set-cookie")):  # fmt: skip
            name, attributes = _attributes(set_cookie)
            if "max-age=0" not in attributes:  # not a deletion
                sent.setdefault(name, attributes)
        browser.close()
    promised = {
        name: {a.strip().lower() for a in attributes.split(";")}
        for name, _, attributes in _table("cookies")
    }
    assert {name: sent.get(name) for name in promised} == promised
