"""Platform integrations: connectors deliver remit's commands to a platform.

Built in: ``webhook`` (Standard Webhooks), ``synapse``, ``janus``, ``prosody`` and ``livekit``.
Others are plugins: ``docs/plugins.md`` describes the hooks (:mod:`remit.connectors._hooks`) and
the :class:`Connector` interface, and this namespace holds everything a plugin needs: the hook
markers, the base class, the shared check of settings, the commands and their payloads, and a
:class:`RecordingConnector` for tests.
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
    )
    from remit.connectors._recording import Delivered, RecordingConnector
    from remit.connectors._settings import (
        Setting,
        checked_settings,
        http_url,
        webhook_secret,
        whole_number,
    )
    from remit.enforcement import (
        Command,
        CommandType,
        Connector,
        HostNoticeData,
        NoticeData,
        Payload,
        PersonRef,
        Platform,
        ReadmitData,
        RefusalNotice,
        RefusedData,
        RemoveData,
        ResourceRef,
        command_data,
        payload,
    )
    from remit.errors import DeliveryError, InvalidConfiguration

#: Where each name lives; imported on first use (PEP 562): code that runs inside a platform's
#: own process (the Synapse module) imports a connector's submodule without pluggy and remit's
#: API being importable there.
_HOMES = {
    **dict.fromkeys(
        (
            "all_endpoints", "configure", "hookimpl", "hookspec", "load_connectors",
            "load_endpoints", "load_tasks", "plugin_manager",
        ),
        "remit.connectors._hooks",
    ),
    **dict.fromkeys(("Delivered", "RecordingConnector"), "remit.connectors._recording"),
    **dict.fromkeys(
        ("Setting", "checked_settings", "http_url", "webhook_secret", "whole_number"),
        "remit.connectors._settings",
    ),
    **dict.fromkeys(
        (
            "Command", "CommandType", "Connector", "HostNoticeData", "NoticeData", "Payload",
            "PersonRef", "Platform", "ReadmitData", "RefusalNotice", "RefusedData", "RemoveData",
            "ResourceRef", "command_data", "payload",
        ),
        "remit.enforcement",
    ),
    **dict.fromkeys(("DeliveryError", "InvalidConfiguration"), "remit.errors"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """A public name, imported on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'remit.connectors' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "Command",
    "CommandType",
    "Connector",
    "Delivered",
    "DeliveryError",
    "HostNoticeData",
    "InvalidConfiguration",
    "NoticeData",
    "Payload",
    "PersonRef",
    "Platform",
    "ReadmitData",
    "RecordingConnector",
    "RefusalNotice",
    "RefusedData",
    "RemoveData",
    "ResourceRef",
    "Setting",
    "all_endpoints",
    "checked_settings",
    "command_data",
    "configure",
    "hookimpl",
    "hookspec",
    "http_url",
    "load_connectors",
    "load_endpoints",
    "load_tasks",
    "payload",
    "plugin_manager",
    "webhook_secret",
    "whole_number",
]
