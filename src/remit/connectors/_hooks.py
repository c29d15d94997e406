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

A plugin may also implement ``remit_endpoints`` (HTTP operations of its own) and ``remit_tasks``
(periodic work that ``remit serve`` runs beside the node, such as reconciling remit's roster with
the platform's own list of participants). ``docs/plugins.md`` describes each hook and the
:class:`~remit.enforcement.Connector` interface; a test fails when one is undocumented.
"""

from __future__ import annotations

import importlib

import pluggy

from remit.api import ENDPOINTS, Endpoint, Task
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

    @hookspec
    def remit_endpoints(self) -> list[Endpoint]:  # type: ignore[empty-body]
        """Return the HTTP operations this plugin adds to remit's API (under
        ``/v1/connectors/<connector>/``), such as a token broker or an event receiver. They are
        served, authenticated and documented in OpenAPI like the built-in ones."""

    @hookspec
    def remit_tasks(self) -> list[Task]:  # type: ignore[empty-body]
        """Return the periodic work this plugin runs beside the node: objects with a ``name``,
        an ``interval_s`` (seconds between runs, read again after each run) and a
        ``run(node)`` method (:class:`remit.api.Task`). ``remit serve`` runs each task on a
        thread of its own, once at start and then every ``interval_s`` seconds, and stops them
        before the enforcer on shutdown; a run that raises is logged and the task goes on.
        A task does the platform's I/O itself and must return in bounded time (use timeouts).
        Every node runs every task: a task shared by several nodes must be safe to run twice."""


#: The built-in plugins: registered the way an installed one is, one module each.
BUILT_IN = (
    "remit.connectors.webhook.plugin",
    "remit.connectors.synapse.plugin",
    "remit.connectors.janus.plugin",
    "remit.connectors.prosody.plugin",
    "remit.connectors.livekit.plugin",
)


def plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with the built-in plugins and every installed one."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Hooks)
    for module in BUILT_IN:
        manager.register(importlib.import_module(module), name=module)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def configure(
    connector: Connector, options: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """A platform's settings for ``connector`` from the operator's ``options``.

    Returns the settings to store and the values to show the operator once (new secrets), as
    the connector's :meth:`~remit.enforcement.Connector.configure` makes them.
    """
    settings, shown = connector.configure(dict(options))
    return dict(settings), dict(shown)


def load_connectors(manager: pluggy.PluginManager | None = None) -> dict[str, Connector]:
    """Every connector the plugins provide, by name; two with one name are refused, and so is
    one that is not a :class:`~remit.enforcement.Connector`."""
    found: dict[str, Connector] = {}
    for connectors in (manager or plugin_manager()).hook.remit_connectors():
        for connector in connectors:
            if not isinstance(connector, Connector) or not connector.name:
                raise InvalidConfiguration(
                    f"connectors: {connector!r} is not a named remit.connectors.Connector",
                    field="connectors",
                )
            if connector.name in found:
                raise InvalidConfiguration(
                    f"connectors: two plugins provide a connector named {connector.name!r}",
                    field="connectors",
                )
            found[connector.name] = connector
    return found


def load_endpoints(manager: pluggy.PluginManager | None = None) -> list[Endpoint]:
    """Every HTTP operation the plugins add; one that clashes with another is refused."""
    seen = {(e.method, e.path) for e in ENDPOINTS}
    found: list[Endpoint] = []
    for endpoints in (manager or plugin_manager()).hook.remit_endpoints():
        for endpoint in endpoints:
            if (endpoint.method, endpoint.path) in seen:
                raise InvalidConfiguration(
                    f"connectors: two plugins serve {endpoint.method} {endpoint.path}",
                    field="connectors",
                )
            seen.add((endpoint.method, endpoint.path))
            found.append(endpoint)
    return found


def load_tasks(manager: pluggy.PluginManager | None = None) -> list[Task]:
    """Every periodic task the plugins provide; two with one name are refused."""
    found: dict[str, Task] = {}
    for tasks in (manager or plugin_manager()).hook.remit_tasks():
        for task in tasks:
            if task.name in found:
                raise InvalidConfiguration(
                    f"connectors: two plugins provide a task named {task.name!r}",
                    field="connectors",
                )
            found[task.name] = task
    return list(found.values())


def all_endpoints() -> tuple[Endpoint, ...]:
    """The API's operations with every plugin's: what ``remit serve`` serves and documents."""
    return (*ENDPOINTS, *load_endpoints())
