"""From the sources' answers about one address to one :class:`Location`, under a rule.

Two rules: ``first`` (the first source that answers places the participant) and ``agree`` (a
participant is placed only where every independent source that answers agrees, and at least
``quorum`` independent sources answer). These functions run once per distinct combination of
answers: the :class:`~remit.location.Locator` keeps what they return, so the hot path of a join
only asks the sources and looks the combination up.
"""

from __future__ import annotations

from collections.abc import Sequence

from remit import jurisdictions
from remit.errors import UnknownJurisdiction
from remit.location._model import UNKNOWN, Answer, Location
from remit.location._sources import Place

__all__ = ["RULES", "agreed", "answer", "first_answer", "usable"]

#: How the answers of several IP sources become one location.
RULES = ("first", "agree")


def usable(place: Place | None) -> Place | None:
    """``place`` checked against remit's jurisdictions, or None when it cannot be used.

    The country must be an ISO 3166-1 country remit knows (``EU``, which registries give some
    blocks, is not); a subdivision is kept only if it lies in that country; a subdivision code
    remit does not know keeps the country alone, unless its last part is a country code
    (``CN-HK`` is remit's ``HK``), which makes the answer unusable.
    """
    if place is None:
        return None
    try:
        country_code, subdivision = place
        country = jurisdictions.get(country_code, field="country")
    except (UnknownJurisdiction, TypeError, ValueError):
        return None
    if country.kind != "country":
        return None  # a group, such as EU
    if subdivision is None:
        return (country.code, None)
    if not isinstance(subdivision, str) or subdivision[:3].upper() != f"{country.code}-":
        return None
    if jurisdictions.is_known(subdivision):
        found = jurisdictions.get(subdivision)
        return (country.code, found.code) if found.kind == "subdivision" else None
    if jurisdictions.is_known(subdivision[3:]):
        return None  # CN-HK: remit's HK, which is not part of CN
    return (country.code, None)  # a code remit does not know, such as CN-22


def answer(name: str, place: Place | None, data_date: str | None) -> Answer:
    """One source's answer as evidence (``place`` already checked by :func:`usable`)."""
    if place is None:
        return Answer(name, None, None, data_date)
    return Answer(name, place[0], place[1], data_date)


def first_answer(evidence: tuple[Answer, ...]) -> Location:
    """Under ``first``: the last answer of ``evidence`` places the participant (or nobody)."""
    last = evidence[-1]
    if last.country is None:
        return UNKNOWN
    return Location(last.country, last.subdivision, last.source, evidence)


def agreed(
    evidence: tuple[Answer, ...],
    families: Sequence[str],
    quorum: int,
    *,
    override: Answer | None = None,
) -> Location:
    """Under ``agree``: where ``evidence`` places the participant, or why it does not.

    ``families`` gives each answer's family (one family is one opinion). With ``override`` (the
    operator's static table), the override places the participant and ``evidence`` is kept
    beside it. With no answer at all the location is :data:`~remit.location.UNKNOWN`.
    """
    if override is not None:
        return Location(override.country, override.subdivision, "static", (override, *evidence))
    said = [(a, f) for a, f in zip(evidence, families, strict=True) if a.country is not None]
    if not said:
        return UNKNOWN
    countries = {a.country for a, _ in said}
    contested = frozenset(
        code for a, _ in said for code in (a.country, a.subdivision) if code is not None
    )
    if len(countries) > 1:
        return Location(
            None, None, "disputed", evidence, f"sources disagree: {_who(said)}", contested
        )
    if len({f for _, f in said}) < quorum:
        return Location(None, None, "disputed", evidence, _too_few(said, quorum), contested)
    country = said[0][0].country
    by_subdivision = [(a, f) for a, f in said if a.subdivision is not None]
    if not by_subdivision:
        return Location(country, None, "agree", evidence)
    subdivisions = {a.subdivision for a, _ in by_subdivision}
    where = frozenset(s for s in subdivisions if s is not None)
    if len(subdivisions) > 1:
        reason = f"sources disagree on the subdivision: {_who(by_subdivision)}"
        return Location(country, None, "agree", evidence, reason, where)
    if len({f for _, f in by_subdivision}) < quorum:
        reason = f"{_too_few(by_subdivision, quorum)} for the subdivision"
        return Location(country, None, "agree", evidence, reason, where)
    return Location(country, by_subdivision[0][0].subdivision, "agree", evidence)


def _who(said: Sequence[tuple[Answer, str]]) -> str:
    return ", ".join(f"{a.source} {a.subdivision or a.country}" for a, _ in said)


def _too_few(said: Sequence[tuple[Answer, str]], quorum: int) -> str:
    return f"too few sources: {_who(said)}; {quorum} independent sources needed"
