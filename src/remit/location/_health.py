"""The state of each location source, for ``/healthz``, ``/metrics`` and the log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remit.location._sources import IPSource

__all__ = ["DEFAULT_MAX_AGE_DAYS", "SourceStatus", "statuses"]

#: Data older than this many days is a warning (``--location-max-age-days``).
DEFAULT_MAX_AGE_DAYS = 60


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One IP source as an operator checks it.

    ``data_date`` is the date of its data (None when unknown), ``age_days`` its age today.
    ``warning`` says what needs the operator: data older than the limit, data of unknown date,
    a replacement file that was refused (the old data still in use). The operator's static table
    has no date and never ages.
    """

    name: str
    family: str
    data_date: date | None
    age_days: int | None
    warning: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``/healthz``."""
        return {
            "name": self.name,
            "family": self.family,
            "data_date": None if self.data_date is None else self.data_date.isoformat(),
            "age_days": self.age_days,
            "warning": self.warning,
        }


def statuses(
    sources: Iterable[IPSource], max_age_days: int, today: date | None = None
) -> tuple[SourceStatus, ...]:
    """The status of each source, ``today`` (by default the current UTC day)."""
    day = datetime.now(UTC).date() if today is None else today
    found = []
    for source in sources:
        when = source.data_date
        age = None if when is None else (day - when).days
        warnings = []
        problem = getattr(source, "problem", None)
        if isinstance(problem, str):
            warnings.append(problem)
        if age is not None and age > max_age_days:
            warnings.append(f"data of {when} is {age} days old (limit {max_age_days})")
        elif when is None and not source.places_reserved:
            warnings.append("the date of its data is unknown")
        warning = f"{source.name}: {'; '.join(warnings)}" if warnings else None
        found.append(SourceStatus(source.name, source.family, when, age, warning))
    return tuple(found)
