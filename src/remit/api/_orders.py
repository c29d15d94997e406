"""The order operations: record a demand, read orders, and every step of their lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit import jurisdictions, orders
from remit._checks import whole_number_text
from remit.api import _schemas as s
from remit.api._auth import INTAKE, READ, REVIEWER
from remit.api._convert import checklist_in, order_in, order_out
from remit.api._documents import document_response
from remit.api._endpoint import Call, Endpoint, Handler, Settings, json_response
from remit.api._node import Node, new_id
from remit.api._problems import HTTPProblem
from remit.errors import InvalidInput
from remit.orders import Status


def record_order(node: Node, settings: Settings, body: s.OrderIn, actor: str) -> orders.Order:
    """Record a demand as received by ``actor``: the API and the console both record this way."""
    if body.document is not None and len(body.document.content) > settings.max_document_bytes:
        raise HTTPProblem(
            "too-large",
            f"document.content: over the limit of {settings.max_document_bytes} bytes",
            "document.content",
        )
    kwargs, content = order_in(
        body, order_id=new_id("ord"), actor=actor, resource_types=settings.resource_types
    )
    order = orders.record(now=node.clock(), **kwargs)  # type: ignore[arg-type]
    return node.record(order, content)


async def create_order(call: Call) -> Response:
    body = await call.body(s.OrderIn)
    order = await run_in_threadpool(record_order, call.node, call.settings, body, call.actor)
    location = f"/v1/orders/{order.id}"
    return json_response(s.CreatedOut(order.id, order.status.value), 201, {"Location": location})


async def list_orders(call: Call) -> Response:
    query = call.request.query_params
    status = query.get("status")
    if status is not None and status not in {x.value for x in Status}:
        raise InvalidInput(f"status: {status!r} is not an order status", field="status")
    jurisdiction = query.get("jurisdiction")
    if jurisdiction is not None:
        jurisdiction = jurisdictions.get(jurisdiction, field="jurisdiction").code
    limit_text = query.get("limit", "100")
    limit = whole_number_text(limit_text, "limit", 1, 1000)
    found = await run_in_threadpool(
        lambda: call.node.store.list_orders(
            status=None if status is None else Status(status),
            jurisdiction=jurisdiction,
            limit=limit,
            after=query.get("after"),
        )
    )
    nxt = found[-1].id if len(found) == limit else None
    return json_response(s.OrderListOut([order_out(o) for o in found], nxt))


async def get_order(call: Call) -> Response:
    order = await run_in_threadpool(call.node.store.get_order, call.params["id"])
    return json_response(order_out(order))


async def get_document(call: Call) -> Response:
    order = await run_in_threadpool(call.node.store.get_order, call.params["id"])
    if order.document is None:
        raise HTTPProblem("not-found", f"order {order.id} has no document")
    content = await run_in_threadpool(call.node.store.get_document, order.id)
    return document_response(order.id, order.document, content)


Step = Callable[[orders.Order, datetime], orders.Order]


def step_for(action: str, body: Any, actor: str) -> Step:
    """The lifecycle step ``action`` (``approve``, ``reject``, …) with ``body``'s fields (its
    Struct from ``_schemas``), by ``actor``: for :meth:`Node.act`. The API and the console both
    change orders through this, so four eyes, narrowing and every other rule hold in both."""
    if action == "approve":
        return lambda o, now: orders.approve(
            o,
            actor=actor,
            now=now,
            justification=body.justification,
            scope=body.scope,
            checklist=checklist_in(body.checklist),
        )
    if action == "reject":
        return lambda o, now: orders.reject(
            o, actor=actor, now=now, reason=body.reason, checklist=checklist_in(body.checklist)
        )
    if action == "lift":
        return lambda o, now: orders.lift(o, actor=actor, now=now, reason=body.reason)
    if action == "clarify":
        return lambda o, now: orders.clarify(o, actor=actor, now=now, question=body.question)
    if action == "answer":
        return lambda o, now: orders.answer(o, actor=actor, now=now, answer=body.answer)
    if action == "review":
        return lambda o, now: orders.start_review(o, actor=actor, now=now, reason=body.reason)
    raise InvalidInput(f"action: {action!r} is not a step of the order lifecycle", field="action")


#: The body each lifecycle step takes.
STEP_BODIES: dict[str, type[Any]] = {
    "approve": s.ApproveIn,
    "reject": s.RejectIn,
    "lift": s.LiftIn,
    "clarify": s.ClarifyIn,
    "answer": s.AnswerIn,
    "review": s.ReviewIn,
}


def _transition(action: str) -> Handler:
    async def handler(call: Call) -> Response:
        body = await call.body(STEP_BODIES[action])
        step = step_for(action, body, call.actor)
        order = await run_in_threadpool(call.node.act, call.params["id"], step)
        return json_response(order_out(order))

    return handler


approve = _transition("approve")
reject = _transition("reject")
lift = _transition("lift")
clarify = _transition("clarify")
answer = _transition("answer")
review = _transition("review")

ID = "{id}"

ORDER_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v1/orders", create_order, "Record a demand as received", INTAKE,
             s.OrderIn, s.CreatedOut, 201, audit=True),
    Endpoint("GET", "/v1/orders", list_orders, "List orders", READ, response=s.OrderListOut,
             query=(
                 ("status", "string", "Only orders in this status"),
                 ("jurisdiction", "string", "Only orders of authorities with this jurisdiction"),
                 ("limit", "integer", "At most this many (1-1000, default 100)"),
                 ("after", "string", "Continue after this order id (the previous page's `next`)"),
             )),
    Endpoint("GET", f"/v1/orders/{ID}", get_order, "One order with its full history", READ,
             response=s.OrderOut),
    Endpoint("GET", f"/v1/orders/{ID}/document", get_document,
             "The original document as received", READ, media_type="application/octet-stream"),
    Endpoint("POST", f"/v1/orders/{ID}/review", review, "Start reviewing an order", REVIEWER,
             s.ReviewIn, s.OrderOut, audit=True),
    Endpoint("POST", f"/v1/orders/{ID}/approve", approve,
             "Approve (four eyes: not the recorder), optionally narrowing the scope", REVIEWER,
             s.ApproveIn, s.OrderOut, audit=True),
    Endpoint("POST", f"/v1/orders/{ID}/reject", reject, "Reject the demand", REVIEWER,
             s.RejectIn, s.OrderOut, audit=True),
    Endpoint("POST", f"/v1/orders/{ID}/clarify", clarify, "Ask the authority for clarification",
             REVIEWER, s.ClarifyIn, s.OrderOut, audit=True),
    Endpoint("POST", f"/v1/orders/{ID}/answer", answer, "Record the authority's answer",
             INTAKE | REVIEWER, s.AnswerIn, s.OrderOut, audit=True),
    Endpoint("POST", f"/v1/orders/{ID}/lift", lift, "Lift an approved or active order",
             REVIEWER, s.LiftIn, s.OrderOut, audit=True),
)  # fmt: skip
