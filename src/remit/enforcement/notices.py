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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from babel.lists import format_list
from babel.numbers import format_decimal

from remit import jurisdictions
from remit.enforcement._catalogs import (
    LANGUAGES,
    RTL,
    Translator,
    babel_locale_id,
    choose_language,
    translator,
)
from remit.enforcement._places import N_, place_name
from remit.errors import InvalidInput, InvalidOrder, RemitError
from remit.location import Location
from remit.orders import EVERYWHERE, Order, RequestedAction

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

#: What the authority asked for, as asked, for "What was asked: …".
_ACTIONS: dict[RequestedAction, str] = {
    RequestedAction.REMOVE_PARTICIPANTS: N_("remove participants from the meetings"),
    RequestedAction.BLOCK_ACCESS: N_("block access to the meetings"),
    RequestedAction.END_MEETING: N_("end the meetings"),
    RequestedAction.DELETE_MEETING: N_("delete the meetings"),
    RequestedAction.DELETE_CONTENT: N_("delete the content"),
    RequestedAction.SUSPEND_ACCOUNT: N_("suspend the accounts hosting the meetings"),
    RequestedAction.DELETE_ACCOUNT: N_("delete the accounts hosting the meetings"),
    RequestedAction.OTHER: N_("take an action described in the demand"),
}

_FSI, _PDI = "\u2068", "\u2069"
_MAX_TEXT = 2000
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"\\^`{|}]+")
#: Languages written without spaces between sentences.
_NO_SPACES = frozenset({"zh-Hans", "zh-Hant"})


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


class _Writer:
    """Fills one language's templates: isolates values in RTL text, joins lists and sentences."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.t: Translator = translator(language)
        self.rtl = language in RTL
        self.locale = babel_locale_id(language)

    def fill(self, template: str, english: str, **values: str) -> str:
        if self.rtl:
            values = {key: f"{_FSI}{value}{_PDI}" for key, value in values.items()}
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError):  # a broken translation: say it in English
            return english.format_map(values)

    def _(self, msgid: str, **values: str) -> str:
        return self.fill(self.t.gettext(msgid), msgid, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: str) -> str:
        english = singular if n == 1 else plural
        return self.fill(self.t.ngettext(singular, plural, n), english, **values)

    def number(self, n: int) -> str:
        return _number(n, self.locale)

    def places(self, codes: Iterable[str], field: str) -> str:
        names = [place_name(code, self.language, field=field) for code in dict.fromkeys(codes)]
        return _list(tuple(names), self.locale)

    def sentences(self, parts: Iterable[str]) -> str:
        return ("" if self.language in _NO_SPACES else " ").join(parts)


# Memoised pieces: one activation writes a host notice per affected meeting (ten thousand, say),
# all of one order, in a few languages, with small counts.
@lru_cache(maxsize=4096)
def _number(n: int, locale: str) -> str:
    return format_decimal(n, locale=locale)


@lru_cache(maxsize=4096)
def _list(items: tuple[str, ...], locale: str) -> str:
    return format_list(list(items), locale=locale)


#: The sentences about an order's demand, by order (its identity: the same object) and language.
_DEMANDS: dict[tuple[int, str], tuple[Order, tuple[str, ...]]] = {}
#: An order's enforced scope, checked, by order (its identity) and the scope asked for.
_SCOPES: dict[tuple[int, tuple[str, ...] | None], tuple[Order, tuple[str, ...]]] = {}


def _text(value: object, field: str, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(
            f"{field}: must be a non-empty string of at most {limit} characters", field=field
        )
    return value


def _link(value: object, field: str) -> str:
    text = _text(value, field)
    if not (_URI.fullmatch(text) or (text.startswith("/") and not any(c.isspace() for c in text))):
        raise InvalidInput(f"{field}: {text!r} is not a URL", field=field)
    return text


def _codes(scope: Iterable[str]) -> tuple[str, ...]:
    if isinstance(scope, str):
        raise InvalidInput("scope: must be a list of place codes, not one string", field="scope")
    try:
        return tuple(scope)
    except TypeError:
        raise InvalidInput("scope: must be a list of place codes", field="scope") from None


def _scope(order: Order, scope: Iterable[str] | None) -> tuple[str, ...]:
    if scope is None or type(scope) is tuple:
        key = (id(order), scope)
        found = _SCOPES.get(key)
        if found is not None and found[0] is order:
            return found[1]
        codes = _checked_scope(order, scope)
        if len(_SCOPES) > 256:
            _SCOPES.clear()
        _SCOPES[key] = (order, codes)
        return codes
    return _checked_scope(order, scope)


def _checked_scope(order: Order, scope: Iterable[str] | None) -> tuple[str, ...]:
    if scope is None:
        scope = order.scope
    if scope is None:
        raise InvalidOrder(
            f"order {order.id} has no enforced scope: notices are for approved orders",
            field="scope",
        )
    codes = _codes(scope)
    jurisdictions.scope_places(codes, order.authority.jurisdiction)
    return tuple(dict.fromkeys(jurisdictions.get(code, field="scope").code for code in codes))


def _inside(place: str, scope: tuple[str, ...]) -> bool:
    return any(jurisdictions.covers(code, place) for code in scope)


def _demand(w: _Writer, order: Order) -> list[str]:
    """Who demanded it, under which law, and what they asked for, as asked."""
    key = (id(order), w.language)
    found = _DEMANDS.get(key)
    if found is None or found[0] is not order:
        if len(_DEMANDS) > 256:
            _DEMANDS.clear()
        found = _DEMANDS[key] = (order, tuple(_demand_sentences(w, order)))
    return list(found[1])


def _demand_sentences(w: _Writer, order: Order) -> list[str]:
    authority = order.authority
    out = [
        w._(
            "This follows a demand by {authority}, an authority of {jurisdiction}, "
            "citing {legal_basis}.",
            authority=authority.name,
            jurisdiction=place_name(authority.jurisdiction, w.language, field="jurisdiction"),
            legal_basis=order.legal_basis,
        )
    ]
    if order.case_id:
        out.append(w._("Case reference: {case_id}.", case_id=order.case_id))
    action = w.t.gettext(_ACTIONS.get(order.request.action, _ACTIONS[RequestedAction.OTHER]))
    asked = order.request.scope
    if not asked or EVERYWHERE in asked:
        out.append(w._("What was asked: {action}, everywhere.", action=action))
    else:
        names = [_asked_place(code, w.language) for code in dict.fromkeys(asked)]
        out.append(
            w._(
                "What was asked: {action}, in {places}.",
                action=action,
                places=_list(tuple(names), w.locale),
            )
        )
    return out


def _asked_place(code: str, language: str) -> str:
    """A place as the authority named it: its name, or the code itself if remit has no name."""
    try:
        return place_name(code, language, field="request.scope")
    except RemitError:
        return code


def participant_notice(
    order: Order,
    location_country: str,
    scope: tuple[str, ...],
    language: str | None,
    kind: Literal["removed", "refused"],
    appeal_url: str,
    *,
    location: Location | None = None,
) -> Notice:
    """The notice for a participant removed from a meeting or refused entry to it.

    ``location_country`` is the place the participant was located in (a country or subdivision
    code) and must lie inside ``scope``, the scope the order is enforced in. ``language`` is the
    participant's BCP 47 tag when known (see :func:`choose_language`). With ``location``, the
    notice also names what placed the participant (the IP sources that agreed, or the dial-in
    number) and says that a wrong location is contested by appeal.

    Notices are memoised: every participant removed by one order in one place gets the same one.
    """
    try:
        args = (order, location_country, _codes(scope), language, kind, appeal_url, location)
        hash(args)
    except TypeError:  # an unhashable argument: build it uncached, which says what is wrong
        return _participant_notice.__wrapped__(
            order, location_country, scope, language, kind, appeal_url, location
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
    location: Location | None,
) -> Notice:
    if kind not in ("removed", "refused"):
        raise InvalidInput(f"kind: {kind!r} must be 'removed' or 'refused'", field="kind")
    appeal_url = _link(appeal_url, "appeal_url")
    codes = _scope(order, scope)
    place = jurisdictions.get(location_country, field="location_country").code
    if not _inside(place, codes):
        raise InvalidInput(
            f"location_country: {place} lies outside the enforced scope {', '.join(codes)}; "
            "an order never touches a participant outside its scope",
            field="location_country",
        )
    w = _Writer(choose_language(language))
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
        *_demand(w, order),
        w._(
            "What was done: this meeting was made unavailable only to participants located in "
            "{scope}; no account was suspended and no one elsewhere was affected.",
            scope=w.places(codes, "scope"),
        ),
        *_placed_by(w, location),
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
    meeting_id = _text(meeting_id, "meeting_id", limit=512)
    appeal_url = _link(appeal_url, "appeal_url")
    codes = _scope(order, scope)
    counts: dict[str, int] = {}
    for code, count in counts_by_country.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInput(
                f"counts_by_country: the count for {code!r} must be a whole number >= 0",
                field="counts_by_country",
            )
        place = jurisdictions.get(code, field="counts_by_country").code
        counts[place] = counts.get(place, 0) + count
    w = _Writer(choose_language(language))
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
        body.append(w._("By location: {breakdown}.", breakdown=_list(tuple(items), w.locale)))
    body += [
        *_demand(w, order),
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


def _placed_by(w: _Writer, location: Location | None) -> list[str]:
    """What placed the participant, and how to contest it: nothing without a location."""
    if location is None:
        return []
    if location.source == "phone":
        return [
            w._(
                "Your location was established from the number you dialled in from. If it is "
                "wrong, say so in your appeal."
            )
        ]
    names = tuple(a.source for a in location.evidence if a.country == location.country)
    if not names:
        return []
    return [
        w._(
            "Your location was established from your IP address by these sources, which agree: "
            "{sources}. If it is wrong, say so in your appeal.",
            sources=_list(names, w.locale),
        )
    ]


def refusal_problem(
    order: Order,
    location_country: str,
    scope: tuple[str, ...],
    language: str | None,
    appeal_url: str,
    blocked_by: str,
    *,
    location: Location | None = None,
) -> dict[str, Any]:
    """The RFC 9457 problem document answering a refused admission with status 451 (RFC 7725).

    ``title`` and ``detail`` are the participant's notice; the ``authority`` member names the
    authority that demanded the block, with its jurisdiction. ``blocked_by`` is the entity
    implementing the block (the platform operator), as a URL: send it in the ``Link`` header
    that :func:`blocked_by_link` writes, and the ``Content-Language`` header from ``language``.
    """
    blocked_by = _link(blocked_by, "blocked_by")
    notice = participant_notice(
        order, location_country, scope, language, "refused", appeal_url, location=location
    )
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
    return f'<{_link(blocked_by, "blocked_by")}>; rel="blocked-by"'
