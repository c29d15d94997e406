"""Checks of plain values that every layer makes alike: times, page sizes, enumerations.

One definition each, so that orders, the roster, the outbox and every store refuse the same
inputs with the same message. Imports nothing of remit's but its errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

from remit.errors import InvalidInput

E = TypeVar("E", bound=Enum)


def aware(value: datetime, field: str) -> datetime:
    """A datetime with a time zone, given back in UTC (stores give every datetime back in UTC);
    ``InvalidInput`` naming ``field`` for a naive one or for what is not a datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(f"{field}: must be a date and time with a time zone", field=field)
    return value.astimezone(UTC)


def maybe_aware(value: datetime | None, field: str) -> datetime | None:
    """:func:`aware`, for a datetime that may be absent."""
    return None if value is None else aware(value, field)


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more of the digits 0-9 and nothing else. ``str.isdigit`` alone
    also takes ``१``, ``１`` and ``²``, which ``int`` reads as 1, 1 and not at all."""
    return text.isascii() and text.isdigit()


def whole_number_text(text: str, field: str, low: int, high: int) -> int:
    """``text``, the digits 0-9 of a number from ``low`` to ``high``, as that number;
    ``InvalidInput`` naming ``field`` otherwise."""
    if not ascii_digits(text) or len(text) > 20 or not low <= int(text) <= high:
        raise InvalidInput(
            f"{field}: must be a whole number from {low} to {high}, in the digits 0-9", field=field
        )
    return int(text)


def page_size(value: int) -> int:
    """A page size (``limit``): a whole number of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput("limit: must be a whole number of at least 1", field="limit")
    return value


def member(kind: type[E], value: object, what: str, field: str = "status") -> E:
    """The member of ``kind`` that ``value`` is (or is the value of); ``InvalidInput`` naming
    ``field`` otherwise: ``status: 'sent' is not a command status``."""
    if type(value) is kind:
        return value  # the usual case, without the enum's lookup: enqueueing is hot
    try:
        return kind(value)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {value!r} is not {what}", field=field) from exc
