"""Dial-in numbers: the country by number, not by country code alone; garbage refused."""

from __future__ import annotations

import pytest

from remit.errors import InvalidPhoneNumber
from remit.location import UNKNOWN, Location, Locator, locate_phone


@pytest.mark.parametrize(
    ("number", "country"),
    [
        # +7 is Russia or Kazakhstan, by number.
        ("+74951234567", "RU"),
        ("+77012345678", "KZ"),
        ("+77172123456", "KZ"),
        # +1 is the United States, Canada, or one of many Caribbean countries.
        ("+12125550100", "US"),
        ("+1 (212) 555-0100", "US"),
        ("+14165550100", "CA"),
        ("+18762345678", "JM"),
        # +44 1624 is the Isle of Man, not Great Britain.
        ("+44 1624 123456", "IM"),
        ("+441624612345", "IM"),
        ("+442071234567", "GB"),
        # Hong Kong, Macao, Taiwan and mainland China are four places.
        ("+85221234567", "HK"),
        ("+85328123456", "MO"),
        ("+886212345678", "TW"),
        ("+8613800138000", "CN"),
        ("+86 10 1234 5678", "CN"),
    ],
)
def test_numbers_are_placed_by_their_region(number: str, country: str) -> None:
    assert locate_phone(number) == Location(country, None, "phone")


def test_ascension_and_tristan_da_cunha_are_subdivisions_of_saint_helena() -> None:
    assert locate_phone("+24762889") == Location("SH", "SH-AC", "phone")
    assert locate_phone("+2908999") == Location("SH", "SH-TA", "phone")
    assert locate_phone("+2906000") == Location("SH", None, "phone")


@pytest.mark.parametrize(
    "number",
    [
        "+80012345678",  # international freephone: region 001
        "+882345678901",  # international networks
        "+979123456789",  # international premium rate
        "+38344123456",  # Kosovo: XK is not an ISO 3166-1 code
        "+19995550100",  # +1 with an area code no region has
    ],
)
def test_numbers_no_country_claims_are_unknown(number: str) -> None:
    assert locate_phone(number) is UNKNOWN


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("12125550100", "international form"),
        ("0012125550100", "international form"),
        ("", "international form"),
        ("+", "international form"),
        (" +12125550100", "international form"),
        ("+12125550100 ", "international form"),
        ("tel:+1-212-555-0100", "international form"),
        ("+1-800-FLOWERS", "international form"),
        ("+12125550100 ext. 5", "international form"),
        ("+999123456", "is not a phone number"),
        ("+1", "is not a phone number"),
        ("+1 212 555 010", "cannot be a phone number"),
        ("+8005551234", "cannot be a phone number"),
        ("+" + "1" * 40, "not a phone number"),
        ("+" + "1" * 100, "international form"),
        ("garbage", "international form"),
    ],
)
def test_garbage_is_refused_by_name(number: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=reason) as caught:
        locate_phone(number)
    assert caught.value.field == "phone"
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("value", [None, 12125550100, b"+12125550100"])
def test_only_text_is_a_number(value: object) -> None:
    with pytest.raises(InvalidPhoneNumber, match="as text"):
        locate_phone(value)  # type: ignore[arg-type]


def test_the_locator_places_numbers_the_same_way() -> None:
    assert Locator().locate_phone("+85221234567") == Location("HK", None, "phone")
    assert locate_phone("+8613800138000") is locate_phone("+8613912345678")
