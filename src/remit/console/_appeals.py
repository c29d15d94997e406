"""The appeals queue: appeals filed for affected people, decided by a reviewer.

Deciding goes through :func:`remit.api.decide_appeal`, as ``POST /v1/appeals/{id}/decide``
does: the order's approver cannot decide an appeal against it, a reversal readmits the person,
and the outcome goes to the public log.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from remit.api import DecideIn, appeals_of, decide_appeal, explain
from remit.console._auth import require
from remit.console._web import Console, redirect
from remit.errors import Conflict, InvalidInput
from remit.store import AuditEntry

DECIDE = "/v1/appeals/{id}/decide"


async def appeals_page(
    console: Console,
    request: Request,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", "/v1/appeals")
    found = await run_in_threadpool(appeals_of, console.node, None)
    context = {
        "appeals": sorted(found, key=lambda a: (a.status != "filed", a.filed_at)),
        "may_decide": viewer.may("POST", DECIDE),
        "errors": errors or {},
        "values": values or {},
        "done": request.query_params.get("done", ""),
    }
    return console.render(request, viewer, "appeals.html", context, status)


async def decide(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "POST", DECIDE)
    appeal_id = request.path_params["id"]
    async with console.form(request, viewer) as form:
        data = {k: str(form.get(k, "")) for k in ("outcome", "reason", "remedy") if form.get(k)}
    try:
        body = msgspec.convert(data, DecideIn)
        await run_in_threadpool(decide_appeal, console.node, appeal_id, body, viewer.name)
    except (msgspec.ValidationError, InvalidInput, Conflict) as exc:
        kind, detail, field = explain(exc)
        errors = {appeal_id: {field or "form": detail}}
        return await appeals_page(
            console,
            request,
            errors=errors,
            values={appeal_id: data},
            status=409 if kind == "conflict" else 403 if kind == "four-eyes" else 422,
        )
    entry = AuditEntry(viewer.name, "console decide appeal", appeal_id, console.node.clock(), "200")
    await run_in_threadpool(console.node.store.audit, entry)
    return redirect("/appeals?done=decided")
