"""Platforms' settings sealed in the database (:mod:`remit.store._sealed`): at the start of a node
or command (:func:`open_sealer`: the key checked, plain values sealed) and under a new key
(:func:`rotate_key`, ``remit secrets rotate``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text

from remit.errors import InvalidConfiguration
from remit.store._enforcement_models import PlatformRow
from remit.store._sealed import (
    ENV_KEY,
    SealedKey,
    Sealer,
    new_key,
    read_key,
    sealed_key_id,
    write_key,
)
from remit.store._sql_database import Database
from remit.store._sql_engine import translated


def sealed_key_ids(db: Database) -> set[str]:
    """The ids of the secrets keys the stored settings were sealed with."""
    with db.transaction("read the platforms' sealed settings", snapshot=True) as session:
        rows = session.scalars(select(PlatformRow.settings))
        return {k for s in rows for v in s.values() if (k := sealed_key_id(v)) is not None}


def reseal(db: Database, opener: Sealer, sealer: Sealer, *, every: bool) -> int:
    """Open every platform's settings with ``opener`` (each sealed value is checked) and seal
    them with ``sealer``: every value when ``every`` (a new key), else only the plain ones
    (sealing a database made before sealing existed: idempotent). One transaction: all or none.
    The number of values written. On SQLite the old bytes are overwritten (secure delete) and the
    write-ahead log emptied, so that the file keeps no copy of them."""
    count = 0
    with db.transaction("seal the platforms' settings", write=True) as session:
        if not db.postgres:
            session.execute(text("PRAGMA secure_delete = ON"))
        for row in session.scalars(select(PlatformRow).order_by(PlatformRow.name)):
            stored = dict(row.settings)
            plain = opener.open_all(row.name, stored)
            fresh = {
                name: (
                    sealer.seal(row.name, name, value)
                    if every or sealed_key_id(stored[name]) is None
                    else stored[name]
                )
                for name, value in plain.items()
            }
            changed = sum(fresh[name] != stored[name] for name in fresh)
            if changed:
                row.settings = fresh
                count += changed
    if count and not db.postgres:
        with translated("empty the write-ahead log"), db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return count


def next_key_path(path: Path) -> Path:
    """Where ``remit secrets rotate`` keeps the new key until the database is sealed with it."""
    return path.with_name(f"{path.name}.next")


def _file_key(path: Path) -> SealedKey | None:
    return read_key(path, environ={})


def open_sealer(
    url: str, path: Path, *, create: bool = True, say: Callable[[str], None] = print
) -> Sealer:
    """The sealer of a node or command: the key from ``REMIT_SECRETS_KEY`` or the file ``path``,
    checked against the database, and every plain setting sealed with it (idempotent).

    With no key anywhere the file is created (mode 0600) when ``create`` and nothing in the
    database is sealed yet. A key that is not the one the database was sealed with, a missing key
    for a sealed database, or a value that does not open is ``InvalidConfiguration`` in one line
    naming the key ids (never a key). A rotation that stopped after sealing the database with the
    new key but before the key file was replaced is finished here. ``say`` tells the operator."""
    db = Database.open(url)
    try:
        return _open_sealer(db, path, create=create, say=say)
    finally:
        db.close()


def _open_sealer(db: Database, path: Path, *, create: bool, say: Callable[[str], None]) -> Sealer:
    kids = sealed_key_ids(db)
    key = read_key(path)
    if key is None:
        if kids:
            raise InvalidConfiguration(
                f"the platforms' settings are sealed with secrets key {min(kids)}, but there is "
                f"no key in {path} and {ENV_KEY} is unset: restore the key from its backup",
                field="secrets-key",
            )
        if not create:
            raise InvalidConfiguration(
                f"no secrets key in {path} and {ENV_KEY} is unset (remit serve creates it)",
                field="secrets-key",
            )
        key = new_key(str(path))
        try:
            write_key(key, path, exclusive=True)
        except FileExistsError:  # a node starting alongside made it first
            return _open_sealer(db, path, create=create, say=say)
        say(f"created the secrets key {path} (back it up, apart from the database)")
    pending = next_key_path(path)
    if key.source != ENV_KEY and kids and key.id not in kids and pending.exists():
        fresh = _file_key(pending)
        if fresh is not None and fresh.id in kids:
            os.replace(pending, path)
            key = SealedKey(fresh.raw, str(path))
            say(f"finished an interrupted rotation: {path} now holds secrets key {key.id}")
    wrong = kids - {key.id}
    if wrong:
        raise InvalidConfiguration(
            f"the platforms' settings are sealed with secrets key {min(wrong)}, but the key in "
            f"{key.source} is {key.id}: restore the right key (from its backup)",
            field="secrets-key",
        )
    sealer = Sealer(key, reload=None if key.source == ENV_KEY else lambda: _file_key(path))
    sealed = reseal(db, sealer, sealer, every=False)  # opens every value: a damaged one is named
    if sealed:
        say(f"sealed {sealed} platform settings stored in the clear with secrets key {key.id}")
    return sealer


def rotate_key(
    url: str, path: Path, *, say: Callable[[str], None] = print
) -> tuple[SealedKey, int]:
    """Seal every platform setting under a new key, and drop the old key.

    For a key file: the new key is written beside it first (``….next``), the database sealed
    with it in one transaction, then the file replaced, so that a crash at any point leaves a key
    that opens the database (:func:`open_sealer` finishes the rotation). For ``REMIT_SECRETS_KEY``
    the new key is told (``say``) before the database changes: the operator sets it on every node.
    The new key and the number of values sealed."""
    db = Database.open(url)
    try:
        return _rotate_key(db, path, say=say)
    finally:
        db.close()


def _rotate_key(db: Database, path: Path, *, say: Callable[[str], None]) -> tuple[SealedKey, int]:
    old = _open_sealer(db, path, create=False, say=say)
    if old.key.source == ENV_KEY:
        new = new_key(ENV_KEY)
        say(f"{ENV_KEY}={new.raw.hex()}")
        return new, reseal(db, old, Sealer(new), every=True)
    new = new_key(str(path))
    pending = next_key_path(path)
    write_key(new, pending, exclusive=False)
    count = reseal(db, old, Sealer(new), every=True)
    os.replace(pending, path)
    return new, count
