"""The HTTP API (versioned under /v1, OpenAPI at /openapi.json) and the node that serves it."""

from remit.api._app import (
    ENDPOINTS,
    Call,
    Endpoint,
    Settings,
    bearer,
    create_app,
    json_response,
)
from remit.api._node import (
    TOKEN_PREFIX,
    Node,
    OrderListener,
    create_user,
    hash_token,
    new_id,
    utcnow,
)
from remit.api._openapi import openapi
from remit.api._problems import HTTPProblem
from remit.api._sessions import close_sessions, open_session

__all__ = [
    "ENDPOINTS",
    "TOKEN_PREFIX",
    "Call",
    "Endpoint",
    "HTTPProblem",
    "Node",
    "OrderListener",
    "Settings",
    "bearer",
    "close_sessions",
    "create_app",
    "create_user",
    "hash_token",
    "json_response",
    "new_id",
    "open_session",
    "openapi",
    "utcnow",
]
