"""Platform integrations: connectors deliver remit's commands to a platform.

Built in: ``webhook`` (Standard Webhooks). Others are plugins (see :mod:`remit.connectors._hooks`).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remit.connectors._hooks import (
        all_endpoints,
        configure,
        hookimpl,
        hookspec,
        load_connectors,
        load_endpoints,
        load_tasks,
        plugin_manager,
        rotate,
    )


def __getattr__(name: str) -> Any:
    """A public name from :mod:`remit.connectors._hooks`, imported on first use (PEP 562): code
    that runs inside a platform's own process (the Synapse module) imports a connector's
    submodule without pluggy and remit's API being importable there."""
    if name not in __all__:
        raise AttributeError(f"module 'remit.connectors' has no attribute {name!r}")
    from remit.connectors import _hooks

    value = getattr(_hooks, name)
    globals()[name] = value
    return value


__all__ = [
    "all_endpoints",
    "configure",
    "hookimpl",
    "hookspec",
    "load_connectors",
    "load_endpoints",
    "load_tasks",
    "plugin_manager",
    "rotate",
]
