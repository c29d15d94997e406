"""Where a participant is: :class:`Location`, the value every decision is made on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A resolved location: a country, perhaps a subdivision, and the source that said so.

    ``country`` is an ISO 3166-1 alpha-2 code or None when the location is unknown. An unknown
    location is never inside any scope: remit does not act on a participant it cannot place.
    ``source`` names what placed the participant: ``static`` (the operator's table), ``maxmind``,
    ``iptocc`` (RIR allocation data), ``phone`` (the dial-in number), or ``none``.
    """

    country: str | None
    subdivision: str | None
    source: str

    @property
    def known(self) -> bool:
        """Whether a country was resolved."""
        return self.country is not None

    def to_dict(self) -> dict[str, str | None]:
        """The JSON form used by the CLI and the API."""
        return {"country": self.country, "subdivision": self.subdivision, "source": self.source}


#: The location of a participant no source could place.
UNKNOWN = Location(None, None, "none")
