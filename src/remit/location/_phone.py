"""Where a dial-in participant is, from their number: :func:`locate_phone`."""

from __future__ import annotations

import re

import phonenumbers

from remit import jurisdictions
from remit.errors import InvalidPhoneNumber
from remit.location._model import UNKNOWN, Location

__all__ = ["locate_phone"]

# "+", then digits grouped by spaces, hyphens, dots or parentheses. Letters (vanity numbers),
# extensions and tel: URIs, which phonenumbers would also read, are refused.
_SHAPE = re.compile(r"\+[0-9](?:[0-9 ().\-]{0,40}[0-9])?")
# Regions phonenumbers uses that are not ISO 3166-1 countries but are ISO 3166-2 subdivisions.
_SUBDIVISIONS = {"AC": "SH-AC", "TA": "SH-TA"}
_cache: dict[str, Location] = {}


def locate_phone(number: str, *, field: str = "phone") -> Location:
    """The country of an international phone number (``+8613800138000``), with source ``phone``.

    Accepted: ``+`` and the country code, then digits, optionally grouped with spaces, hyphens,
    dots or parentheses (``+1 (212) 555-0100``). A number without ``+`` is refused, since its
    country depends on where it is dialled from; so is one that cannot be a number at all.
    Acceptance uses phonenumbers' ``is_possible_number`` (the length fits the country code);
    placement uses ``region_code_for_number``, which tells numbers sharing a country code apart by
    their leading digits: ``+7`` is Russia or Kazakhstan, ``+1`` the United States, Canada or one
    of the Caribbean countries, ``+44 1624`` the Isle of Man. ``is_valid_number`` is stricter
    than needed: it refuses numbers such as ``+44 1624 123456`` whose region is still clear.

    The location is unknown for a possible number no region claims, for non-geographic numbers
    (``+800`` freephone, ``+882`` international networks, region ``001``), and for regions
    :mod:`remit.jurisdictions` does not list as a country (``XK``). Ascension (``AC``) and
    Tristan da Cunha (``TA``) are placed in their ISO 3166-2 subdivisions of ``SH``.

    A phone number is evidence of where a participant is only when it is the number they dial in
    from; a billing or self-declared number is not, and must not be passed here.
    """
    if not isinstance(number, str) or not _SHAPE.fullmatch(number):
        raise InvalidPhoneNumber(
            _refusal(number, field, "is not in international form (+CC…)"), field=field
        )
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(
            _refusal(number, field, "is not a phone number"), field=field
        ) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(
            _refusal(number, field, "cannot be a phone number (wrong length for its country code)"),
            field=field,
        )
    region = phonenumbers.region_code_for_number(parsed)
    if region is None:
        return UNKNOWN
    found = _cache.get(region)
    if found is None:
        found = _cache.setdefault(region, _location(region))
    return found


def _location(region: str) -> Location:
    code = _SUBDIVISIONS.get(region, region)
    if not jurisdictions.is_known(code):
        return UNKNOWN  # "001" (non-geographic), "ZZ", or a region ISO 3166 does not list
    place = jurisdictions.get(code)
    if place.kind == "country":
        return Location(place.code, None, "phone")
    if place.kind == "subdivision":
        return Location(place.code[:2], place.code, "phone")
    return UNKNOWN


def _refusal(number: object, field: str, reason: str) -> str:
    if not isinstance(number, str):
        return f"{field}: expected a phone number as text, got {type(number).__name__}"
    shown = repr(number) if len(number) <= 64 else repr(number[:64]) + "…"
    return f"{field}: {shown} {reason}"
