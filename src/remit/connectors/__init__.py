"""Platform integrations: connectors deliver remit's commands to a platform.

Built in: ``webhook`` (Standard Webhooks). Others are plugins (see :mod:`remit.connectors._hooks`).
"""

from remit.connectors._hooks import hookimpl, hookspec, load_connectors, plugin_manager

__all__ = ["hookimpl", "hookspec", "load_connectors", "plugin_manager"]
