"""Places by name in the page's language, beside their codes: ``China (mainland) (CN)``.

English names are remit's own (:mod:`remit.jurisdictions`: ``CN`` is mainland China only);
Chinese names come from the ISO 3166 translations pycountry ships, with the names remit uses
for the places whose ISO names would say more than a code does.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

from remit import jurisdictions
from remit.errors import InvalidInput

#: Where remit's Chinese name differs from the ISO translation.
_ZH = {
    "CN": "中国大陆",
    "HK": "香港",
    "MO": "澳门",
    "TW": "台湾",
    "EU": "欧盟",
    "EEA": "欧洲经济区",
}


@cache
def _catalog(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def place_name(code: str, language: str) -> str:
    """The name of ``code`` (a country, subdivision or group) in ``language``; the code
    itself when remit does not know it."""
    try:
        place = jurisdictions.get(code)
    except InvalidInput:
        return code
    if language != "zh":
        return place.name
    if code in _ZH:
        return _ZH[code]
    if place.kind == "country":
        found = pycountry.countries.get(alpha_2=code)
        return _catalog("iso3166-1", "zh_CN").gettext(found.name) if found else place.name
    if place.kind == "subdivision":
        sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        return _catalog("iso3166-2", "zh_CN").gettext(sub.name) if sub else place.name
    return place.name


def labelled(code: str, language: str) -> str:
    """``name (code)``, or the code alone when it has no name."""
    name = place_name(code, language)
    return code if name == code else f"{name} ({code})"
