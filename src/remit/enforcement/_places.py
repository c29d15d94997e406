"""Names of places and jurisdictions in a notice's language.

English names are the registry's (:func:`remit.jurisdictions.get`). In other languages:

- remit's own names (``CN`` is "China (mainland)"; Hong Kong, Macao and Taiwan are places of
  their own, never shown as part of China; the named groups) come from remit's catalogs;
- other countries come from the Unicode CLDR territory names that Babel ships;
- subdivisions come from pycountry's ISO 3166-2 gettext translations, when it has them.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from babel import Locale

from remit import jurisdictions
from remit.enforcement._catalogs import SOURCE, babel_locale_id, translator


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is used."""
    return message


#: Names remit chooses itself, translated in remit's catalogs. Each msgid is the registry's
#: English name, so the English text and the catalogs cannot drift apart unnoticed (a test
#: compares them).
OWN_NAMES: dict[str, str] = {
    "CN": N_("China (mainland)"),
    "HK": N_("Hong Kong"),
    "MO": N_("Macao"),
    "TW": N_("Taiwan"),
    "EU": N_("European Union"),
    "EEA": N_("European Economic Area"),
}

#: pycountry's locale folders for each supported language.
_PYCOUNTRY_LOCALES = {"zh-Hans": "zh_CN", "zh-Hant": "zh_TW"}


@cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(babel_locale_id(language)).territories)


@cache
def _subdivisions(language: str) -> gettext.NullTranslations:
    folder = _PYCOUNTRY_LOCALES.get(language, language)
    return gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=[folder], fallback=True
    )


def place_name(code: str, language: str, *, field: str = "place") -> str:
    """The name of a place or jurisdiction ``code`` in ``language`` (a supported language).

    An unknown code is :class:`~remit.errors.UnknownJurisdiction`, naming ``field``.
    """
    place = jurisdictions.get(code, field=field)
    if language == SOURCE:
        return place.name
    own = OWN_NAMES.get(place.code)
    if own is not None:
        return translator(language).gettext(own)
    if place.kind == "country":
        return _territories(language).get(place.code) or place.name
    if place.kind == "subdivision":
        return _subdivisions(language).gettext(place.name)
    return place.name
