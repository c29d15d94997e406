"""The notice languages: which one to use for a tag, and its translations, read from .po once.

The catalogs are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/remit.po``, read with
Babel at first use, so no compiled ``.mo`` file is needed. English is the source language: its
text is the msgids in the code, so it has no catalog. To add or change a message, edit the code,
then::

    pybabel extract --project=remit --version=0.1.0 --no-location -w 100 \\
        -o src/remit/enforcement/locales/remit.pot src/remit/enforcement
    pybabel update -w 100 -D remit -i src/remit/enforcement/locales/remit.pot \\
        -d src/remit/enforcement/locales

and translate the new or changed (fuzzy) entries: ``tests/enforcement/test_notices_catalogs.py``
fails until every msgid of the code is translated in every catalog, not fuzzy, with the same
placeholders.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from babel.messages.pofile import PoFileError, read_po

from remit.errors import RemitError

#: The languages notices are written in, as BCP 47 tags. The first is the source and the default.
LANGUAGES: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant", "ru", "tr", "fa", "ar", "es", "fr", "de")
SOURCE = "en"
#: Languages written right to left.
RTL = frozenset({"fa", "ar"})

_BY_LOWER = {tag.lower(): tag for tag in LANGUAGES}
#: Regions where Chinese is written in Traditional characters.
_TRADITIONAL = frozenset({"tw", "hk", "mo"})
#: Language subtags that stand for a supported language: Mandarin and Cantonese are Chinese
#: (Cantonese defaulting to Traditional, as written in Hong Kong); Iranian Persian and Dari are
#: Persian.
_ALIASES = {
    "cmn": ("zh", "zh-Hans"),
    "yue": ("zh", "zh-Hant"),
    "pes": ("fa", ""),
    "prs": ("fa", ""),
}
_TAG = re.compile(r"[A-Za-z0-9]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,8}")
#: An Accept-Language weight of zero: "not this language".
_REFUSED = re.compile(r"[qQ]\s*=\s*0(?:\.0{0,3})?")
_PACKAGE = "remit.enforcement"


def choose_language(tag: str | None) -> str:
    """The supported language for a BCP 47 tag, or for an Accept-Language style list of them.

    Case-insensitive; ``_`` is read as ``-``. The exact tag first, then its variants: Chinese by
    script (``Hans``/``Hant``), else by region (TW, HK, MO: Traditional; others: Simplified);
    any other language by its primary subtag (``es-MX`` -> ``es``). In a comma-separated list the
    first tag that resolves wins (q-values are ignored; a tag with ``q=0`` is skipped). Anything
    else, including ``None`` or nonsense, is English. Never raises.
    """
    if not isinstance(tag, str) or len(tag) > 1000:
        return SOURCE
    for item in tag.split(","):
        code, _, params = item.strip().partition(";")
        if _REFUSED.fullmatch(params.strip()):
            continue
        found = _one(code.strip())
        if found is not None:
            return found
    return SOURCE


def _one(tag: str) -> str | None:
    if not _TAG.fullmatch(tag):
        return None
    subtags = tag.replace("_", "-").lower().split("-")
    exact = _BY_LOWER.get("-".join(subtags))
    if exact is not None:
        return exact
    primary, default = _ALIASES.get(subtags[0], (subtags[0], "zh-Hans"))
    if primary == "zh":
        rest = subtags[1:]
        if "hant" in rest:
            return "zh-Hant"
        if "hans" in rest:
            return "zh-Hans"
        if any(sub in _TRADITIONAL for sub in rest):
            return "zh-Hant"
        return default
    return _BY_LOWER.get(primary)


def babel_locale_id(language: str) -> str:
    """The Babel/gettext identifier of a supported language: ``zh-Hans`` -> ``zh_Hans``."""
    return language.replace("-", "_")


@dataclass(frozen=True, slots=True)
class Translator:
    """One language's messages: each msgid with its translated forms (one, or one per plural)."""

    language: str
    messages: Mapping[str, tuple[str, ...]]
    plural: Callable[[int], int]

    def gettext(self, msgid: str) -> str:
        """The translation of ``msgid``, or ``msgid`` itself when the catalog lacks it."""
        forms = self.messages.get(msgid)
        return forms[0] if forms else msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a plural message for the number ``n``."""
        forms = self.messages.get(singular)
        if forms:
            index = self.plural(n)
            if 0 <= index < len(forms):
                return forms[index]
        return singular if n == 1 else plural


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


def catalog_path(language: str) -> Traversable:
    """Where the catalog of a supported language other than English lives in the package."""
    return resources.files(_PACKAGE).joinpath(
        "locales", babel_locale_id(language), "LC_MESSAGES", "remit.po"
    )


@cache
def translator(language: str) -> Translator:
    """The translator for a supported language, read from its ``.po`` file on first use.

    Fuzzy and untranslated entries are left out, so they fall back to English.
    """
    if language not in LANGUAGES:
        raise RemitError(f"no notice catalog for {language!r}; supported: {', '.join(LANGUAGES)}")
    if language == SOURCE:
        return Translator(SOURCE, {}, _english_plural)
    try:
        with catalog_path(language).open("rb") as fp:
            catalog = read_po(
                fp, locale=babel_locale_id(language), domain="remit", abort_invalid=True
            )
        plural = gettext.c2py(catalog.plural_expr)
    except (OSError, ValueError, PoFileError) as exc:
        raise RemitError(f"the notice catalog for {language} cannot be read: {exc}") from exc
    messages: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string
        forms = (string,) if isinstance(string, str) else tuple(string or ())
        if forms and all(forms):
            messages[key] = forms
    return Translator(language, messages, plural)
