"""Connector plugins, with pluggy: the built-in connectors register the way a third party would.

A package provides connectors by exposing a module with a ``remit_connectors`` hook
implementation and declaring it under the ``remit`` entry-point group::

    [project.entry-points.remit]
    jitsi = "remit_jitsi.plugin"

and in ``remit_jitsi/plugin.py``::

    from remit.connectors import hookimpl

    @hookimpl
    def remit_connectors():
        return [JitsiConnector()]
"""

from __future__ import annotations

import pluggy

from remit.enforcement import Connector
from remit.errors import InvalidConfiguration

PROJECT = "remit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Hooks:
    """The hooks remit calls."""

    @hookspec
    def remit_connectors(self) -> list[Connector]:  # type: ignore[empty-body]
        """Return the connectors this plugin provides."""


def plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with the built-in plugins and every installed one."""
    from remit.connectors.webhook import plugin as webhook_plugin

    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Hooks)
    manager.register(webhook_plugin, name="remit.webhook")
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def load_connectors(manager: pluggy.PluginManager | None = None) -> dict[str, Connector]:
    """Every connector the plugins provide, by name; two with one name are refused."""
    found: dict[str, Connector] = {}
    for connectors in (manager or plugin_manager()).hook.remit_connectors():
        for connector in connectors:
            if connector.name in found:
                raise InvalidConfiguration(
                    f"connectors: two plugins provide a connector named {connector.name!r}",
                    field="connectors",
                )
            found[connector.name] = connector
    return found
