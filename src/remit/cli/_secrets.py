"""``remit secrets rotate``, and the ``--secrets-key`` option of every command that reads or
writes platforms' settings (sealed at rest: docs/security.md)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from remit.cli._options import db_option
from remit.store import KEY_FILE, Sealer, open_sealer, rotate_key, secrets_key_path
from remit.transparency.keyfile import DEFAULT_KEY_PATH

F = TypeVar("F", bound=Callable[..., Any])


def secrets_key_option(f: F) -> F:
    """``--secrets-key PATH`` / ``REMIT_SECRETS_KEY_FILE``."""
    return click.option(
        "--secrets-key",
        "secrets_key",
        envvar="REMIT_SECRETS_KEY_FILE",
        show_envvar=True,
        default=None,
        type=click.Path(dir_okay=False),
        help=(
            f"The key file that seals platforms' secrets at rest (default: {KEY_FILE} beside "
            "the log key; created on the first start). REMIT_SECRETS_KEY, the key itself "
            "(64 hex digits), wins over any file."
        ),
    )(f)


def key_file(secrets_key: str | None, log_key: str | None = None) -> Path:
    """The secrets key file: as given, else beside the log key (``--log-key``, or
    ``REMIT_LOG_KEY`` for a command without that option)."""
    if secrets_key:
        return Path(secrets_key)
    return secrets_key_path(log_key or os.environ.get("REMIT_LOG_KEY") or DEFAULT_KEY_PATH)


def sealer(db_url: str, secrets_key: str | None, log_key: str | None = None) -> Sealer:
    """The sealer of the database at ``db_url``: key checked, plain settings sealed."""
    return open_sealer(db_url, key_file(secrets_key, log_key), say=_say)


def _say(line: str) -> None:
    click.echo(line, err=True)


@click.group("secrets")
def secrets_group() -> None:
    """Manage the key that seals platforms' secrets at rest."""


@secrets_group.command("rotate")
@db_option
@secrets_key_option
def secrets_rotate(db_url: str, secrets_key: str | None) -> None:
    """Seal every platform's settings under a new secrets key, and drop the old key.

    Every setting (webhook secrets, authorization headers, connector credentials) is opened with
    the current key and sealed with a new one in one transaction; the key file is then replaced,
    so nothing stays readable under the old key. Nodes sharing the key file read the new key on
    their next refresh. With REMIT_SECRETS_KEY the new key is printed once: set it on every
    node and restart them. Back the new key up, apart from the database.
    """
    path = key_file(secrets_key)
    key, count = rotate_key(db_url, path, say=click.echo)
    where = "REMIT_SECRETS_KEY (printed above)" if key.source == "REMIT_SECRETS_KEY" else path
    click.echo(f"sealed {count} platform settings with the new secrets key {key.id} in {where}")
