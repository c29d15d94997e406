"""The translation catalogs: complete, in step with the code, and with intact placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from remit import jurisdictions
from remit.enforcement import _catalogs
from remit.enforcement._places import OWN_NAMES
from remit.enforcement._writing import ACTIONS
from remit.enforcement.notices import LANGUAGES
from remit.errors import RemitError
from remit.orders import RequestedAction

PACKAGE = Path(_catalogs.__file__).parent
LOCALES = PACKAGE / "locales"
TRANSLATED = [lang for lang in LANGUAGES if lang != _catalogs.SOURCE]
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale, abort_invalid=True)


def catalog(language: str) -> Catalog:
    return read(Path(str(_catalogs.catalog_path(language))), _catalogs.babel_locale_id(language))


def key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def forms(message: Message) -> tuple[str, ...]:
    """A message's translations: one, or one per plural form."""
    string = message.string
    return (string,) if isinstance(string, str) else tuple(string or ())


def in_code() -> dict[str, str | tuple[str, ...]]:
    """Every msgid the enforcement package uses: ``_()``, ``ngettext()`` and ``N_()`` calls."""
    found: dict[str, str | tuple[str, ...]] = {}
    for _, _, message, _, _ in extract_from_dir(str(PACKAGE)):
        found[message if isinstance(message, str) else message[0]] = message
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_code_has_messages_to_translate() -> None:
    assert len(in_code()) >= 20


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_the_code_is_translated(language: str) -> None:
    messages = {key(m): m for m in catalog(language) if m.id}
    code = in_code()
    missing = sorted(set(code) - set(messages))
    assert not missing, f"{language} lacks {missing}"
    unused = sorted(set(messages) - set(code))
    assert not unused, f"{language} has msgids the code no longer uses: {unused}"
    for msgid, message in messages.items():
        assert message.id == code[msgid], f"{language}: {msgid!r} differs in being plural"
        assert all(forms(message)), f"{language}: {msgid!r} is not translated"
        assert not message.fuzzy, f"{language}: {msgid!r} is fuzzy"


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_in_every_entry(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        expected = placeholders(ids[0])
        assert all(placeholders(i) == expected for i in ids), ids
        for form in forms(message):
            assert placeholders(form) == expected, f"{language}: {form!r} vs {ids[0]!r}"
            assert form.count("{") == form.count("}"), form
        if expected:
            assert "python-brace-format" in message.flags


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_follow_the_languages_rules(language: str) -> None:
    parsed = catalog(language)
    assert parsed.num_plurals == Catalog(locale=_catalogs.babel_locale_id(language)).num_plurals
    for message in parsed:
        if message.id and not isinstance(message.id, str):
            assert len(forms(message)) == parsed.num_plurals, (language, message.id)


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_obsolete_entries_linger(language: str) -> None:
    assert not catalog(language).obsolete


def test_the_template_is_in_step_with_the_code() -> None:
    template = read(LOCALES / "remit.pot")
    assert {key(m): m.id for m in template if m.id} == in_code()


def test_there_is_a_catalog_for_every_language_and_no_other() -> None:
    folders = {p.name for p in LOCALES.iterdir() if p.is_dir()}
    assert folders == {_catalogs.babel_locale_id(lang) for lang in TRANSLATED}


def test_every_requested_action_is_described() -> None:
    assert set(ACTIONS) == set(RequestedAction)
    assert len(set(ACTIONS.values())) == len(ACTIONS)


def test_remits_own_names_are_the_registrys_english_names() -> None:
    for code, name in OWN_NAMES.items():
        assert jurisdictions.get(code).name == name
    assert set(jurisdictions.groups()) <= set(OWN_NAMES)


# --- the right script for each language -------------------------------------------------------

SIMPLIFIED_ONLY = set("会这与账为区国门湾们过说时关")
TRADITIONAL_ONLY = set("會這與帳為區國門灣們過說時關")


def text_of(language: str) -> str:
    parts: list[str] = []
    for message in catalog(language):
        if message.id:
            parts += forms(message)
    return "".join(parts)


def test_simplified_chinese_is_written_in_simplified_characters() -> None:
    assert not set(text_of("zh-Hans")) & TRADITIONAL_ONLY


def test_traditional_chinese_is_written_in_traditional_characters() -> None:
    assert not set(text_of("zh-Hant")) & SIMPLIFIED_ONLY


def test_persian_uses_persian_letters_and_arabic_uses_arabic_letters() -> None:
    persian, arabic = text_of("fa"), text_of("ar")
    for persian_letter, arabic_letter in (("ی", "ي"), ("ک", "ك")):  # U+06CC/064A, U+06A9/0643
        assert persian_letter in persian
        assert arabic_letter in arabic
        assert arabic_letter not in persian
        assert persian_letter not in arabic


# --- reading the catalogs ---------------------------------------------------------------------


def test_translators_are_read_once_and_english_needs_no_catalog() -> None:
    assert _catalogs.translator("ru") is _catalogs.translator("ru")
    english = _catalogs.translator("en")
    assert english.gettext("Hong Kong") == "Hong Kong"
    assert english.ngettext("a {count}", "many {count}", 2) == "many {count}"


def test_an_unsupported_language_has_no_translator() -> None:
    with pytest.raises(RemitError):
        _catalogs.translator("ja")


def test_an_unreadable_catalog_is_a_remit_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "remit.po"
    broken.write_text('msgid "a"\nno msgstr here\n', "utf-8")
    monkeypatch.setattr(_catalogs, "catalog_path", lambda language: broken)
    with pytest.raises(RemitError):
        _catalogs.translator.__wrapped__("ru")
    monkeypatch.setattr(_catalogs, "catalog_path", lambda language: tmp_path / "missing.po")
    with pytest.raises(RemitError):
        _catalogs.translator.__wrapped__("ru")


def test_a_message_missing_from_a_catalog_falls_back_to_english() -> None:
    russian = _catalogs.translator("ru")
    assert russian.gettext("not in any catalog") == "not in any catalog"
    assert russian.ngettext("one {count}", "many {count}", 5) == "many {count}"
