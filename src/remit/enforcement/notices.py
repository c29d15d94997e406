"""Notices to the people an order touched (Santa Clara Principles: notice), in their language.

A participant removed from a meeting, or refused entry to it, is told: the meeting is
unavailable in their location; on whose demand (the authority and its jurisdiction) and under
which law; what was asked beside what was done; and how to appeal. Each affected host gets one
notice per meeting with the count of participants removed or refused, by place, and the
statement that their account is untouched and the meeting goes on for everyone else. A refused
admission is answered with HTTP 451 (RFC 7725) and an RFC 9457 problem document naming the
authority.

Pure: builds values, does no I/O beyond reading its own catalogs once (see ``_catalogs``).
In right-to-left languages (fa, ar) each value put into the text (names, case ids, links) is
wrapped in Unicode directional isolates (FSI … PDI), so that a Latin name or a link keeps its
order and does not pull the surrounding punctuation out of place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from remit import jurisdictions
from remit.enforcement._catalogs import (
    LANGUAGES,
    RTL,
    choose_language,
)
from remit.enforcement._places import place_name
from remit.enforcement._writing import (
    Writer,
    checked_text,
    demand,
    enforced_scope,
    inside,
    joined,
    link,
    place_codes,
)
from remit.errors import InvalidInput
from remit.orders import Order

__all__ = [
    "LANGUAGES",
    "PROBLEM_TYPE",
    "STATUS_UNAVAILABLE_FOR_LEGAL_REASONS",
    "Notice",
    "NoticeKind",
    "blocked_by_link",
    "choose_language",
    "host_notice",
    "participant_notice",
    "place_name",
    "refusal_problem",
]

#: RFC 7725: the status of a refusal on legal demand.
STATUS_UNAVAILABLE_FOR_LEGAL_REASONS = 451
#: The RFC 9457 problem type of a refused admission (relative, like remit's other problem types).
PROBLEM_TYPE = "/problems/unavailable-for-legal-reasons"

NoticeKind = Literal["removed", "refused", "host"]


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice for one person: plain text in one language, for the platform to show."""

    kind: NoticeKind
    #: The BCP 47 tag of the language the notice is written in (one of :data:`LANGUAGES`).
    language: str
    title: str
    body: str
    order_id: str
    appeal_url: str
    #: The meeting a host notice is about; ``None`` for a participant's notice.
    meeting_id: str | None = None

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        """The text direction of the notice's language, for the platform's ``dir`` attribute."""
        return "rtl" if self.language in RTL else "ltr"

    def to_dict(self) -> dict[str, str | None]:
        """The notice as JSON-ready values (the ``notice`` of a removal command)."""
        return {
            "kind": self.kind,
            "language": self.language,
            "direction": self.direction,
            "title": self.title,
            "body": self.body,
            "order_id": self.order_id,
            "appeal_url": self.appeal_url,
            "meeting_id": self.meeting_id,
        }


def participant_notice(
    order: Order,
    location_country: str,
    scope: tuple[str, ...],
    language: str | None,
    kind: Literal["removed", "refused"],
    appeal_url: str,
) -> Notice:
    """The notice for a participant removed from a meeting or refused entry to it.

    ``location_country`` is the place the participant was located in (a country or subdivision
    code) and must lie inside ``scope``, the scope the order is enforced in. ``language`` is the
    participant's BCP 47 tag when known (see :func:`choose_language`).

    Notices are memoised: every participant removed by one order in one place gets the same one.
    """
    try:
        args = (order, location_country, place_codes(scope), language, kind, appeal_url)
        hash(args)
    except TypeError:  # an unhashable argument: build it uncached, which says what is wrong
        return _participant_notice.__wrapped__(
            order, location_country, scope, language, kind, appeal_url
        )
    return _participant_notice(*args)


@lru_cache(maxsize=4096)
def _participant_notice(
    order: Order,
    location_country: str,
    scope: tuple[str, ...],
    language: str | None,
    kind: Literal["removed", "refused"],
    appeal_url: str,
) -> Notice:
    if kind not in ("removed", "refused"):
        raise InvalidInput(f"kind: {kind!r} must be 'removed' or 'refused'", field="kind")
    appeal_url = link(appeal_url, "appeal_url")
    codes = enforced_scope(order, scope)
    place = jurisdictions.get(location_country, field="location_country").code
    if not inside(place, codes):
        raise InvalidInput(
            f"location_country: {place} lies outside the enforced scope {', '.join(codes)}; "
            "an order never touches a participant outside its scope",
            field="location_country",
        )
    w = Writer(choose_language(language))
    here = place_name(place, w.language, field="location_country")
    if kind == "removed":
        first = w._(
            "You were removed from this meeting because it is unavailable in your location: "
            "{place}.",
            place=here,
        )
    else:
        first = w._(
            "You could not join this meeting because it is unavailable in your location: {place}.",
            place=here,
        )
    body = [
        first,
        *demand(w, order),
        w._(
            "What was done: this meeting was made unavailable only to participants located in "
            "{scope}; no account was suspended and no one elsewhere was affected.",
            scope=w.places(codes, "scope"),
        ),
        w._("To appeal, go to {appeal_url}.", appeal_url=appeal_url),
    ]
    return Notice(
        kind=kind,
        language=w.language,
        title=w._("This meeting is unavailable in your location"),
        body=w.sentences(body),
        order_id=order.id,
        appeal_url=appeal_url,
    )


def host_notice(
    order: Order,
    meeting_id: str,
    counts_by_country: Mapping[str, int],
    language: str | None,
    appeal_url: str,
    *,
    scope: tuple[str, ...] | None = None,
) -> Notice:
    """The one notice for the host of a meeting: who was removed or refused, by place.

    ``counts_by_country`` counts the participants removed from the meeting or refused entry to
    it, by place code. ``scope`` is where the order is enforced, the order's own by default.
    """
    meeting_id = checked_text(meeting_id, "meeting_id", limit=512)
    appeal_url = link(appeal_url, "appeal_url")
    codes = enforced_scope(order, scope)
    counts: dict[str, int] = {}
    for code, count in counts_by_country.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInput(
                f"counts_by_country: the count for {code!r} must be a whole number >= 0",
                field="counts_by_country",
            )
        place = jurisdictions.get(code, field="counts_by_country").code
        counts[place] = counts.get(place, 0) + count
    w = Writer(choose_language(language))
    total = sum(counts.values())
    body = [
        w.ngettext(
            "{count} participant was removed from your meeting {meeting} or refused entry to it.",
            "{count} participants were removed from your meeting {meeting} or refused entry to it.",
            total,
            count=w.number(total),
            meeting=meeting_id,
        )
    ]
    if counts:
        named = sorted(
            ((place_name(code, w.language), n) for code, n in counts.items()),
            key=lambda item: (-item[1], item[0]),
        )
        items = [w._("{count} in {place}", count=w.number(n), place=name) for name, n in named]
        body.append(w._("By location: {breakdown}.", breakdown=joined(tuple(items), w.locale)))
    body += [
        *demand(w, order),
        w._(
            "What was done: your meeting was made unavailable only to participants located in "
            "{scope}; your account is untouched and the meeting goes on for everyone else.",
            scope=w.places(codes, "scope"),
        ),
        w._("To appeal, go to {appeal_url}.", appeal_url=appeal_url),
    ]
    return Notice(
        kind="host",
        language=w.language,
        title=w._("Your meeting is unavailable in {scope}", scope=w.places(codes, "scope")),
        body=w.sentences(body),
        order_id=order.id,
        appeal_url=appeal_url,
        meeting_id=meeting_id,
    )


def refusal_problem(
    order: Order,
    location_country: str,
    scope: tuple[str, ...],
    language: str | None,
    appeal_url: str,
    blocked_by: str,
) -> dict[str, Any]:
    """The RFC 9457 problem document answering a refused admission with status 451 (RFC 7725).

    ``title`` and ``detail`` are the participant's notice; the ``authority`` member names the
    authority that demanded the block, with its jurisdiction. ``blocked_by`` is the entity
    implementing the block (the platform operator), as a URL: send it in the ``Link`` header
    that :func:`blocked_by_link` writes, and the ``Content-Language`` header from ``language``.
    """
    blocked_by = link(blocked_by, "blocked_by")
    notice = participant_notice(order, location_country, scope, language, "refused", appeal_url)
    authority = order.authority
    return {
        "type": PROBLEM_TYPE,
        "title": notice.title,
        "status": STATUS_UNAVAILABLE_FOR_LEGAL_REASONS,
        "detail": notice.body,
        "language": notice.language,
        "direction": notice.direction,
        "authority": {
            "name": authority.name,
            "kind": str(authority.kind),
            "jurisdiction": authority.jurisdiction,
            "jurisdiction_name": place_name(authority.jurisdiction, notice.language),
        },
        "order_id": order.id,
        "legal_basis": order.legal_basis,
        "case_id": order.case_id,
        "appeal_url": notice.appeal_url,
        "blocked_by": blocked_by,
    }


def blocked_by_link(blocked_by: str) -> str:
    """The ``Link`` header value naming who implements a block (RFC 7725 §4: ``blocked-by``)."""
    return f'<{link(blocked_by, "blocked_by")}>; rel="blocked-by"'
