"""Schema migrations with Alembic, run from code: the scripts live inside the package.

``upgrade`` brings a database to the newest schema; ``check_migrated`` refuses a database that is
not exactly there, so that remit never writes to a schema it does not know.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from remit.errors import StoreError
from remit.store._sql_engine import (
    WRITE,
    create,
    is_postgres,
    masked,
    parse_url,
    prepare_sqlite_file,
    translated,
)

MIGRATIONS = Path(__file__).with_name("migrations")
#: How every refusal of an unmigrated database begins.
NOT_MIGRATED = "database is not migrated"
#: Where to name the right database: a command run from another folder opens another file.
_NAME_IT = "name the database remit serve uses with --db URL (or REMIT_DATABASE_URL)"
#: Held while migrating PostgreSQL, so that nodes starting together migrate one at a time.
_ADVISORY_LOCK = 0x72656D6974  # "remit"


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file: the package's scripts, this connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str) -> None:
    """Create or bring the database at ``url`` to the newest schema. Safe to run again.
    A SQLite file is created readable by its owner only (mode 0600)."""
    parsed = parse_url(url)
    prepare_sqlite_file(parsed)
    engine = create(parsed)
    try:
        with translated("migrate the database"), engine.connect() as connection:
            connection.execution_options(**{WRITE: True})
            with connection.begin():
                if is_postgres(engine):
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK}
                    )
                command.upgrade(config(connection), "head")
    finally:
        engine.dispose()


def shown(url: URL) -> str:
    """The database URL as an operator writes it (no password); a SQLite file's full path."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(str(url.database)).resolve()}"
    return masked(url.render_as_string(hide_password=False))


def check_migrated(engine: Engine) -> None:
    """``StoreError`` unless the database's schema is exactly the newest this remit knows.

    The message names the database opened. A SQLite file that does not exist is not created,
    and the advice is never one that would make a second, empty database: a command run from
    another folder than ``remit serve`` opens another ``remit.sqlite3``, so it says to name the
    right one with ``--db``.
    """
    where = shown(engine.url)
    if engine.url.get_backend_name() == "sqlite" and not Path(str(engine.url.database)).is_file():
        raise StoreError(f"{NOT_MIGRATED}: {where} does not exist; {_NAME_IT}")
    scripts = ScriptDirectory.from_config(config())
    with translated("read the database's schema version"), engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        raise StoreError(
            f"database schema {', '.join(sorted(current - known))} is newer than this remit: "
            "upgrade remit"
        )
    heads = set(scripts.get_heads())
    if not current:
        raise StoreError(
            f"{NOT_MIGRATED}: {where} holds no remit schema; {_NAME_IT}, "
            "or run remit serve on this one (it migrates it first)"
        )
    if current != heads:
        raise StoreError(
            f"{NOT_MIGRATED}: {where} is at schema {', '.join(sorted(current))} and this remit "
            f"needs {', '.join(sorted(heads))}: run `remit db upgrade --db {where}` "
            "(remit serve also migrates on start)"
        )
