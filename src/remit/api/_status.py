"""The node's own state: liveness and the decision index (``/healthz``), Prometheus metrics,
and the audit trail of mutating calls."""

from __future__ import annotations

import time
from typing import Literal, cast

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit.api import _schemas as s
from remit.api._auth import AUDITOR
from remit.api._endpoint import Call, Endpoint, json_response


async def list_audit(call: Call) -> Response:
    entries = await run_in_threadpool(call.node.store.audit_trail)
    return json_response(
        s.AuditListOut([s.AuditOut(e.actor, e.action, e.subject, e.at, e.outcome) for e in entries])
    )


async def healthz(call: Call) -> Response:
    snapshot = call.node.snapshot
    age = round(time.monotonic() - snapshot.built, 3)
    sources = [s.LocationSourceOut(**status.to_dict()) for status in call.node.locator.sources()]
    warnings = [source.warning for source in sources if source.warning is not None]
    status, problems = call.node.health()
    state = cast(Literal["ok", "degraded", "starting"], status)
    body = s.HealthOut(state, len(snapshot.index), age, sources, warnings, problems)
    # Starting: not ready, so that a load balancer sends its joins to another node meanwhile.
    return json_response(body, 503 if status == "starting" else 200)


async def metrics(call: Call) -> Response:
    text = await run_in_threadpool(generate_latest, call.metrics.registry)
    return Response(text, 200, media_type=CONTENT_TYPE_LATEST)


STATUS_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/audit", list_audit, "The latest mutating calls, newest first", AUDITOR,
             response=s.AuditListOut),
    Endpoint("GET", "/healthz", healthz, "Liveness and readiness (starting: 503 until the "
             "decision index is loaded; degraded while the database is unreachable), the index's "
             "size and age, and each location source's data date and warnings",
             None, response=s.HealthOut),
    Endpoint("GET", "/metrics", metrics, "Prometheus metrics", None, media_type="text/plain"),
)  # fmt: skip
