"""``remit platform add`` and the settings of live enforcement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import click
import pluggy

from remit.api import Enforcement, create_user, utcnow
from remit.cli._options import db_option, retention_option
from remit.connectors import configure, load_connectors
from remit.enforcement import Platform, Policy, retention
from remit.errors import InvalidConfiguration
from remit.store import Role, open_enforcement_store, open_store

F = TypeVar("F", bound=Callable[..., Any])


def enforcement_options(f: F) -> F:
    """The settings of live enforcement."""
    options = [
        click.option(
            "--appeal-url",
            envvar="REMIT_APPEAL_URL",
            show_envvar=True,
            default="https://remit.example/appeals",
            show_default=True,
            help="Where notices tell affected people to appeal.",
        ),
        click.option(
            "--operator-url",
            envvar="REMIT_OPERATOR_URL",
            show_envvar=True,
            default="https://remit.example/",
            show_default=True,
            help="The platform operator's URL, named as blocked-by in 451 answers (RFC 7725).",
        ),
        click.option(
            "--command-ttl",
            envvar="REMIT_COMMAND_TTL_SECONDS",
            show_envvar=True,
            type=click.IntRange(1, 7 * 24 * 3600),
            default=900,
            show_default=True,
            help="Seconds a command may take to be delivered before it is reported failed.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return retention_option(f)


def build_enforcement(
    db_url: str,
    appeal_url: str,
    operator_url: str,
    command_ttl: int,
    retention_days: int,
    plugins: pluggy.PluginManager | None = None,
) -> Enforcement:
    """A node's live enforcement: the roster and outbox on the node's database, every connector
    (of ``plugins``, or of every installed plugin). It purges personal data older than
    ``retention_days`` once a day."""
    return Enforcement(
        open_enforcement_store(db_url),
        load_connectors(plugins),
        Policy(
            ttl=timedelta(seconds=command_ttl),
            appeal_url=appeal_url,
            operator_url=operator_url,
            retention=retention(retention_days),
        ),
    )


@click.group()
def platform() -> None:
    """Manage the platforms remit sends commands to."""


@platform.command("add")
@click.argument("name")
@click.option(
    "--connector",
    default="webhook",
    show_default=True,
    help="The connector that delivers this platform's commands (see docs/connectors/).",
)
@click.option("--webhook-url", help="Where remit POSTs the platform's commands (sets url).")
@click.option(
    "--setting",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A setting of the connector; repeat for several (each connector's guide lists them).",
)
@db_option
def platform_add(
    name: str, connector: str, webhook_url: str | None, settings: tuple[str, ...], db_url: str
) -> None:
    """Register a platform; prints its API token and any secret the connector made.

    The token (role platform) is what the platform sends to /v1/admissions and /v1/sessions;
    for webhooks, the secret (whsec_…) verifies the Standard Webhooks signature of every command
    it receives. Both are shown once.
    """
    connectors = load_connectors()
    if connector not in connectors:
        known = ", ".join(sorted(connectors))
        raise InvalidConfiguration(
            f"connector: no connector named {connector!r} (installed: {known})", field="connector"
        )
    options: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidConfiguration(f"setting: {item!r} is not KEY=VALUE", field="setting")
        options[key.strip()] = value
    if webhook_url is not None:
        options["url"] = webhook_url
    stored, shown = configure(connectors[connector], options)
    store = open_store(db_url)
    enforcement = open_enforcement_store(db_url)
    try:
        token = create_user(store, name, [Role.PLATFORM.value], now=utcnow())
        enforcement.add_platform(Platform(name, connector, stored, utcnow()))
    finally:
        enforcement.close()
        store.close()
    click.echo(f"token: {token}")
    for key, value in shown.items():
        click.echo(f"{key}: {value}")
