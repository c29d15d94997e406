"""The HTTP API (versioned under /v1, OpenAPI at /openapi.json) and the node that serves it."""

from remit.api._app import ENDPOINTS, Endpoint, Settings, create_app
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

__all__ = [
    "ENDPOINTS",
    "TOKEN_PREFIX",
    "Endpoint",
    "Node",
    "OrderListener",
    "Settings",
    "create_app",
    "create_user",
    "hash_token",
    "new_id",
    "openapi",
    "utcnow",
]
