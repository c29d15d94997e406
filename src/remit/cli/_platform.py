"""``remit platform add`` and ``remit platform rotate``, and the settings of live enforcement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import click
import pluggy

from remit.api import Enforcement, create_user, hash_token, new_token, utcnow
from remit.cli._options import db_option, retention_option
from remit.cli._secrets import sealer, secrets_key_option
from remit.connectors import configure, load_connectors, rotate
from remit.enforcement import PLATFORM_REFRESH_S, Platform, Policy, retention
from remit.errors import Conflict, InvalidConfiguration
from remit.store import Role, RosterProcess, Sealer, open_enforcement_store, open_store

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
    secrets: Sealer | None = None,
) -> Enforcement:
    """A node's live enforcement: the roster and outbox on the node's database (platforms'
    settings opened with ``secrets``; the roster written by a process of its own), every
    connector (of ``plugins``, or of every installed plugin). It purges personal data older than
    ``retention_days`` once a day."""
    return Enforcement(
        open_enforcement_store(db_url, sealer=secrets),
        load_connectors(plugins),
        Policy(
            ttl=timedelta(seconds=command_ttl),
            appeal_url=appeal_url,
            operator_url=operator_url,
            retention=retention(retention_days),
        ),
        roster=RosterProcess(db_url),
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
@secrets_key_option
def platform_add(
    name: str,
    connector: str,
    webhook_url: str | None,
    settings: tuple[str, ...],
    db_url: str,
    secrets_key: str | None,
) -> None:
    """Register a platform; prints its API token and any secret the connector made.

    The token (role platform) is what the platform sends to /v1/admissions and /v1/sessions;
    for webhooks, the secret (whsec_…) verifies the Standard Webhooks signature of every command
    it receives. Both are shown once. Every setting is sealed (encrypted) before it is stored,
    with the secrets key (created here when there is none yet: docs/security.md).
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
    secrets = sealer(db_url, secrets_key)
    store = open_store(db_url)
    enforcement = open_enforcement_store(db_url, sealer=secrets)
    try:
        token = create_user(store, name, [Role.PLATFORM.value], now=utcnow())
        enforcement.add_platform(Platform(name, connector, stored, utcnow()))
    finally:
        enforcement.close()
        store.close()
    click.echo(f"token: {token}")
    for key, value in shown.items():
        click.echo(f"{key}: {value}")


#: How long a rotated platform's old token and secret keep working unless told otherwise.
DEFAULT_GRACE_HOURS = 24.0


@platform.command("rotate")
@click.argument("name")
@click.option(
    "--grace-hours",
    type=click.FloatRange(0, 7 * 24),
    default=DEFAULT_GRACE_HOURS,
    show_default=True,
    help=(
        "How long the old token and the old webhook secret keep working, so that the platform "
        "can deploy the new ones and no delivery in flight is rejected; 0 ends them at once "
        "(for a leaked token or secret)."
    ),
)
@db_option
@secrets_key_option
def platform_rotate(name: str, grace_hours: float, db_url: str, secrets_key: str | None) -> None:
    """Give a platform a new API token and a new webhook secret; prints both once.

    Until the grace period ends the old token still works, and every delivery is signed with
    both the new and the old secret (two signatures in webhook-signature, as Standard Webhooks
    allows), so the platform may switch to the new ones at any moment of it; every node signs
    with both within a few seconds. After it, only the new token and secret work. A connector
    without a secret of remit's (Janus, Prosody, LiveKit, Synapse) gets a new token only.
    """
    now = utcnow()
    until = now + timedelta(hours=grace_hours)
    enforcement = open_enforcement_store(db_url, sealer=sealer(db_url, secrets_key))
    store = open_store(db_url)
    try:
        found = enforcement.get_platform(name)
        connector = load_connectors().get(found.connector)
        if connector is None:
            raise InvalidConfiguration(
                f"platform {name}: its connector {found.connector!r} is not installed",
                field="connector",
            )
        if store.get_user(name).disabled:  # a platform whose user is gone changes nothing
            raise Conflict(f"platform {name}: its user was removed (remit user remove)")
        settings, shown = rotate(connector, found.settings, until)
        token = new_token()
        # The secret first, and shown at once: should the token fail, the new secret is known.
        enforcement.save_platform_settings(name, settings)
        for key, value in shown.items():
            click.echo(f"{key}: {value}")
        store.replace_token(name, hash_token(token), old_until=until if grace_hours else None)
    finally:
        store.close()
        enforcement.close()
    click.echo(f"token: {token}")
    if grace_hours:
        ends = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(f"old token and secret work until: {ends}")
    else:
        click.echo("old token and secret work until: now (they no longer work)")
    click.echo(f"every node signs with the new secret within {PLATFORM_REFRESH_S:g} s", err=True)
