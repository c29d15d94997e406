"""Every interface string has its Chinese translation, and the console speaks it when asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from console_helpers import Site, csrf_of

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


def _reasons_remit_writes() -> list[str]:
    """Every reason remit itself writes in a history, by taking each step that writes one."""
    from datetime import timedelta

    from remit.orders import Authority, AuthorityKind, OrderType, Request, RequestedAction
    from remit.policy import Target

    t0 = datetime(2020, 6, 1, tzinfo=UTC)
    order = orders.record(
        id="ord-1", type=OrderType.GOVERNMENT_REQUEST,
        authority=Authority("Ministry", AuthorityKind.MINISTRY, "CN"),
        legal_basis="art. 12", case_id=None, received_at=t0,
        request=Request("Delete.", (RequestedAction.BLOCK_ACCESS,), ("CN",)),
        targets=[Target("meeting", "m")], actor="intake", now=t0,
        effective_from=t0 + timedelta(days=1), effective_until=t0 + timedelta(days=2),
    )  # fmt: skip
    reviewing = orders.start_review(order, actor="reviewer", now=t0)
    approved = orders.approve(reviewing, actor="reviewer", now=t0, justification="ok")
    active = orders.advance(approved, t0 + timedelta(days=1))
    assert active is not None
    appealed = orders.file_appeal(
        active, appeal_id="ap-1", appellant_kind="participant", appellant="p",
        reason="I live in Hong Kong", actor="platform", now=t0 + timedelta(days=1),
    )  # fmt: skip
    expired = orders.advance(appealed, t0 + timedelta(days=3))
    assert expired is not None
    written = [t.reason for t in expired.transitions if t.action != "approve"]
    return [r for r in written if r != "I live in Hong Kong"]  # the appellant's own words


def test_every_reason_remit_writes_in_a_history_is_shown_in_chinese() -> None:
    from remit.console._i18n import history_reason, translator

    reasons = _reasons_remit_writes()
    assert len(reasons) == 5  # recorded, review started, activated, appeal filed, expired
    chinese = translator("zh")
    for reason in reasons:
        shown = history_reason(reason, chinese)
        assert re.search(r"[\u4e00-\u9fff]", shown), f"no Chinese for the history reason {reason!r}"
    assert history_reason("Lawful, Carol checked", chinese) == "Lawful, Carol checked"


def test_every_role_and_the_system_have_a_chinese_name() -> None:
    from remit.orders import SYSTEM
    from remit.store import Role

    assert sorted(({r.value for r in Role} | {SYSTEM}) - set(VALUES)) == []


def test_the_order_page_in_chinese_names_roles_and_system_steps_in_chinese(site: Site) -> None:
    from test_console_review import recorded

    order_id = recorded(site)
    browser = site.signed_in("reviewer")
    browser.get(f"/lang/zh?next=/orders/{order_id}")
    page = browser.get(f"/orders/{order_id}").text
    history = page[page.index('id="history"') :]
    assert "按收到时的原样记录" in history
    assert "recorded as received" not in history
    assert "(审核人)" in page  # the roles of the person signed in


def test_every_refusal_remit_explains_has_a_chinese_template() -> None:
    from remit.console._i18n import SYSTEM_ERRORS

    for template in SYSTEM_ERRORS:
        assert ZH.get(template, "").strip(), f"no Chinese for the refusal {template!r}"
        fields = set(re.findall(r"\{(\w+)\}", template))
        assert set(re.findall(r"\{(\w+)\}", ZH[template])) == fields


def _approve_in_chinese(site: Site, who: str, order_id: str, **fields: str) -> str:
    from test_console_review import ANSWERED

    browser = site.signed_in(who)
    browser.get("/lang/zh?next=/")
    page = browser.get(f"/orders/{order_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    data = {"csrf": csrf_of(page.text), "version": version.group(1) if version else "1",
            **ANSWERED, "justification": "ok", **fields}  # fmt: skip
    return str(browser.post(f"/orders/{order_id}/approve", data=data).text)


def test_the_cores_refusals_are_shown_in_chinese(site: Site) -> None:
    from test_console_review import recorded

    order_id = recorded(site, "lead")
    widened = _approve_in_chinese(site, "reviewer", order_id, scope="TW")
    assert "scope：TW 不在机关的管辖区 CN 之内；执行范围只能缩小管辖区，不能扩大" in widened
    assert "lies outside the authority's jurisdiction" not in widened
    own = _approve_in_chinese(site, "lead", order_id)
    assert "lead 记录了此命令，不能同时批准它：须由另一人批准" in own
