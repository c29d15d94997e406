"""The HTTP API (versioned under /v1, OpenAPI at /openapi.json) and the node that serves it."""

from remit.api._app import ENDPOINTS, create_app, endpoint_roles
from remit.api._appeals import AppealOut, DecideIn, appeals_of, decide_appeal
from remit.api._auth import AUDITOR, INTAKE, PLATFORM, READ, REVIEWER, allowed, bearer, permits
from remit.api._convert import order_in
from remit.api._documents import document_response
from remit.api._endpoint import (
    Call,
    Endpoint,
    Settings,
    enforcer_of,
    json_response,
    log_of,
)
from remit.api._impact import ImpactOut, ReachOut, impact_of
from remit.api._log_routes import report_of
from remit.api._node import Enforcement, Node, OrderListener, Snapshot, Task, new_id, utcnow
from remit.api._openapi import openapi
from remit.api._orders import STEP_BODIES, record_order, step_for
from remit.api._problems import HTTPProblem, explain
from remit.api._schemas import OrderIn
from remit.api._sessions import close_sessions, decide_join, open_session, roster_session
from remit.api._users import TOKEN_PREFIX, create_user, hash_token, new_token

__all__ = [
    "AUDITOR",
    "ENDPOINTS",
    "INTAKE",
    "PLATFORM",
    "READ",
    "REVIEWER",
    "STEP_BODIES",
    "TOKEN_PREFIX",
    "AppealOut",
    "Call",
    "DecideIn",
    "Endpoint",
    "Enforcement",
    "HTTPProblem",
    "ImpactOut",
    "Node",
    "OrderIn",
    "OrderListener",
    "ReachOut",
    "Settings",
    "Snapshot",
    "Task",
    "allowed",
    "appeals_of",
    "bearer",
    "close_sessions",
    "create_app",
    "create_user",
    "decide_appeal",
    "decide_join",
    "document_response",
    "endpoint_roles",
    "enforcer_of",
    "explain",
    "hash_token",
    "impact_of",
    "json_response",
    "log_of",
    "new_id",
    "new_token",
    "open_session",
    "openapi",
    "order_in",
    "permits",
    "record_order",
    "report_of",
    "roster_session",
    "step_for",
    "utcnow",
]
