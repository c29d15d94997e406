"""Platform integrations: connectors deliver remit's commands to a platform.

Built in: ``webhook`` (Standard Webhooks). Others are plugins (see :mod:`remit.connectors._hooks`).
"""

from remit.connectors._hooks import (
    all_endpoints,
    configure,
    hookimpl,
    hookspec,
    load_connectors,
    load_endpoints,
    plugin_manager,
)

__all__ = [
    "all_endpoints",
    "configure",
    "hookimpl",
    "hookspec",
    "load_connectors",
    "load_endpoints",
    "plugin_manager",
]
