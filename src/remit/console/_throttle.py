"""Throttling sign-in: a few wrong passwords, then a pause, per user name and per client address.

Every attempt is counted in the database *before* its password is checked (so that parallel
guesses, on one node or many, are counted too), under the name as typed and under the client's
address; a token sign-in only under the address. An attempt that signs in is taken back, and
clears the name's count; one refused unheard is taken back as well, so refusals do not stretch
the pause. When a name or an address has ``max_failures`` failures within ``window``, further
attempts are refused unheard until ``lockout`` after the last of them, even with the right
password. Names nobody has are counted and paused alike, so the answer never tells whether a
user exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remit.errors import InvalidConfiguration
from remit.store import ConsoleStore


@dataclass(frozen=True)
class SigninLimits:
    """How many failed sign-ins a name and an address may have within ``window`` before they
    must wait ``lockout``."""

    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        for field in ("per_user", "per_address"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidConfiguration(f"{field}: must be at least 1", field=field)
        for field in ("window", "lockout"):
            if getattr(self, field) <= timedelta(0):
                raise InvalidConfiguration(f"{field}: must be longer than nothing", field=field)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted: its id, what it is counted under, and until when it must
    wait (None: it may go ahead)."""

    id: str
    keys: dict[str, str]
    locked_until: datetime | None


def locked_until(
    times: Sequence[datetime], limit: int, window: timedelta, lockout: timedelta
) -> datetime | None:
    """The end of the pause ``times`` (failures, oldest first) impose, or None: ``lockout``
    after the last of any ``limit`` failures that fall within ``window``."""
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            end = times[i] + lockout
            until = end if until is None or end > until else until
    return until


class Throttle:
    """Counts sign-in attempts in a :class:`ConsoleStore` and says when one must wait."""

    def __init__(
        self, store: ConsoleStore, limits: SigninLimits, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    def begin(self, name: str | None, address: str) -> Attempt:
        """Count an attempt by ``name`` (None for a token) from ``address``; the answer says
        whether it must wait. Settle it with :meth:`succeeded`, :meth:`failed` or
        :meth:`refused`."""
        now = self.clock()
        self.store.end_signin_failures(self._horizon(now))
        keys = {"address": address} if name is None else {"user": name, "address": address}
        attempt = secrets.token_hex(16)
        self.store.add_signin_attempt(attempt, keys, now)
        return Attempt(attempt, keys, self._paused(keys, now, besides=attempt))

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt signed in: take it back and clear the name's failures (not the
        address's: signing in to one account must not buy more guesses at others)."""
        self.store.forget_signin_attempt(attempt.id)
        if "user" in attempt.keys:
            self.store.clear_signin_failures("user", attempt.keys["user"])

    def refused(self, attempt: Attempt) -> None:
        """The attempt was refused unheard (it had to wait): take it back."""
        self.store.forget_signin_attempt(attempt.id)

    def failed(self, attempt: Attempt) -> datetime | None:
        """The attempt failed and stays counted; when the name or address must now wait, until
        when."""
        return self._paused(attempt.keys, self.clock())

    def _horizon(self, now: datetime) -> datetime:
        return now - self.limits.window - self.limits.lockout  # older failures pause no one

    def _paused(self, keys: dict[str, str], now: datetime, besides: str = "") -> datetime | None:
        limits = {"user": self.limits.per_user, "address": self.limits.per_address}
        until: datetime | None = None
        for kind, value in keys.items():
            failures = self.store.signin_failures(kind, value, self._horizon(now))
            times = [at for attempt, at in failures if attempt != besides]
            end = locked_until(times, limits[kind], self.limits.window, self.limits.lockout)
            if end is not None and end > now and (until is None or end > until):
                until = end
        return until
