"""Storage: orders and their documents, users and tokens, the audit trail.

:class:`Store` is the interface the rest of remit uses. Two implementations:
:class:`MemoryStore` for unit tests, and :class:`SqlStore` on SQLite (the default, a file in the
working folder) or PostgreSQL (many nodes sharing one database, with order changes pushed
through LISTEN/NOTIFY). The transparency log's entries live in the same database
(:class:`SqlLogStore`, from :func:`log_store_for` or :func:`open_log_store`), and so do live
enforcement's platforms, roster and outbox (:class:`SqlEnforcementStore`, from
:func:`enforcement_store_for` or :func:`open_enforcement_store`), and so do the console's
passwords and sessions (:class:`ConsoleStore`, from :func:`console_store_for`). Platforms'
settings are sealed at rest under a key kept apart from the database (:class:`Sealer`, from
:func:`open_sealer`; :func:`rotate_key`)::

    upgrade("sqlite:///remit.sqlite3")        # create or migrate the schema (`remit db upgrade`)
    store = open_store("sqlite:///remit.sqlite3")
    store = open_store("postgresql+psycopg://remit@db.example:5432/remit")

Every method raises only remit errors: ``NotFound``, ``Conflict``, ``InvalidInput`` (also
``InvalidConfiguration`` for a URL remit cannot use) and ``StoreError``.
"""

from remit.store._console import ConsoleSession, ConsoleStore, MemoryConsoleStore
from remit.store._console_sql import SqlConsoleStore, console_store_for
from remit.store._enforcement_sql import (
    SqlEnforcementStore,
    enforcement_store_for,
    open_enforcement_store,
)
from remit.store._interface import AuditEntry, OrderChanges, Role, Store, User
from remit.store._log_sql import SqlLogStore, log_store_for, open_log_store
from remit.store._memory import MemoryStore
from remit.store._roster_process import RosterProcess
from remit.store._sealed import ENV_KEY, KEY_FILE, Sealer, secrets_key_path
from remit.store._sealed_sql import open_sealer, rotate_key
from remit.store._sql_engine import DEFAULT_URL
from remit.store._sql_migrate import upgrade
from remit.store._sql_store import SqlStore, open_store

__all__ = [
    "DEFAULT_URL",
    "ENV_KEY",
    "KEY_FILE",
    "AuditEntry",
    "ConsoleSession",
    "ConsoleStore",
    "MemoryConsoleStore",
    "MemoryStore",
    "OrderChanges",
    "Role",
    "RosterProcess",
    "Sealer",
    "SqlConsoleStore",
    "SqlEnforcementStore",
    "SqlLogStore",
    "SqlStore",
    "Store",
    "User",
    "console_store_for",
    "enforcement_store_for",
    "log_store_for",
    "open_enforcement_store",
    "open_log_store",
    "open_sealer",
    "open_store",
    "rotate_key",
    "secrets_key_path",
    "upgrade",
]
