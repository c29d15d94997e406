"""``remit serve`` and ``remit db upgrade``."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

import click

from remit._files import write_private
from remit.api import Node, Settings, create_app, create_user, utcnow
from remit.cli._listen import bind, url_of
from remit.cli._listen import serve as serve_on
from remit.cli._log_cli import log_options, open_log
from remit.cli._options import (
    build_locator,
    db_option,
    location_options,
    resource_types_option,
)
from remit.cli._platform import build_enforcement, enforcement_options
from remit.cli._secrets import sealer, secrets_key_option
from remit.connectors import load_endpoints, load_tasks, plugin_manager
from remit.console import console_routes
from remit.console._orders import CHECKLIST
from remit.errors import InvalidConfiguration
from remit.policy import ResourceTypes
from remit.store import Role, open_store, upgrade

#: Where the first start leaves the admin's token when standard error is not a terminal: beside
#: the log key, mode 0600.
ADMIN_TOKEN_FILE = "remit-admin.token"


@click.command()
@click.option(
    "--host",
    envvar="REMIT_HOST",
    show_envvar=True,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    envvar="REMIT_PORT",
    show_envvar=True,
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port, named in the 'listening' line).",
)
@click.option(
    "--max-document-bytes",
    envvar="REMIT_MAX_DOCUMENT_BYTES",
    show_envvar=True,
    type=click.IntRange(1, 1 << 31),
    default=10 * 1024 * 1024,
    show_default=True,
    help="Largest original document an order may carry.",
)
@click.option(
    "--resync-seconds",
    envvar="REMIT_RESYNC_SECONDS",
    show_envvar=True,
    type=click.FloatRange(0.1, 3600),
    default=30.0,
    show_default=True,
    help="How often each node re-reads order changes as a safety net behind notifications.",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@click.option(
    "--console/--no-console",
    "with_console",
    envvar="REMIT_CONSOLE",
    show_envvar=True,
    default=True,
    show_default=True,
    help="Serve the web console at / (sign in with remit user passwd or an API token).",
)
@click.option(
    "--console-session-hours",
    envvar="REMIT_CONSOLE_SESSION_HOURS",
    show_envvar=True,
    type=click.FloatRange(0.05, 24 * 30),
    default=8.0,
    show_default=True,
    help="How long a console sign-in lasts.",
)
@click.option(
    "--console-signin-failures",
    envvar="REMIT_CONSOLE_SIGNIN_FAILURES",
    show_envvar=True,
    type=click.IntRange(1, 10_000),
    default=5,
    show_default=True,
    help="Failed console sign-ins for one user name, within the window, before it must wait.",
)
@click.option(
    "--console-signin-address-failures",
    envvar="REMIT_CONSOLE_SIGNIN_ADDRESS_FAILURES",
    show_envvar=True,
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="Failed console sign-ins from one client address, within the window, before it must wait.",
)
@click.option(
    "--console-signin-window-minutes",
    envvar="REMIT_CONSOLE_SIGNIN_WINDOW_MINUTES",
    show_envvar=True,
    type=click.FloatRange(0.1, 7 * 24 * 60),
    default=15.0,
    show_default=True,
    help="The window in which failed console sign-ins are counted.",
)
@click.option(
    "--console-signin-lockout-minutes",
    envvar="REMIT_CONSOLE_SIGNIN_LOCKOUT_MINUTES",
    show_envvar=True,
    type=click.FloatRange(0.1, 7 * 24 * 60),
    default=15.0,
    show_default=True,
    help="How long a user name or address waits after too many failed console sign-ins.",
)
@click.option(
    "--console-review-requires",
    envvar="REMIT_CONSOLE_REVIEW_REQUIRES",
    show_envvar=True,
    type=click.Choice([*CHECKLIST, "all", "none"]),
    multiple=True,
    default=("all",),
    show_default=True,
    help="The review questions a reviewer must answer before approving in the console "
    "(repeat the option; all, or none).",
)
@resource_types_option
@db_option
@log_options
@secrets_key_option
@enforcement_options
@location_options
def serve(
    host: str,
    port: int,
    max_document_bytes: int,
    resync_seconds: float,
    access_log: bool,
    with_console: bool,
    console_session_hours: float,
    console_signin_failures: int,
    console_signin_address_failures: int,
    console_signin_window_minutes: float,
    console_signin_lockout_minutes: float,
    console_review_requires: tuple[str, ...],
    resource_types: ResourceTypes,
    db_url: str,
    log_key: str,
    log_origin: str,
    secrets_key: str | None,
    appeal_url: str,
    operator_url: str,
    command_ttl: int,
    retention_days: int,
    **location: Any,
) -> None:
    """Run the remit HTTP API and the web console (migrating the database first).

    On a database with no users yet, creates the user 'admin': its token is shown once on the
    terminal, or, when standard error is not one (a service's log, journald), written to the file
    remit-admin.token beside the log key (mode 0600) and only that file's path is printed.
    Several nodes may share one PostgreSQL database; order changes reach every node's decision
    index through notifications, with a periodic resync as a safety net. Once a day each node
    purges personal data older than --retention-days (as remit purge does). Connector plugins'
    periodic tasks (the LiveKit roster's reconciliation) run beside it.
    """
    sock = bind(host, port)  # a port another process holds ends here: one line, exit 2
    click.get_current_context().call_on_close(sock.close)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    locator = build_locator(**location)  # logs a warning for location data too old
    locator.watch()  # database files renamed over their path are picked up without a restart
    upgrade(db_url)
    # Platforms' settings sealed at rest: the key checked (one line, exit 2, when wrong or gone),
    # created on the first start, and any setting stored in the clear sealed now.
    secrets = sealer(db_url, secrets_key, log_key)
    store = open_store(db_url)
    if not store.list_users():
        token = create_user(store, "admin", [Role.ADMIN.value], now=utcnow())
        hand_over_admin_token(token, Path(log_key).parent / ADMIN_TOKEN_FILE)
    log = open_log(store, log_key, log_origin)  # creates the key when missing, and says so
    plugins = plugin_manager()  # discovered once: connectors, their operations and their tasks
    node = Node(
        store,
        locator,
        log=log,
        enforcement=build_enforcement(
            db_url, appeal_url, operator_url, command_ttl, retention_days, plugins, secrets
        ),
        tasks=load_tasks(plugins),  # connectors' periodic work (roster reconciliation)
        resync_seconds=resync_seconds,
    )
    settings = Settings(max_document_bytes=max_document_bytes, resource_types=resource_types)
    routes = (
        console_routes(
            node,
            settings,
            session_hours=console_session_hours,
            signin_failures=console_signin_failures,
            signin_address_failures=console_signin_address_failures,
            signin_window_minutes=console_signin_window_minutes,
            signin_lockout_minutes=console_signin_lockout_minutes,
            review_requires=_required_answers(console_review_requires),
        )
        if with_console
        else []
    )
    app = create_app(node, settings, endpoints=load_endpoints(plugins), routes=routes)

    def listening() -> None:
        # Said once it serves and decides: /healthz answers 'starting' before, while the index
        # loads, and the line follows as soon as it is loaded (a thread waits for it).
        def announce() -> None:
            while not node.loaded.wait(0.5):
                if node.stopping:
                    return
            where = f"{url_of(sock)} (database {store_label(db_url)})"
            click.echo(f"remit listening on {where}", err=True)

        threading.Thread(target=announce, name="remit-announce", daemon=True).start()

    # Connectors call conferencing servers with httpx, which logs every request at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    node.start(wait=False)  # serves at once: /healthz says starting until the index is loaded
    try:
        serve_on(app, sock, access_log=access_log, on_listening=listening)
    finally:
        node.stop()  # its tasks, live enforcement and scheduler; then its stores and locator


def hand_over_admin_token(token: str, path: Path) -> None:
    """Give the first admin's token to the operator, never to a log: on the terminal when
    standard error is one, otherwise in ``path`` (mode 0600), naming the file only."""
    if sys.stderr.isatty():
        click.echo(f"created the first user, 'admin'; its token (shown once): {token}", err=True)
        return
    try:
        write_private(path, token + "\n")
    except OSError as exc:
        raise InvalidConfiguration(
            f"cannot write the first admin's token to {path}: {exc.strerror}; "
            "make a new one with `remit user token admin`",
            field="log-key",
        ) from exc
    click.echo(
        f"created the first user, 'admin'; its token is in {path} (mode 0600, readable by this "
        "user only): read it, keep it safe, and delete the file",
        err=True,
    )


def store_label(url: str) -> str:
    """The database URL without a password."""
    head, sep, tail = url.partition("@")
    if sep and ":" in head.split("//", 1)[-1]:
        scheme, rest = head.split("//", 1)
        return f"{scheme}//{rest.split(':', 1)[0]}:***@{tail}"
    return url


@click.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str) -> None:
    """Apply every migration the database lacks (remit serve does this on start)."""
    upgrade(db_url)
    click.echo(f"database {store_label(db_url)} is up to date")


def _required_answers(chosen: tuple[str, ...]) -> tuple[str, ...]:
    if "none" in chosen:
        return ()
    return CHECKLIST if "all" in chosen else chosen
