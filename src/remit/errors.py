"""remit's error tree.

Every error remit raises on purpose is a :class:`RemitError`. Errors from libraries remit uses
(pycountry, maxminddb, phonenumbers, …) are translated where they enter and never leak::

    RemitError
     ├── InvalidInput                 a caller gave remit something it cannot use (also ValueError)
     │    ├── UnknownJurisdiction     not an ISO 3166-1/3166-2 code nor a named group
     │    ├── InvalidAddress          not an IP address, or an ambiguous form of one
     │    ├── InvalidPhoneNumber      not a dialable E.164 number
     │    ├── InvalidScope            a scope that is empty or reaches outside its jurisdiction
     │    ├── InvalidOrder            an order that cannot be enforced as written
     │    └── InvalidConfiguration    a setting remit was given cannot be used
     ├── NotFound                     no such order, user or record
     ├── Conflict                     not allowed in the record's current state, or lost a race
     │    └── FourEyesViolation       the person who recorded an order tried to approve it
     ├── LocationDataError            a location database is missing, unreadable or corrupt
     ├── StoreError                   the database failed (not the caller's fault)
     ├── DeliveryError                a platform did not take a command (it will be retried)
     └── VerificationError            a proof, checkpoint or signature does not hold

Each error carries ``field``: the name of the input it is about, when there is one, so that the
CLI and the HTTP API can say which input was wrong.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DeliveryError",
    "FourEyesViolation",
    "InvalidAddress",
    "InvalidConfiguration",
    "InvalidInput",
    "InvalidOrder",
    "InvalidPhoneNumber",
    "InvalidScope",
    "LocationDataError",
    "NotFound",
    "RemitError",
    "StoreError",
    "UnknownJurisdiction",
    "VerificationError",
]


class RemitError(Exception):
    """Base of every error remit raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(RemitError, ValueError):
    """A caller gave remit a value it cannot use. Nothing was changed."""


class UnknownJurisdiction(InvalidInput):
    """A jurisdiction code that is neither ISO 3166-1 alpha-2, ISO 3166-2, nor a named group."""


class InvalidAddress(InvalidInput):
    """Not an IP address, or an ambiguous spelling of one (such as leading zeros)."""


class InvalidPhoneNumber(InvalidInput):
    """Not a phone number remit can place: it must be in international form (+CC…)."""


class InvalidScope(InvalidInput):
    """A scope that is empty, unknown, or reaches outside the authority's jurisdiction."""


class InvalidOrder(InvalidInput):
    """An order that cannot be enforced as written (no target, an account-wide action, …)."""


class InvalidConfiguration(InvalidInput):
    """A setting remit was given (a file, a table, a precedence) cannot be used."""


class NotFound(RemitError):
    """No order, user or record has the id that was given."""


class Conflict(RemitError):
    """The action is not allowed in the record's current state, or another change won a race."""


class FourEyesViolation(Conflict):
    """An order takes effect only when someone other than the person who recorded it approves."""


class StoreError(RemitError):
    """The database failed or could not be reached; the caller's input may have been fine."""


class DeliveryError(RemitError):
    """A platform could not be reached or did not accept a command; delivery is retried."""


class LocationDataError(RemitError):
    """A location database is missing, unreadable or corrupt."""


class VerificationError(RemitError):
    """A Merkle proof, a checkpoint or a signature does not hold."""
