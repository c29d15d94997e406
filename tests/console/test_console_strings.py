"""Every interface string has its Chinese translation, and the console speaks it when asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_helpers import Site

from remit import orders
from remit.console._zh import VALUES, ZH
from remit.enforcement import READMIT, REFUSED, REMOVE, CommandStatus, SessionStatus

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "remit" / "console"
_LITERAL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_MARKED = re.compile(r"""\bN_\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")


def _strings() -> set[str]:
    found = set()
    for template in CONSOLE.glob("templates/*.html"):
        found |= {a or b for a, b in _LITERAL.findall(template.read_text("utf-8"))}
    for module in CONSOLE.glob("*.py"):
        found |= set(_MARKED.findall(module.read_text("utf-8")))
    return found


def test_the_templates_use_interface_strings() -> None:
    assert len(_strings()) > 100  # the extraction itself works


@pytest.mark.parametrize("text", sorted(_strings()))
def test_every_interface_string_has_a_chinese_translation(text: str) -> None:
    assert ZH.get(text, "").strip(), f"no Chinese for {text!r} in remit/console/_zh.py"
    fields = set(re.findall(r"\{(\w+)\}", text))
    assert set(re.findall(r"\{(\w+)\}", ZH[text])) == fields, "the translation drops a field"


def test_every_value_shown_by_name_has_a_chinese_translation() -> None:
    shown = {s.value for s in orders.Status} | {a.value for a in orders.RequestedAction}
    shown |= {t.value for t in orders.OrderType} | {k.value for k in orders.AuthorityKind}
    shown |= {s.value for s in CommandStatus} | {s.value for s in SessionStatus}
    shown |= {REMOVE, REFUSED, READMIT, "host.notice", "removing", "removal_failed"}
    shown |= {"record", "review", "approve", "reject", "clarify", "answer", "lift", "activate",
              "expire", "appeal", "appeal_upheld", "appeal_reversed"}  # fmt: skip
    assert sorted(shown - set(VALUES)) == []


def test_the_console_speaks_chinese_when_chosen_or_asked_for(site: Site) -> None:
    chosen = site.browser()
    chosen.get("/lang/zh?next=/signin")
    page = chosen.get("/signin").text
    assert '<html lang="zh-Hans">' in page
    assert "登录" in page
    asked = site.browser().get("/signin", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="zh-Hans">' in asked
    english = site.browser().get("/signin", headers={"Accept-Language": "fr, en;q=0.5"}).text
    assert '<html lang="en">' in english
    assert "Sign in" in english


def test_every_input_has_a_label(site: Site) -> None:
    pages = {"/orders/new": site.signed_in("lead"), "/signin": site.browser()}
    for path, browser in pages.items():
        html = browser.get(path).text
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html
        )
        assert ids, path
        for ident in ids:
            assert f'for="{ident}"' in html, f"{path}: #{ident} has no label"


def test_an_undecided_demand_is_not_awaiting_delivery_in_chinese(site: Site) -> None:
    from test_console_review import recorded

    recorded(site)
    browser = site.signed_in("auditor")
    browser.get("/lang/zh?next=/transparency")
    page = browser.get("/transparency").text
    demands = page[page.index('id="demands"') :]
    assert "尚未决定" in demands
    assert "待送达" not in demands  # that is a command's delivery, not a demand's outcome
    assert all("指令" not in text for text in ZH.values())  # orders: 命令; commands: 平台操作
