"""Notices to removed or refused participants and to hosts, and the 451 problem, in every language.

The story of docs/design.md: a mainland authority demands that the meetings' host accounts be
deleted everywhere; remit makes the meetings unavailable in mainland China only and tells
everyone so.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from remit.enforcement.notices import (
    LANGUAGES,
    PROBLEM_TYPE,
    Notice,
    blocked_by_link,
    host_notice,
    participant_notice,
    refusal_problem,
)
from remit.errors import InvalidInput, InvalidOrder, InvalidScope, UnknownJurisdiction
from remit.location import Answer, Location
from remit.orders import (
    Authority,
    AuthorityKind,
    Order,
    OrderType,
    Request,
    RequestedAction,
    Status,
)
from remit.policy import Target

APPEAL = "https://remit.example/appeals/new?order=ord_1"
PLATFORM = "https://meet.example"
AUTHORITY = "Cyberspace Administration"
LEGAL_BASIS = "Cybersecurity Law, art. 12"
CASE = "CAC-2020-0604"
#: Values that come from the order as recorded and are shown as they are, untranslated.
RECORDED = (AUTHORITY, LEGAL_BASIS, CASE, APPEAL, "m1")
PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")
ISOLATES = re.compile("[\u2068\u2069]")
RTL = {"fa", "ar"}


def make_order(
    *,
    jurisdiction: str = "CN",
    action: RequestedAction = RequestedAction.DELETE_ACCOUNT,
    asked: tuple[str, ...] = ("*",),
    scope: tuple[str, ...] | None = ("CN",),
    case_id: str | None = CASE,
    authority: str = AUTHORITY,
    legal_basis: str = LEGAL_BASIS,
) -> Order:
    return Order(
        id="ord_1",
        type=OrderType.GOVERNMENT_REQUEST,
        authority=Authority(authority, AuthorityKind.REGULATOR, jurisdiction),
        legal_basis=legal_basis,
        case_id=case_id,
        received_at=datetime(2020, 6, 1, tzinfo=UTC),
        request=Request("Delete the meetings and the accounts hosting them.", (action,), asked),
        targets=(Target("host", "h1"),),
        recorded_by="alice",
        status=Status.ACTIVE,
        version=4,
        scope=scope,
        approved_by="bob",
    )


ORDER = make_order()


def removed(language: str | None, order: Order = ORDER) -> Notice:
    return participant_notice(order, "CN", ("CN",), language, "removed", APPEAL)


def refused(language: str | None, order: Order = ORDER) -> Notice:
    return participant_notice(order, "CN", ("CN",), language, "refused", APPEAL)


def hosts(language: str | None, order: Order = ORDER) -> Notice:
    return host_notice(order, "m1", {"CN": 12}, language, APPEAL)


AGREED = Location(
    "CN",
    None,
    "agree",
    (Answer("dbip", "CN", None, "2026-10-08"), Answer("iptocc", "CN", None, "2026-10-27")),
)
DIALLED = Location("CN", None, "phone")


def placed(language: str | None, order: Order = ORDER) -> Notice:
    return participant_notice(order, "CN", ("CN",), language, "removed", APPEAL, location=AGREED)


def dialled(language: str | None, order: Order = ORDER) -> Notice:
    return participant_notice(order, "CN", ("CN",), language, "refused", APPEAL, location=DIALLED)


BUILDERS = {
    "removed": removed,
    "refused": refused,
    "host": hosts,
    "placed": placed,
    "dialled": dialled,
}


def sentences(text: str) -> list[str]:
    """English sentences and clauses, with the recorded values taken out."""
    for value in RECORDED:
        text = text.replace(value, "")
    return [part.strip() for part in re.split(r"[.;:]", text) if len(part.strip()) > 12]


def plain(text: str) -> str:
    return ISOLATES.sub("", text)


# --- the English text says what the issue asks for --------------------------------------------


def test_the_participant_notice_says_where_who_which_law_what_and_how_to_appeal() -> None:
    notice = removed("en")
    assert notice.language == "en"
    assert notice.kind == "removed"
    assert notice.title == "This meeting is unavailable in your location"
    assert notice.body == (
        "You were removed from this meeting because it is unavailable in your location: "
        "China (mainland). This follows a demand by Cyberspace Administration, an authority of "
        "China (mainland), citing Cybersecurity Law, art. 12. Case reference: CAC-2020-0604. "
        "What was asked: delete the accounts hosting the meetings, everywhere. "
        "What was done: this meeting was made unavailable only to participants located in "
        "China (mainland); no account was suspended and no one elsewhere was affected. "
        f"To appeal, go to {APPEAL}."
    )


def test_the_notice_names_what_placed_the_participant_and_how_to_contest_it() -> None:
    assert (
        "Your location was established from your IP address by these sources, which agree: "
        f"dbip and iptocc. If it is wrong, say so in your appeal. To appeal, go to {APPEAL}."
    ) in placed("en").body
    assert (
        "Your location was established from the number you dialled in from. If it is wrong, "
        "say so in your appeal."
    ) in dialled("en").body
    assert "dbip" in placed("zh-Hans").body
    assert "established" not in removed("en").body  # without a location, as before


def test_a_refused_participant_is_told_they_could_not_join() -> None:
    assert refused("en").body.startswith(
        "You could not join this meeting because it is unavailable in your location: "
        "China (mainland). "
    )


def test_the_host_notice_counts_by_place_and_says_the_account_is_untouched() -> None:
    notice = host_notice(ORDER, "m1", {"CN": 12, "CN-BJ": 3}, "en", APPEAL)
    assert notice.kind == "host"
    assert notice.meeting_id == "m1"
    assert notice.title == "Your meeting is unavailable in China (mainland)"
    assert notice.body.startswith(
        "15 participants were removed from your meeting m1 or refused entry to it. "
        "By location: 12 in China (mainland) and 3 in Beijing Shi. "
    )
    assert (
        "What was done: your meeting was made unavailable only to participants located in "
        "China (mainland); your account is untouched and the meeting goes on for everyone else."
    ) in notice.body
    assert notice.body.endswith(f"To appeal, go to {APPEAL}.")


def test_one_participant_is_counted_in_the_singular() -> None:
    body = host_notice(ORDER, "m1", {"CN": 1}, "en", APPEAL).body
    assert body.startswith("1 participant was removed from your meeting m1 or refused entry")


def test_what_was_asked_names_the_places_asked_for_when_not_everywhere() -> None:
    order = make_order(action=RequestedAction.END_MEETING, asked=("CN", "HK", "US"))
    body = removed("en", order).body
    assert (
        "What was asked: end the meetings, in China (mainland), Hong Kong, and United States."
        in body
    )


def test_a_place_asked_for_that_remit_cannot_name_is_shown_as_written() -> None:
    order = make_order(asked=("CN", "XX"))
    assert "in China (mainland) and XX." in removed("en", order).body


def test_without_a_case_id_there_is_no_case_reference() -> None:
    assert "Case reference" not in removed("en", make_order(case_id=None)).body


def test_the_scope_is_named_as_enforced_not_as_the_jurisdiction() -> None:
    order = make_order(jurisdiction="CN", scope=("CN-BJ", "CN-SH"))
    notice = participant_notice(order, "CN-BJ", ("CN-BJ", "CN-SH"), "en", "removed", APPEAL)
    assert "located in Beijing Shi and Shanghai Shi;" in notice.body
    assert "your location: Beijing Shi." in notice.body


def test_recorded_values_are_shown_literally_even_with_braces() -> None:
    order = make_order(authority="Office {authority} of {place}", legal_basis="Law {0} {}")
    body = removed("de", order).body
    assert "„Office {authority} of {place}“" in body
    assert "Law {0} {}" in body


# --- every language ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_renders_every_notice_fully(language: str, kind: str) -> None:
    notice = BUILDERS[kind](language)
    assert notice.language == language
    for text in (notice.title, notice.body):
        assert text.strip()
        assert not PLACEHOLDER.search(text), text
    for value in (AUTHORITY, LEGAL_BASIS, CASE, APPEAL):
        assert value in plain(notice.body)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_no_english_sentence_is_left_untranslated(language: str, kind: str) -> None:
    english = BUILDERS[kind]("en")
    notice = BUILDERS[kind](language)
    assert notice.title != english.title
    body = plain(notice.body)
    for sentence in sentences(english.body):
        assert sentence not in body, f"{language}: untranslated {sentence!r}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 11, 21, 100, 101, 1_000_000])
def test_the_host_count_renders_for_every_plural_form(language: str, n: int) -> None:
    notice = host_notice(ORDER, "m1", {"CN": n}, language, APPEAL)
    assert not PLACEHOLDER.search(notice.body)
    assert "m1" in notice.body


@pytest.mark.parametrize("language", sorted(RTL))
def test_right_to_left_languages_are_marked_and_isolate_what_they_quote(language: str) -> None:
    notice = removed(language)
    assert notice.direction == "rtl"
    assert notice.to_dict()["direction"] == "rtl"
    # Mostly right-to-left letters, with each Latin value isolated (FSI ... PDI).
    letters = [c for c in plain(notice.body) if c.isalpha()]
    latin = set(AUTHORITY + LEGAL_BASIS + CASE + APPEAL)
    assert sum(c not in latin for c in letters) > len(letters) / 2
    for value in (AUTHORITY, LEGAL_BASIS, CASE, APPEAL):
        assert f"\u2068{value}\u2069" in notice.body


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang not in RTL])
def test_left_to_right_languages_have_no_bidi_controls(language: str) -> None:
    notice = hosts(language)
    assert notice.direction == "ltr"
    assert not ISOLATES.search(notice.title + notice.body)


def test_the_notice_is_json_for_the_removal_command() -> None:
    data = json.loads(json.dumps(hosts("zh-Hant").to_dict()))
    assert data == {
        "kind": "host",
        "language": "zh-Hant",
        "direction": "ltr",
        "title": data["title"],
        "body": data["body"],
        "order_id": "ord_1",
        "appeal_url": APPEAL,
        "meeting_id": "m1",
    }
    assert "中國大陸" in data["title"]


@pytest.mark.parametrize(
    ("asked", "language"),
    [("zh-CN", "zh-Hans"), ("zh-HK", "zh-Hant"), ("es-MX", "es"), (None, "en")],
)
def test_the_notice_carries_the_tag_actually_used(asked: str | None, language: str) -> None:
    assert removed(asked).language == language


# --- mainland China, Hong Kong, Macao, Taiwan -------------------------------------------------

MAINLAND = {
    "en": "mainland",
    "zh-Hans": "中国大陆",
    "zh-Hant": "中國大陸",
    "ru": "Материковый",
    "tr": "Anakara",
    "fa": "سرزمین اصلی",
    "ar": "البر الرئيسي",
    "es": "continental",
    "fr": "continentale",
    "de": "Festland",
}


def china(language: str) -> str:
    """CLDR's plain name of China in ``language``."""
    return str(Locale.parse(language.replace("-", "_")).territories["CN"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_cn_is_only_ever_named_as_mainland_china(language: str) -> None:
    from remit.enforcement.notices import place_name

    mainland = place_name("CN", language)
    assert MAINLAND[language] in mainland
    assert mainland != china(language)
    for kind in BUILDERS:
        body = plain(BUILDERS[kind](language).body).replace(AUTHORITY, "")
        assert mainland in body
        assert china(language) not in body.replace(mainland, ""), f"{language}: bare China"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", ["HK", "MO", "TW"])
def test_hong_kong_macao_and_taiwan_are_never_shown_as_part_of_china(
    language: str, code: str
) -> None:
    from remit.enforcement.notices import place_name

    name = place_name(code, language)
    assert name
    for word in (china(language), place_name("CN", language), "China", "Chinese", "SAR"):
        assert word not in name, f"{code} in {language}: {name!r}"
    order = make_order(jurisdiction=code, scope=(code,), authority="Police")
    for notice in (
        participant_notice(order, code, (code,), language, "removed", APPEAL),
        host_notice(order, "m1", {code: 2}, language, APPEAL),
    ):
        body = plain(notice.body)
        assert name in body
        assert china(language) not in body
        assert place_name("CN", language) not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_country_has_a_name_in_every_language(language: str) -> None:
    import pycountry

    from remit.enforcement.notices import place_name

    for country in pycountry.countries:
        assert place_name(country.alpha_2, language).strip(), country.alpha_2


@pytest.mark.parametrize("language", LANGUAGES)
def test_groups_are_named_in_every_language(language: str) -> None:
    from remit.enforcement.notices import place_name

    names = {place_name(code, language) for code in ("EU", "EEA")}
    assert len(names) == 2
    if language != "en":
        assert not names & {"European Union", "European Economic Area"}


# --- the 451 refusal --------------------------------------------------------------------------


def test_a_refusal_is_a_451_problem_naming_the_authority() -> None:
    problem = refusal_problem(ORDER, "CN", ("CN",), "en", APPEAL, PLATFORM)
    notice = refused("en")
    assert problem == {
        "type": PROBLEM_TYPE,
        "title": notice.title,
        "status": 451,
        "detail": notice.body,
        "language": "en",
        "direction": "ltr",
        "authority": {
            "name": AUTHORITY,
            "kind": "regulator",
            "jurisdiction": "CN",
            "jurisdiction_name": "China (mainland)",
        },
        "order_id": "ord_1",
        "legal_basis": LEGAL_BASIS,
        "case_id": CASE,
        "appeal_url": APPEAL,
        "blocked_by": PLATFORM,
    }
    assert PROBLEM_TYPE == "/problems/unavailable-for-legal-reasons"
    json.dumps(problem)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_refusal_is_in_the_participants_language(language: str) -> None:
    problem = refusal_problem(ORDER, "CN", ("CN",), language, APPEAL, PLATFORM)
    assert problem["language"] == language
    assert problem["detail"] == refused(language).body
    assert problem["authority"]["name"] == AUTHORITY
    assert MAINLAND[language] in problem["authority"]["jurisdiction_name"]


def test_the_link_header_names_who_implements_the_block() -> None:
    assert blocked_by_link(PLATFORM) == '<https://meet.example>; rel="blocked-by"'


@pytest.mark.parametrize("value", ["", "meet example", "<https://x>", "https://x\r\nSet-Cookie: a"])
def test_the_blocking_entity_must_be_a_url(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        blocked_by_link(value)
    assert caught.value.field == "blocked_by"
    with pytest.raises(InvalidInput):
        refusal_problem(ORDER, "CN", ("CN",), "en", APPEAL, value)


# --- refusing what cannot be a notice ---------------------------------------------------------


def test_a_participant_outside_the_scope_is_never_sent_a_notice() -> None:
    for place in ("HK", "TW", "US"):
        with pytest.raises(InvalidInput) as caught:
            participant_notice(ORDER, place, ("CN",), "en", "removed", APPEAL)
        assert caught.value.field == "location_country"


def test_a_subdivision_inside_the_scope_is_inside() -> None:
    notice = participant_notice(ORDER, "CN-BJ", ("CN",), "en", "refused", APPEAL)
    assert "your location: Beijing Shi." in notice.body


def test_a_scope_wider_than_the_jurisdiction_is_refused() -> None:
    with pytest.raises(InvalidScope):
        participant_notice(ORDER, "CN", ("CN", "HK"), "en", "removed", APPEAL)


def test_a_notice_needs_an_enforced_scope() -> None:
    with pytest.raises(InvalidOrder):
        host_notice(replace(ORDER, scope=None), "m1", {"CN": 1}, "en", APPEAL)
    # An explicit scope is used as given.
    host_notice(replace(ORDER, scope=None), "m1", {"CN": 1}, "en", APPEAL, scope=("CN",))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: participant_notice(ORDER, "ZZ", ("CN",), "en", "removed", APPEAL),
            "location_country",
        ),
        (lambda: participant_notice(ORDER, "CN", ("CN",), "en", "deleted", APPEAL), "kind"),  # type: ignore[arg-type]
        (lambda: participant_notice(ORDER, "CN", ("CN",), "en", "removed", ""), "appeal_url"),
        (lambda: participant_notice(ORDER, "CN", "CN", "en", "removed", APPEAL), "scope"),  # type: ignore[arg-type]
        (lambda: participant_notice(ORDER, "CN", 7, "en", "removed", APPEAL), "scope"),  # type: ignore[arg-type]
        (lambda: participant_notice(ORDER, "CN", [[]], "en", "removed", APPEAL), "scope"),  # type: ignore[arg-type]
        (lambda: host_notice(ORDER, "", {"CN": 1}, "en", APPEAL), "meeting_id"),
        (lambda: host_notice(ORDER, "m1", {"CN": -1}, "en", APPEAL), "counts_by_country"),
        (lambda: host_notice(ORDER, "m1", {"CN": True}, "en", APPEAL), "counts_by_country"),
        (lambda: host_notice(ORDER, "m1", {"??": 1}, "en", APPEAL), "counts_by_country"),
    ],
)
def test_bad_input_names_its_field(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.field == field


def test_notices_are_memoised_and_odd_arguments_are_still_refused_properly() -> None:
    assert removed("ru") is removed("ru")
    with pytest.raises(InvalidInput) as caught:
        participant_notice(ORDER, "CN", ["CN"], "en", "removed", ["not", "a", "url"])  # type: ignore[arg-type]
    assert caught.value.field == "appeal_url"


def test_an_unknown_place_is_an_unknown_jurisdiction() -> None:
    with pytest.raises(UnknownJurisdiction):
        participant_notice(ORDER, "CN-HK", ("CN",), "en", "removed", APPEAL)


recorded_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\u2068\u2069"),
    min_size=1,
    max_size=60,
).filter(str.strip)


@given(
    authority=recorded_text,
    legal_basis=recorded_text,
    language=st.one_of(st.none(), st.sampled_from(LANGUAGES), st.text(max_size=20)),
)
def test_any_recorded_text_and_any_language_make_a_notice(
    authority: str, legal_basis: str, language: str | None
) -> None:
    order = make_order(authority=authority, legal_basis=legal_basis)
    notice = removed(language, order)
    assert notice.language in LANGUAGES
    assert authority in plain(notice.body)
    assert legal_basis in plain(notice.body)
