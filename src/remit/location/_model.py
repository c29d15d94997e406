"""Where a participant is: :class:`Location`, the value decisions are made on, and its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UNKNOWN", "Answer", "Location"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one source said about one address: a place, or nothing, and the date of its data.

    ``source`` is the source's name (``iptocc``, ``dbip``, ``static``, a named MaxMind-format
    database). ``country`` is None when the source could not place the address (or gave an answer
    remit cannot use, such as the registries' ``EU``). ``data_date`` is the date of the data the
    answer came from (ISO 8601, ``2026-10-27``), or None when the source does not know it.
    """

    source: str
    country: str | None
    subdivision: str | None = None
    data_date: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The JSON form, inside :meth:`Location.to_dict`."""
        return {
            "source": self.source,
            "country": self.country,
            "subdivision": self.subdivision,
            "data_date": self.data_date,
        }


@dataclass(frozen=True, slots=True)
class Location:
    """A resolved location: a country, perhaps a subdivision, what placed it, and the evidence.

    ``country`` is an ISO 3166-1 alpha-2 code, or None when the location is unknown *for
    enforcement*: no source placed the participant, or the sources did not agree. An unknown
    location is never inside any scope: remit does not act on a participant it cannot place.

    ``source`` says what placed the participant: ``agree`` (the IP sources that answered agreed,
    under the rule ``agree``), ``static`` (the operator's table, an override), the name of the one
    source that answered first (under the rule ``first``), ``phone`` (the dial-in number);
    ``disputed`` when IP sources answered but did not place the participant, ``none`` when
    nothing answered.

    ``evidence`` holds every IP source's answer, in the configured order, with its data's date.
    ``dispute`` says why the answers were not enough (``sources disagree: dbip UA, iptocc RU``),
    for the country or, when the country was agreed, for the subdivision; ``contested`` holds the
    places some source gave that were not agreed, so that a decision names the orders a dispute
    kept from applying. ``embedded`` is ``nat64``, ``6to4`` or ``teredo`` when the participant was
    placed by the public IPv4 address their IPv6 address carries.
    """

    country: str | None
    subdivision: str | None
    source: str
    evidence: tuple[Answer, ...] = ()
    dispute: str | None = None
    contested: frozenset[str] = frozenset()
    embedded: str | None = None

    @property
    def known(self) -> bool:
        """Whether a country was resolved."""
        return self.country is not None

    @property
    def disputed(self) -> bool:
        """Whether sources answered but their answers did not place the participant's country."""
        return self.country is None and self.dispute is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the CLI, the API and the store; :meth:`from_dict` reads it."""
        out: dict[str, Any] = {
            "country": self.country,
            "subdivision": self.subdivision,
            "source": self.source,
        }
        if self.evidence:
            out["evidence"] = [answer.to_dict() for answer in self.evidence]
        if self.dispute is not None:
            out["dispute"] = self.dispute
            out["contested"] = sorted(self.contested)
        if self.embedded is not None:
            out["embedded"] = self.embedded
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location:
        """The Location whose :meth:`to_dict` is ``data`` (a store reading back what it wrote)."""
        evidence = tuple(
            Answer(a["source"], a.get("country"), a.get("subdivision"), a.get("data_date"))
            for a in data.get("evidence", ())
        )
        found = cls(
            data.get("country"),
            data.get("subdivision"),
            data.get("source", "none"),
            evidence,
            data.get("dispute"),
            frozenset(data.get("contested", ())),
            data.get("embedded"),
        )
        return UNKNOWN if found == UNKNOWN else found


#: The location of a participant no source could place.
UNKNOWN = Location(None, None, "none")
