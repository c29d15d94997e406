"""What a node and its roster's process (:mod:`~remit.store._roster_process`) say to each
other: frames (a length, then a pickle) on a pipe, carrying writes and sessions as tuples of
plain values, strings rather than enums and datetimes (those pickle in Python, some 5 and 15 µs
each: a join went from some 26 µs to a few)."""

from __future__ import annotations

import os
import pickle
import select
import struct
from datetime import datetime
from enum import StrEnum
from typing import Any

from remit.enforcement._checks import session_status
from remit.enforcement._model import Session
from remit.enforcement._roster import End, Join, Move, RosterWrite
from remit.errors import StoreError
from remit.location import Location
from remit.policy import Resource

_LENGTH = struct.Struct(">I")


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()  # naive stays naive, for the child's check to refuse
    return value.value if isinstance(value, StrEnum) else value


def moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def session_wire(s: Session) -> tuple[Any, ...]:
    r = s.resource
    return (s.id, s.platform, r.type, r.id, r.host, s.participant, s.location.to_dict(),
            plain(s.joined_at), plain(s.status), s.language, plain(s.ended_at))  # fmt: skip


def session_of(t: tuple[Any, ...]) -> Session:
    """The session :func:`session_wire` made ``t`` of."""
    return Session(t[0], t[1], Resource(t[2], t[3], t[4]), t[5], Location.from_dict(t[6]),
                   datetime.fromisoformat(t[7]), session_status(t[8]), t[9],
                   moment(t[10]))  # fmt: skip


def wire(write: RosterWrite) -> tuple[Any, ...]:
    if isinstance(write, Join):
        return ("join", session_wire(write.session))
    if isinstance(write, End):
        return ("end", write.session_id, plain(write.status), plain(write.at), write.platform)
    return ("move", write.session_id, write.location.to_dict(), write.platform)


def unwire(t: tuple[Any, ...]) -> RosterWrite:
    """A write as sent (a bad value stays bad: the store's checks refuse it, as in process)."""
    if t[0] == "join":
        return Join(session_of(t[1]))
    if t[0] == "end":
        return End(t[1], t[2], moment(t[3]), t[4])  # type: ignore[arg-type]
    return Move(t[1], Location.from_dict(t[2]), t[3])


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives the pipe, else a ``StoreError`` saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return StoreError(f"the roster could not be written ({type(exc).__name__}: {exc})")
    return exc


def frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Frames:
    """Frames read from a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def _next(self) -> Any | None:
        """The next complete frame in the buffer, or None."""
        if len(self._buffer) < _LENGTH.size:
            return None
        (length,) = _LENGTH.unpack_from(self._buffer)
        end = _LENGTH.size + length
        if len(self._buffer) < end:
            return None
        data = bytes(self._buffer[_LENGTH.size : end])
        del self._buffer[:end]
        return pickle.loads(data)

    def _fill(self) -> bool:
        """Read what is there (waiting for something); False at EOF."""
        data = os.read(self.fd, 1 << 16)
        self._buffer += data
        return bool(data)

    def one(self) -> Any:
        """The next frame, waiting for it; ``EOFError`` when the other end has closed."""
        while (value := self._next()) is None:
            if not self._fill():
                raise EOFError("the pipe closed")
        return value

    def waiting(self, most: int) -> list[Any]:
        """The next frame (waiting for it), then every frame already sent, up to ``most``."""
        values = [self.one()]
        while len(values) < most:
            value = self._next()
            if value is None:
                if not select.select([self.fd], [], [], 0)[0] or not self._fill():
                    break
                continue
            values.append(value)
        return values
