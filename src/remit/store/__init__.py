"""Storage: orders and their documents, users and tokens, the audit trail.

:class:`Store` is the interface the rest of remit uses. Two implementations:
:class:`MemoryStore` for unit tests, and :class:`SqlStore` on SQLite (the default, a file in the
working folder) or PostgreSQL (many nodes sharing one database, with order changes pushed
through LISTEN/NOTIFY)::

    upgrade("sqlite:///remit.sqlite3")        # create or migrate the schema (`remit db upgrade`)
    store = open_store("sqlite:///remit.sqlite3")
    store = open_store("postgresql+psycopg://remit@db.example:5432/remit")

Every method raises only remit errors: ``NotFound``, ``Conflict``, ``InvalidInput`` (also
``InvalidConfiguration`` for a URL remit cannot use) and ``StoreError``.
"""

from remit.store._interface import AuditEntry, OrderChanges, Role, Store, User
from remit.store._memory import MemoryStore
from remit.store._sql_engine import DEFAULT_URL
from remit.store._sql_migrate import upgrade
from remit.store._sql_store import SqlStore, open_store

__all__ = [
    "DEFAULT_URL",
    "AuditEntry",
    "MemoryStore",
    "OrderChanges",
    "Role",
    "SqlStore",
    "Store",
    "User",
    "open_store",
    "upgrade",
]
