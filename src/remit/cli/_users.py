"""``remit user``: add, list and remove users, give one a new token, set a console password.

A token is shown once and stored as its SHA-256. A new token replaces every old one at once, and
a removed user's tokens end at once: each node looks for revocations every second and drops its
token cache when there is one, so neither works on any node a second later.
"""

from __future__ import annotations

import sys

import click

from remit.api import create_user, hash_token, new_token, utcnow
from remit.cli._options import db_option
from remit.console import set_password
from remit.store import Role, User, open_store


@click.group()
def user() -> None:
    """Manage users and their API tokens."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A role to grant; repeat for several.",
)
@db_option
def user_add(name: str, roles: tuple[str, ...], db_url: str) -> None:
    """Add a user with roles; prints the new API token as the last line (shown once)."""
    store = open_store(db_url)
    try:
        token = create_user(store, name, roles, now=utcnow())
    finally:
        store.close()
    click.echo(f"user {name} added with roles {', '.join(sorted(roles))}; token:")
    click.echo(token)


def _row(found: User) -> tuple[str, str, str, str]:
    roles = ",".join(sorted(role.value for role in found.roles))
    status = "removed" if found.disabled else "active"
    return found.name, roles, found.created_at.strftime("%Y-%m-%d %H:%M UTC"), status


@user.command("list")
@db_option
def user_list(db_url: str) -> None:
    """List every user: name, roles, when added, and whether removed. Tokens are never shown
    (remit keeps only their hashes)."""
    store = open_store(db_url)
    try:
        rows = [("name", "roles", "added", "status"), *map(_row, store.list_users())]
    finally:
        store.close()
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        click.echo("  ".join([*cells, row[3]]))


@user.command("remove")
@click.argument("name")
@db_option
def user_remove(name: str, db_url: str) -> None:
    """Remove a user: their tokens stop working on every node within a second, and they can
    no longer sign in to the console (their console sessions end too).

    The name stays taken and listed as removed, so that the orders, transitions and audit
    entries that name them keep naming one person: it is never given to anyone else.
    """
    store = open_store(db_url)
    try:
        store.remove_user(name)
    finally:
        store.close()
    click.echo(f"user {name} removed; their tokens no longer work, on any node")


@user.command("token")
@click.argument("name")
@db_option
def user_token(name: str, db_url: str) -> None:
    """Give a user a new API token, printed as the last line (shown once), for one that was
    lost or leaked: every old token of theirs stops working on every node within a second.

    For a platform, remit platform rotate also replaces its webhook secret, and lets the old
    token and secret work for a grace period while the platform deploys the new ones.
    """
    token = new_token()
    store = open_store(db_url)
    try:
        store.replace_token(name, hash_token(token))
    finally:
        store.close()
    click.echo(f"new token for {name}; the old ones no longer work, on any node; token:")
    click.echo(token)


@user.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
@db_option
def user_passwd(name: str, password_stdin: bool, db_url: str) -> None:
    """Set a user's password for the web console (asked twice; never given as an argument).

    Setting it signs the user out of every console session. The password is stored as an
    scrypt hash; at least 10 characters.
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_store(db_url)
    try:
        set_password(store, name, password, now=utcnow())
    finally:
        store.close()
    click.echo(f"password of {name} set; their console sessions have ended")
