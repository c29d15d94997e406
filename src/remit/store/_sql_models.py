"""The SQL schema as SQLAlchemy models. Rows never leave the store: see ``_sql_codec``.

The queried fields of an order are columns; the rest of it (authority, request, targets, document
metadata, scope, effective dates) is one JSON value. Transitions are rows of their own, one per
step, inserted and never updated. ``migrations/versions`` must create exactly these tables: a test
compares the migrated schema with this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint and index names are spelled out so that SQLite and PostgreSQL agree on them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME = 200  # user names, actors, ids
CODE = 32  # statuses, jurisdiction codes


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back aware, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored: give it a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    status: Mapped[str] = mapped_column(String(CODE), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(CODE), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: Raised on every write, from ``order_sequence``: ``changes_since`` reads by it.
    change_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    transitions: Mapped[list[TransitionRow]] = relationship(
        order_by="TransitionRow.sequence", viewonly=True, lazy="raise"
    )


class TransitionRow(Base):
    """One step of an order's lifecycle: inserted once, never updated."""

    __tablename__ = "order_transitions"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(CODE))
    from_status: Mapped[str | None] = mapped_column(String(CODE))
    to_status: Mapped[str] = mapped_column(String(CODE))
    actor: Mapped[str] = mapped_column(String(NAME))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    checklist: Mapped[dict[str, bool] | None] = mapped_column(JSON)
    scope: Mapped[list[str] | None] = mapped_column(JSON)


class DocumentRow(Base):
    """The original document of a demand, as received."""

    __tablename__ = "documents"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean)


class TokenRow(Base):
    """An API token, by the SHA-256 hex of its value: the token itself is never stored."""

    __tablename__ = "tokens"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    #: When a replaced token stops working (its grace period); None: until it is revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TokenRevocationRow(Base):
    """One revocation of a user's tokens, taking effect at ``effective_at``: nodes count those in
    effect, and drop their token caches when the count changes."""

    __tablename__ = "token_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(NAME))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(NAME))
    subject: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(Text)


class SequenceRow(Base):
    """The single row (id 1) from which every write takes its ``change_seq``."""

    __tablename__ = "order_sequence"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
