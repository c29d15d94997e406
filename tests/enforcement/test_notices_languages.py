"""Choosing the notice language from a participant's tag: exact, then variants, else English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remit.enforcement.notices import LANGUAGES, choose_language

FALLBACKS = [
    # exact, in any case or separator
    ("en", "en"), ("zh-Hans", "zh-Hans"), ("zh-hant", "zh-Hant"), ("ZH_HANT", "zh-Hant"),
    ("ru", "ru"), ("tr", "tr"), ("fa", "fa"), ("ar", "ar"), ("es", "es"), ("fr", "fr"),
    ("de", "de"),
    # Chinese: the script decides, else the region, else Simplified
    ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh_cn", "zh-Hans"), ("zh-SG", "zh-Hans"),
    ("zh-MY", "zh-Hans"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"),
    ("zh-Hant-TW", "zh-Hant"), ("zh-Hans-HK", "zh-Hans"), ("zh-Hant-CN", "zh-Hant"),
    ("cmn", "zh-Hans"), ("cmn-TW", "zh-Hant"), ("yue", "zh-Hant"), ("yue-Hans", "zh-Hans"),
    # others by their language
    ("en-US", "en"), ("en-GB", "en"), ("ru-RU", "ru"), ("ru-UA", "ru"), ("tr-TR", "tr"),
    ("tr-CY", "tr"), ("fa-IR", "fa"), ("fa-AF", "fa"), ("prs", "fa"), ("pes-IR", "fa"),
    ("ar-EG", "ar"), ("ar-SA", "ar"), ("es-MX", "es"), ("es-419", "es"), ("fr-CA", "fr"),
    ("fr-CH", "fr"), ("de-AT", "de"), ("de-CH", "de"), ("de-DE-1996", "de"),
    # Accept-Language lists: the first that resolves, skipping q=0
    ("ja-JP, de;q=0.5", "de"), ("fr-CH, fr;q=0.9, en;q=0.8", "fr"), ("de;q=0, es", "es"),
    ("zh-TW;q=0.9,en;q=0.5", "zh-Hant"), ("ja, ko", "en"),
    # everything else is English
    (None, "en"), ("", "en"), ("   ", "en"), ("*", "en"), ("ja", "en"), ("pt-BR", "en"),
    ("he", "en"), ("not a tag", "en"), ("zh--CN", "en"), ("x" * 2000, "en"),
]  # fmt: skip


@pytest.mark.parametrize(("tag", "language"), FALLBACKS)
def test_the_fallback_table(tag: str | None, language: str) -> None:
    assert choose_language(tag) == language


def test_every_supported_language_chooses_itself() -> None:
    assert LANGUAGES[0] == "en"
    for language in LANGUAGES:
        assert choose_language(language) == language
        assert choose_language(language.upper()) == language


TAGS = st.from_regex(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}", fullmatch=True)


@given(st.one_of(st.none(), st.text(max_size=50), TAGS))
def test_any_input_chooses_a_supported_language(tag: str | None) -> None:
    assert choose_language(tag) in LANGUAGES
