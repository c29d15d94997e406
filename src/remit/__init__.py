"""remit keeps every government demand inside the borders of the government that made it.

The public namespace: import from ``remit`` (and the documented subpackages
``remit.jurisdictions``, ``remit.location``, ``remit.policy``, ``remit.transparency``).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    __version__: str

#: Where each public name lives. They are imported on first use (PEP 562), so that code running
#: outside remit's own environment (the Synapse module, inside Synapse's process) can import a
#: submodule of remit without remit's dependencies, or remit itself, being installed.
_HOMES = {
    **dict.fromkeys(
        (
            "InvalidAddress",
            "InvalidConfiguration",
            "InvalidInput",
            "InvalidOrder",
            "InvalidPhoneNumber",
            "InvalidScope",
            "LocationDataError",
            "RemitError",
            "UnknownJurisdiction",
            "VerificationError",
        ),
        "remit.errors",
    ),
    **dict.fromkeys(("UNKNOWN", "Location", "Locator"), "remit.location"),
    **dict.fromkeys(
        ("ActiveOrder", "Decision", "PolicyIndex", "Resource", "Skipped", "Target"), "remit.policy"
    ),
}


def __getattr__(name: str) -> Any:
    """A public name, imported on first use."""
    import importlib

    if name == "__version__":
        from importlib.metadata import version

        value: Any = version("remit")
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'remit' has no attribute {name!r}")
    globals()[name] = value
    return value


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
