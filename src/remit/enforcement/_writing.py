"""The sentences notices are made of: templates filled in one language, and the demand told.

:class:`Writer` fills one language's templates (isolating each value in right-to-left text) and
joins lists and sentences as the language does; :func:`demand` tells who demanded what, under
which law, as asked; the checks (:func:`checked_text`, :func:`link`, :func:`enforced_scope`)
refuse what no notice can say. The notices themselves are :mod:`remit.enforcement.notices`'.

Pure, like the notices: memoised, and no I/O beyond the catalogs (see ``_catalogs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from babel.lists import format_list
from babel.numbers import format_decimal

from remit import jurisdictions
from remit.enforcement._catalogs import RTL, Translator, babel_locale_id, translator
from remit.enforcement._places import N_, place_name
from remit.errors import InvalidInput, InvalidOrder, RemitError
from remit.orders import EVERYWHERE, Order, RequestedAction

#: What the authority asked for, as asked, for "What was asked: …".
ACTIONS: dict[RequestedAction, str] = {
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


class Writer:
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
        return number(n, self.locale)

    def places(self, codes: Iterable[str], field: str) -> str:
        names = [place_name(code, self.language, field=field) for code in dict.fromkeys(codes)]
        return joined(tuple(names), self.locale)

    def sentences(self, parts: Iterable[str]) -> str:
        return ("" if self.language in _NO_SPACES else " ").join(parts)


# Memoised pieces: one activation writes a host notice per affected meeting (ten thousand, say),
# all of one order, in a few languages, with small counts.
@lru_cache(maxsize=4096)
def number(n: int, locale: str) -> str:
    return format_decimal(n, locale=locale)


@lru_cache(maxsize=4096)
def joined(items: tuple[str, ...], locale: str) -> str:
    return format_list(list(items), locale=locale)


#: The sentences about an order's demand, by order (its identity: the same object) and language.
_DEMANDS: dict[tuple[int, str], tuple[Order, tuple[str, ...]]] = {}
#: An order's enforced scope, checked, by order (its identity) and the scope asked for.
_SCOPES: dict[tuple[int, tuple[str, ...] | None], tuple[Order, tuple[str, ...]]] = {}


def checked_text(value: object, field: str, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(
            f"{field}: must be a non-empty string of at most {limit} characters", field=field
        )
    return value


def link(value: object, field: str) -> str:
    text = checked_text(value, field)
    if not (_URI.fullmatch(text) or (text.startswith("/") and not any(c.isspace() for c in text))):
        raise InvalidInput(f"{field}: {text!r} is not a URL", field=field)
    return text


def place_codes(scope: Iterable[str]) -> tuple[str, ...]:
    if isinstance(scope, str):
        raise InvalidInput("scope: must be a list of place codes, not one string", field="scope")
    try:
        return tuple(scope)
    except TypeError:
        raise InvalidInput("scope: must be a list of place codes", field="scope") from None


def enforced_scope(order: Order, scope: Iterable[str] | None) -> tuple[str, ...]:
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
    codes = place_codes(scope)
    jurisdictions.scope_places(codes, order.authority.jurisdiction)
    return tuple(dict.fromkeys(jurisdictions.get(code, field="scope").code for code in codes))


def inside(place: str, scope: tuple[str, ...]) -> bool:
    return any(jurisdictions.covers(code, place) for code in scope)


def demand(w: Writer, order: Order) -> list[str]:
    """Who demanded it, under which law, and what they asked for, as asked."""
    key = (id(order), w.language)
    found = _DEMANDS.get(key)
    if found is None or found[0] is not order:
        if len(_DEMANDS) > 256:
            _DEMANDS.clear()
        found = _DEMANDS[key] = (order, tuple(_demand_sentences(w, order)))
    return list(found[1])


def _demand_sentences(w: Writer, order: Order) -> list[str]:
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
    action = joined(
        tuple(
            w.t.gettext(ACTIONS.get(each, ACTIONS[RequestedAction.OTHER]))
            for each in order.request.actions
        ),
        w.locale,
    )
    asked = order.request.scope
    if not asked or EVERYWHERE in asked:
        out.append(w._("What was asked: {action}, everywhere.", action=action))
    else:
        names = [_asked_place(code, w.language) for code in dict.fromkeys(asked)]
        out.append(
            w._(
                "What was asked: {action}, in {places}.",
                action=action,
                places=joined(tuple(names), w.locale),
            )
        )
    return out


def _asked_place(code: str, language: str) -> str:
    """A place as the authority named it: its name, or the code itself if remit has no name."""
    try:
        return place_name(code, language, field="request.scope")
    except RemitError:
        return code
