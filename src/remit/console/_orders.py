"""The demand pages: the queue, intake, and the order page where a reviewer decides.

Every change goes through the API's own functions (``record_order``, ``step_for`` and
``Node.act``), so four eyes, narrowing only inside the jurisdiction and every other rule hold
here exactly as in the API. The forms add one check of their own: the order's ``version`` the
reviewer saw, so that a decision taken on a page that has gone stale is refused (``Conflict``)
rather than applied to an order someone else changed meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from remit import orders
from remit.api import (
    STEP_BODIES,
    HTTPProblem,
    ImpactOut,
    document_response,
    endpoint_roles,
    explain,
    impact_of,
    record_order,
    step_for,
)
from remit.console._auth import Viewer, require
from remit.console._charts import grouped
from remit.console._i18n import N_
from remit.console._intake import (
    ACTIONS_PREFIX,
    TEXT_FIELDS,
    document_of,
    input_field,
    kept_inputs,
    order_from_form,
)
from remit.console._web import Console, redirect
from remit.enforcement import HOST_NOTICE, REMOVE
from remit.errors import Conflict, InvalidInput, NotFound
from remit.orders import Checklist, Order, Status
from remit.store import AuditEntry

ORDER = "/v1/orders/{id}"
CHECKLIST = tuple(f.name for f in fields(Checklist))
#: Each question of the review, answered yes or no: every answer is a finding.
CHECKLIST_LABELS = {
    "legal_basis_stated": N_("Does the demand state its legal basis?"),
    "authority_competent": N_("Is the authority competent for it?"),
    "written_and_signed": N_("Is it in writing and signed?"),
    "targets_inside_jurisdiction": N_("Are its targets inside the authority's jurisdiction?"),
    "overbroad": N_("Does it ask for more than its law allows (overbroad)?"),
    "gag_order_without_end_date": N_("Does it forbid telling anyone, with no end date?"),
}
#: The finding each answer records, as the history shows it: (yes, no).
FINDINGS = {
    "legal_basis_stated": (N_("States its legal basis"), N_("States no legal basis")),
    "authority_competent": (N_("The authority is competent"), N_("The authority is not competent")),
    "written_and_signed": (N_("In writing and signed"), N_("Not in writing and signed")),
    "targets_inside_jurisdiction": (
        N_("Targets inside the jurisdiction"),
        N_("Targets not inside the jurisdiction"),
    ),
    "overbroad": (N_("Overbroad"), N_("Not overbroad")),
    "gag_order_without_end_date": (N_("Gags us with no end date"), N_("No open-ended gag")),
}
#: An answer the form takes as yes ("on": a checkbox ticked, as older forms sent).
_YES = frozenset({"yes", "on"})
#: HTTP status of a form re-shown after each kind of problem.
STATUS = {"four-eyes": 403, "conflict": 409, "not-found": 404, "too-large": 413}


async def _audit(console: Console, viewer: Viewer, action: str, subject: str, outcome: str) -> None:
    entry = AuditEntry(viewer.name, f"console {action}", subject, console.node.clock(), outcome)
    await run_in_threadpool(console.node.store.audit, entry)


# The queue ----------------------------------------------------------------------------------


async def queue(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", "/v1/orders")
    store = console.node.store
    # Every open order, however many came before it (a page of the oldest would hide new ones).
    waiting = await run_in_threadpool(store.orders_in, sorted(orders.OPEN))
    found = await run_in_threadpool(lambda: store.list_orders(limit=1000))
    decided = sorted(
        (o for o in found if o.status not in orders.OPEN), key=lambda o: o.id, reverse=True
    )
    context = {"waiting": waiting, "decided": decided[:100]}
    return console.render(request, viewer, "queue.html", context)


# Intake -------------------------------------------------------------------------------------

INTAKE_DEFAULTS = {
    "type": "GovernmentRequest",
    "authority.kind": "ministry",
    "request.scope": "*",
    "utc_offset": "+00:00",
}


async def new_form(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "POST", "/v1/orders")
    context = {"values": dict(INTAKE_DEFAULTS), "options": _options(console)}
    return console.render(request, viewer, "intake.html", context)


async def create(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "POST", "/v1/orders")
    try:
        async with console.form(request, viewer) as form:
            return await _record(console, request, viewer, form)
    except HTTPException as exc:  # a body the parser refuses, such as a file too large
        if exc.status_code != 400:
            raise
        errors = {"document": f"document: {exc.detail}"}
        context = {"values": dict(INTAKE_DEFAULTS), "options": _options(console), "errors": errors}
        return console.render(request, viewer, "intake.html", context, 413)


async def _record(
    console: Console, request: Request, viewer: Viewer, form: dict[str, Any]
) -> Response:
    values = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    values |= {name: "on" for name in form if name.startswith(ACTIONS_PREFIX)}
    document = None
    try:
        document = await document_of(form)
        body = await order_from_form(form, document)
        order = await run_in_threadpool(
            record_order, console.node, console.settings, body, viewer.name
        )
    except (msgspec.ValidationError, InvalidInput, HTTPProblem) as exc:
        kind, detail, field = explain(exc)
        errors = {input_field(field) or "form": detail}
        kept = kept_inputs(document) if input_field(field) != "document" else {}
        context = {
            "values": values, "options": _options(console), "errors": errors, "kept": kept,
        }  # fmt: skip
        return console.render(request, viewer, "intake.html", context, STATUS.get(kind, 422))
    await _audit(console, viewer, "record", order.id, "201")
    return redirect(f"/orders/{order.id}?done=record")


def _options(console: Console) -> dict[str, list[str]]:
    return {
        "type": [t.value for t in orders.OrderType],
        "kind": [k.value for k in orders.AuthorityKind],
        "action": [a.value for a in orders.RequestedAction],
        "target_type": list(console.settings.resource_types.names),
    }


# The order page -----------------------------------------------------------------------------


def _impact(console: Console, order: Order, narrower: str | None) -> tuple[ImpactOut | None, str]:
    try:
        return impact_of(console.node, order.id, narrower), ""
    except (HTTPProblem, InvalidInput) as exc:
        return None, explain(exc)[1]


#: Why the plan leaves participants alone, one line per cause (``{places}``: the codes).
CAUSE_LINES = {
    "sources_disagree": N_("{n} where the location sources disagree"),
    "location_unknown": N_("{n} whose location is unknown"),
    "country_only": N_(
        "{n} placed in {places} without a province or region, where the scope names only part of it"
    ),
    "outside_scope": N_("{n} placed outside the scope: {places}"),
}
#: The same, short, beside one country's row.
CAUSE_SHORT = {
    "sources_disagree": N_("{n} sources disagree"),
    "location_unknown": N_("{n} location unknown"),
    "country_only": N_("{n} without a province or region"),
    "outside_scope": N_("{n} outside the scope"),
}


def _seen_by_country(impact: ImpactOut) -> dict[str, int]:
    """Every participant of the targeted meetings by country: those the plan reaches and those
    it leaves alone (the map's dots)."""
    seen = Counter(impact.planned.by_country)
    for cause in impact.left_alone:
        seen.update(cause.by_country)
    return dict(seen)


def _causes_by_country(impact: ImpactOut) -> dict[str, list[tuple[str, int]]]:
    """Per country of the table, each cause of the participants left alone there, with counts."""
    found: dict[str, list[tuple[str, int]]] = {}
    for cause in impact.left_alone:
        for country, n in cause.by_country.items():
            found.setdefault(country, []).append((cause.cause, n))
    return found


def _since(impact: ImpactOut) -> str:
    since = impact.attendance_since
    return str(since.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _impact_chart(impact: ImpactOut) -> Any:
    countries = sorted(set(impact.as_asked.by_country) | set(impact.planned.by_country))
    values = {"asked": impact.as_asked.by_country, "planned": impact.planned.by_country}
    return grouped(countries, ("asked", "planned"), values)


async def order_page(
    console: Console,
    request: Request,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", ORDER)
    order = await run_in_threadpool(console.node.store.get_order, request.path_params["id"])
    narrower = request.query_params.get("scope") or None
    impact, impact_error = await run_in_threadpool(_impact, console, order, narrower)
    if impact is None and narrower:
        impact, _ = await run_in_threadpool(_impact, console, order, None)
    plan_scope = order.scope
    if plan_scope is None:
        try:
            plan_scope = orders.enforced_scope(order, None)
        except InvalidInput:
            plan_scope = ()
    context = {
        "order": order,
        "plan_scope": plan_scope,
        "impact": impact,
        "impact_error": impact_error,
        "chart": None if impact is None else _impact_chart(impact),
        "causes_by_country": {} if impact is None else _causes_by_country(impact),
        "impact_since": "" if impact is None else _since(impact),
        "seen_by_country": {} if impact is None else _seen_by_country(impact),
        "cause_lines": CAUSE_LINES,
        "cause_short": CAUSE_SHORT,
        "narrower": narrower or "",
        "checklist": [(name, CHECKLIST_LABELS[name]) for name in CHECKLIST],
        "findings": FINDINGS,
        "required": console.review_requires,
        # A refused form is shown again, with its input and why, wherever it came from.
        "actions": [*_actions(viewer, order), *(a for a in errors or {} if a in _SHOWN_IN)],
        "recorder": viewer.name == order.recorded_by,
        "errors": errors or {},
        "values": values or {},
        "done": request.query_params.get("done", ""),
        "done_counts": await run_in_threadpool(_enforced, console, order),
        "account_actions": {action.value for action in orders.ACCOUNT_ACTIONS},
        "impact_roles": endpoint_roles("GET", "/v1/orders/{id}/impact"),
    }
    return console.render(request, viewer, "order.html", context, status)


#: The states in which the console offers each step: a demand is reviewed before it is
#: decided, so a received one offers only to start the review (the API still takes any step
#: the lifecycle allows).
def _enforced(console: Console, order: Order) -> dict[str, int]:
    """How many removals and host notices the order has made so far."""
    enforcer = console.node.enforcer
    if enforcer is None or not order.in_force:
        return {"removed": 0, "hosts": 0}
    commands = enforcer.store.list_commands(order_id=order.id, limit=10_000)
    kinds = Counter(c.type for c in commands)
    return {"removed": kinds[REMOVE], "hosts": kinds[HOST_NOTICE]}


_SHOWN_IN = {
    "review": {Status.RECEIVED},
    "approve": {Status.IN_REVIEW},
    "reject": {Status.IN_REVIEW, Status.CLARIFICATION_REQUESTED},
    "clarify": {Status.IN_REVIEW},
    "answer": {Status.CLARIFICATION_REQUESTED},
    "lift": {Status.APPROVED, Status.ACTIVE},
}


def _actions(viewer: Viewer, order: Order) -> list[str]:
    """The forms to show: the steps the viewer's roles allow in the order's state; never the
    approval to the person who recorded the demand (four eyes: the step would refuse them)."""
    return [
        action
        for action in ("review", "approve", "reject", "clarify", "answer", "lift")
        if order.status in _SHOWN_IN[action]
        and viewer.may("POST", f"/v1/orders/{{id}}/{action}")
        and not (action == "approve" and viewer.name == order.recorded_by)
    ]


def _unanswered(form: dict[str, Any], required: Collection[str]) -> list[str]:
    return [name for name in CHECKLIST if name in required and not form.get(f"checklist.{name}")]


def _step_body(action: str, form: dict[str, Any]) -> Any:
    data: dict[str, Any] = {}
    for name in ("justification", "reason", "question", "answer"):
        if name in form:
            data[name] = str(form[name])
    if action == "reject" and "reason" not in data and "justification" in data:
        data["reason"] = data.pop("justification")  # the review form's one text, for a rejection
    if action in ("approve", "reject"):
        data["checklist"] = {name: form.get(f"checklist.{name}") in _YES for name in CHECKLIST}
    if action == "approve":
        codes = [c.strip() for c in str(form.get("scope", "")).split(",") if c.strip()]
        data["scope"] = codes or None
    return msgspec.convert(data, STEP_BODIES[action])


def _locked(step: Any, version: str, unanswered: Collection[str] = ()) -> Any:
    """``step``, refused when the order is no longer the version the reviewer saw, or when
    questions of the review that must be answered were not."""

    def locked(order: Order, now: datetime) -> Order:
        if str(order.version) != version:
            raise Conflict(
                f"order {order.id} changed since this page was opened (version {version}, "
                f"now {order.version}): read it again before deciding",
                field="version",
            )
        if unanswered:
            raise InvalidInput(
                "checklist: answer every question of the review before approving "
                f"({', '.join(unanswered)})",
                field="checklist",
            )
        result: Order = step(order, now)
        return result

    return locked


async def act(console: Console, request: Request) -> Response:
    action = request.path_params["action"]
    if action not in STEP_BODIES:
        raise NotFound(f"no step {action}")
    viewer = require(await console.sessions.viewer(request), "POST", f"/v1/orders/{{id}}/{action}")
    async with console.form(request, viewer) as form:
        return await _act(console, request, viewer, action, form)


async def _act(
    console: Console, request: Request, viewer: Viewer, action: str, form: dict[str, Any]
) -> Response:
    order_id = request.path_params["id"]
    try:
        missing = _unanswered(form, console.review_requires) if action == "approve" else []
        body = _step_body(action, form)
        version = str(form.get("version", ""))
        step = _locked(step_for(action, body, viewer.name), version, missing)
        await run_in_threadpool(console.node.act, order_id, step)
    except (msgspec.ValidationError, InvalidInput, Conflict) as exc:
        kind, detail, field = explain(exc)
        await _audit(console, viewer, action, order_id, kind)
        kept = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        errors = {action: {(field or "form").split(".")[0]: detail}}
        values = {action: kept}
        if action == "reject":  # shown again in the review form, whose one text is this
            values["approve"] = {**kept, "justification": kept.get("reason", "")} | {
                k: v for k, v in kept.items() if k == "justification"
            }
        return await order_page(
            console, request, errors=errors, values=values, status=STATUS.get(kind, 422)
        )
    await _audit(console, viewer, action, order_id, "200")
    return redirect(f"/orders/{order_id}?done={action}")


async def document(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", "/v1/orders/{id}/document")
    del viewer
    order = await run_in_threadpool(console.node.store.get_order, request.path_params["id"])
    if order.document is None:
        raise NotFound(f"order {order.id} has no document")
    content = await run_in_threadpool(console.node.store.get_document, order.id)
    return document_response(order.id, order.document, content)
