"""The console's tables, declared on the store's ``Base`` so migrations cover them (0004, 0005)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from remit.store._sql_models import NAME, Base, UTCDateTime


class ConsolePasswordRow(Base):
    """A user's console password, as an scrypt hash (``remit user passwd``)."""

    __tablename__ = "console_passwords"

    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), primary_key=True)
    hash: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsoleSessionRow(Base):
    """A signed-in browser, by the SHA-256 of its cookie: the cookie itself is never stored."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    csrf: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ConsoleSigninFailureRow(Base):
    """A failed (or still undecided) sign-in, counted under one key: the SHA-256 of a user name
    as typed or of a client address, never the name or address itself. Rows older than the
    throttle's window are deleted as new attempts come in."""

    __tablename__ = "console_signin_failures"
    __table_args__ = (Index("ix_console_signin_failures_key_hash_at", "key_hash", "at"),)

    attempt: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
