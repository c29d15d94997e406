"""The decision engine: active orders compiled to an index; ``decide`` answers allow or deny.

Pure and free of I/O. Invariants 1 and 2 of docs/design.md hold by construction: an order's
scope must lie inside its authority's jurisdiction, a deny needs the participant's known location
inside that scope (a location the IP sources dispute is unknown for enforcement), and no target
can name an account.
"""

from remit.policy._index import EXEMPT, SOURCES_DISAGREE, UNKNOWN_LOCATION, PolicyIndex
from remit.policy._model import (
    ACCOUNT_TYPES,
    ANY_PLATFORM,
    HOST,
    ActiveOrder,
    Decision,
    Outcome,
    Resource,
    Skipped,
    Target,
)
from remit.policy._resource_types import DEFAULT_RESOURCE_TYPES, ResourceTypes

__all__ = [
    "ACCOUNT_TYPES",
    "ANY_PLATFORM",
    "DEFAULT_RESOURCE_TYPES",
    "EXEMPT",
    "HOST",
    "SOURCES_DISAGREE",
    "UNKNOWN_LOCATION",
    "ActiveOrder",
    "Decision",
    "Outcome",
    "PolicyIndex",
    "Resource",
    "ResourceTypes",
    "Skipped",
    "Target",
]
