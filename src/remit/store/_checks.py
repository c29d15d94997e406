"""Checks every store makes the same way, so the in-memory and SQL stores answer alike.

Those of times and page sizes are every layer's: :mod:`remit._checks`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime

from remit._checks import member
from remit.errors import InvalidInput
from remit.orders import Order, Status, Transition

_SHA256 = re.compile(r"[0-9a-f]{64}")


def status(value: Status | str) -> Status:
    """A status from its value, or ``InvalidInput``."""
    return member(Status, value, "a status")


def token_hash(value: str) -> str:
    """The SHA-256 hex of a token: 64 lower-case hex digits."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidInput(
            "token_hash: must be the SHA-256 of the token as 64 lower-case hex digits",
            field="token_hash",
        )
    return value


def document_sha256(order: Order, document: bytes | None) -> str | None:
    """The SHA-256 hex of a document, which must match the order's record of it."""
    if document is None:
        return None
    if not isinstance(document, bytes | bytearray | memoryview):
        raise InvalidInput("document: must be bytes", field="document")
    digest = sha256_hex(document)
    if order.document is not None and order.document.sha256 != digest:
        raise InvalidInput(
            "document: its SHA-256 differs from the one recorded in the order", field="document"
        )
    return digest


def sha256_hex(data: bytes | bytearray | memoryview) -> str:
    """The SHA-256 of some bytes, as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


def new_transitions(order: Order, stored: int) -> tuple[Transition, ...]:
    """The transitions of ``order`` after the ``stored`` ones: the only ones a save appends."""
    return tuple(t for t in order.transitions if t.sequence > stored)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def in_utc(order: Order) -> Order:
    """The same order with every datetime in UTC, as a database gives it back."""
    return replace(
        order,
        received_at=order.received_at.astimezone(UTC),
        effective_from=_utc(order.effective_from),
        effective_until=_utc(order.effective_until),
        transitions=tuple(replace(t, at=t.at.astimezone(UTC)) for t in order.transitions),
    )
