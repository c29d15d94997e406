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

from remit.errors import StoreError
from remit.store._sql_engine import WRITE, create, is_postgres, parse_url, translated

MIGRATIONS = Path(__file__).with_name("migrations")
NOT_MIGRATED = "database is not migrated: run `remit db upgrade`"
#: Held while migrating PostgreSQL, so that nodes starting together migrate one at a time.
_ADVISORY_LOCK = 0x72656D6974  # "remit"


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file: the package's scripts, this connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str) -> None:
    """Create or bring the database at ``url`` to the newest schema. Safe to run again."""
    engine = create(parse_url(url))
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


def check_migrated(engine: Engine) -> None:
    """``StoreError`` unless the database's schema is exactly the newest this remit knows."""
    scripts = ScriptDirectory.from_config(config())
    with translated("read the database's schema version"), engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        raise StoreError(
            f"database schema {', '.join(sorted(current - known))} is newer than this remit: "
            "upgrade remit"
        )
    if current != set(scripts.get_heads()):
        raise StoreError(NOT_MIGRATED)
