"""The transparency page: the report's numbers and charts, and the log's latest checkpoint.

It shows what the public endpoints publish (``/v1/reports/transparency``, ``/v1/log/checkpoint``),
built by the same functions, with the command that verifies the checkpoint independently.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.api import HTTPProblem, Node, log_of, report_of
from remit.console._auth import SignInRequired
from remit.console._charts import grouped
from remit.console._web import Console
from remit.transparency.report import TransparencyReport

PEOPLE = (
    "participants_removed_in_scope",
    "participants_refused_in_scope",
    "participants_affected_outside_scope",
)
OUTCOMES = ("rejected", "complied_fully", "complied_partly", "pending")


def _build(node: Node) -> tuple[TransparencyReport, str, str]:
    log = log_of(node)
    return report_of(node, None, None), log.checkpoint(), log.signer.verifier_key()


async def transparency_page(console: Console, request: Request) -> Response:
    viewer = await console.sessions.viewer(request)
    if viewer is None:
        raise SignInRequired()
    try:
        report, checkpoint, key = await run_in_threadpool(_build, console.node)
    except HTTPProblem as exc:  # this node keeps no log
        shown: dict[str, object] = {"report": None, "unavailable": exc.detail}
        return console.render(request, viewer, "transparency.html", shown, 503)
    rows = [r for r in report.rows if r.territory_code]
    labels = [r.territory_code + " " + r.requester_kind for r in rows]
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
