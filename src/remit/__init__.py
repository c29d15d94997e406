"""remit keeps every government demand inside the borders of the government that made it.

The public namespace: import from ``remit`` (and the documented subpackages
``remit.jurisdictions``, ``remit.location``, ``remit.policy``, ``remit.transparency``).
"""

from importlib.metadata import version as _version

from remit.errors import (
    InvalidAddress,
    InvalidConfiguration,
    InvalidInput,
    InvalidOrder,
    InvalidPhoneNumber,
    InvalidScope,
    LocationDataError,
    RemitError,
    UnknownJurisdiction,
    VerificationError,
)
from remit.location import UNKNOWN, Location, Locator
from remit.policy import ActiveOrder, Decision, PolicyIndex, Resource, Skipped, Target

__version__ = _version("remit")

__all__ = [
    "UNKNOWN",
    "ActiveOrder",
    "Decision",
    "InvalidAddress",
    "InvalidConfiguration",
    "InvalidInput",
    "InvalidOrder",
    "InvalidPhoneNumber",
    "InvalidScope",
    "Location",
    "LocationDataError",
    "Locator",
    "PolicyIndex",
    "RemitError",
    "Resource",
    "Skipped",
    "Target",
    "UnknownJurisdiction",
    "VerificationError",
    "__version__",
]
