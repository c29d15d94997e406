"""The transparency log's tables, declared on the store's ``Base`` so migrations cover them.

``log_entries`` holds each entry once (its ``key`` is unique) with its RFC 6962 leaf hash;
``log_sequence`` is the single row every append locks to number entries without gaps;
``log_checkpoints`` keeps the signed checkpoints, one per tree size.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from remit.store._sql_models import CODE, Base

KEY = 400  # "order/<id>/<sequence>" and the like


class LogEntryRow(Base):
    """One leaf of the log: appended once, never updated."""

    __tablename__ = "log_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(KEY), unique=True)
    kind: Mapped[str] = mapped_column(String(CODE), index=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LogSequenceRow(Base):
    """The single row (id 1) holding the log's size: appends lock it, so indexes have no gaps."""

    __tablename__ = "log_sequence"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class LogCheckpointRow(Base):
    """A signed checkpoint (a signed note) of the log at ``size`` entries."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
