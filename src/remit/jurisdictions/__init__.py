"""Jurisdictions: ISO 3166-1 countries, ISO 3166-2 subdivisions and named groups (EU, EEA).

Pure data, no I/O beyond reading the package's own files. ``CN`` is mainland China only;
``HK``, ``MO`` and ``TW`` are separate codes.
"""

from remit.jurisdictions._registry import (
    Jurisdiction,
    covers,
    get,
    groups,
    is_known,
    scope_places,
)

__all__ = ["Jurisdiction", "covers", "get", "groups", "is_known", "scope_places"]
