"""The decision engine: active orders compiled to an index; ``decide`` answers allow or deny.

Pure and free of I/O. Invariants 1 and 2 of DESIGN.md hold by construction: an order's scope must
lie inside its authority's jurisdiction, a deny needs the participant's known location inside that
scope (a location the IP sources dispute is unknown for enforcement), and no target can name an
account.
"""

from remit.policy._index import EXEMPT, SOURCES_DISAGREE, UNKNOWN_LOCATION, PolicyIndex
from remit.policy._model import (
    ACCOUNT_TYPES,
    HOST,
    ActiveOrder,
    Decision,
    Outcome,
    Resource,
    Skipped,
    Target,
)

__all__ = [
    "ACCOUNT_TYPES",
    "EXEMPT",
    "HOST",
    "SOURCES_DISAGREE",
    "UNKNOWN_LOCATION",
    "ActiveOrder",
    "Decision",
    "Outcome",
    "PolicyIndex",
    "Resource",
    "Skipped",
    "Target",
]
