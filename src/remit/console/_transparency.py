"""The transparency page: the report's numbers and charts, and the log's latest checkpoint.

It shows what the public endpoints publish (``/v1/reports/transparency``, ``/v1/log/checkpoint``),
built by the same functions, with the command that verifies the checkpoint independently.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.api import HTTPProblem, Node, log_of, report_of
from remit.console._auth import SignInRequired
from remit.console._charts import grouped
from remit.console._i18n import pick, translator
from remit.console._places import labelled
from remit.console._web import Console
from remit.enforcement import REFUSED, REMOVE, daily_counts
from remit.transparency import entries as log_entries
from remit.transparency.report import TransparencyReport, build_report

PEOPLE = (
    "participants_removed_in_scope",
    "participants_refused_in_scope",
    "participants_affected_outside_scope",
)
OUTCOMES = ("rejected", "complied_fully", "complied_partly", "pending")


def today_so_far(node: Node) -> TransparencyReport | None:
    """Today's refusals and removals (UTC), read from the store now: what the log publishes
    once the day has closed. None when this node runs no live enforcement."""
    if node.enforcer is None:
        return None
    now = node.clock().astimezone(UTC)
    day = now.date()
    since = datetime.combine(day, time.min, tzinfo=UTC)
    commands = node.enforcer.store.commands_between(
        since, since + timedelta(days=1), [REMOVE, REFUSED]
    )
    records = [
        log_entries.enforcement_record(order_id, day, by_place).data
        for order_id, by_place in sorted(daily_counts(commands).items())
    ]
    orders = node.store.changes_since(0).orders
    return build_report(orders, records, start=day, end=day, generated_at=now)


def _build(node: Node) -> tuple[TransparencyReport, TransparencyReport | None, str, str]:
    log = log_of(node)
    report = report_of(node, None, None)
    return report, today_so_far(node), log.checkpoint(), log.signer.verifier_key()


async def transparency_page(console: Console, request: Request) -> Response:
    viewer = await console.sessions.viewer(request)
    if viewer is None:
        raise SignInRequired()
    try:
        report, today, checkpoint, key = await run_in_threadpool(_build, console.node)
    except HTTPProblem as exc:  # this node keeps no log
        shown: dict[str, object] = {"report": None, "unavailable": exc.detail}
        return console.render(request, viewer, "transparency.html", shown, 503)
    rows = [r for r in report.rows if r.territory_code]
    language = pick(request)
    translate = translator(language)
    labels = [
        f"{labelled(r.territory_code, language)}, {translate(r.requester_kind)}" for r in rows
    ]
    people = {
        key_: {lbl: int(getattr(r, key_)) for lbl, r in zip(labels, rows, strict=True)}
        for key_ in PEOPLE
    }
    outcomes = {
        key_: {lbl: int(getattr(r, key_)) for lbl, r in zip(labels, rows, strict=True)}
        for key_ in OUTCOMES
    }
    base = str(request.base_url).rstrip("/")
    context = {
        "report": report,
        "today": today,
        "today_rows": [r for r in today.rows if r.territory_code] if today else [],
        "next_day": report.open_day + timedelta(days=1) if report.open_day else None,
        "people_chart": grouped(labels, PEOPLE, people),
        "outcome_chart": grouped(labels, OUTCOMES, outcomes),
        "people": PEOPLE,
        "outcomes": OUTCOMES,
        "checkpoint": checkpoint,
        "verifier_key": key,
        "base": base,
        "unavailable": "",
    }
    return console.render(request, viewer, "transparency.html", context)
