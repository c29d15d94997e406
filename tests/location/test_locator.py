"""The Locator: signals by precedence, sources in order under ``first``, settings checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from remit.errors import InvalidAddress, InvalidConfiguration, InvalidPhoneNumber, LocationDataError
from remit.location import (
    RESERVED_NETWORKS,
    UNKNOWN,
    IPAddress,
    IptoccSource,
    Location,
    Locator,
    MaxMindSource,
    Place,
    StaticSource,
)

MAXMIND = Path(__file__).resolve().parents[1] / "data" / "maxmind" / "GeoIP2-City-Test.mmdb"


def where(location: Location) -> tuple[str | None, str | None, str]:
    """What a Location says, without its evidence."""
    return (location.country, location.subdivision, location.source)


def registries(**settings: object) -> Locator:
    """A locator on the registries' data alone, under the rule ``first``."""
    return Locator(ip_sources=[IptoccSource()], rule="first", **settings)  # type: ignore[arg-type]


class Answers:
    """An IP source that gives fixed answers, to see how the Locator treats them."""

    data_date = None

    def __init__(self, place: Place | None, *, name: str = "fixed", places_reserved: bool = False):
        self.place = place
        self.name = name
        self.family = name
        self.places_reserved = places_reserved
        self.asked: list[str] = []

    def lookup(self, address: IPAddress) -> Place | None:
        self.asked.append(address.text)
        return self.place


# Precedence: which signal wins.


def test_ip_wins_over_phone_by_default() -> None:
    locator = Locator()
    assert where(locator.locate(ip="1.2.4.8", phone="+85221234567")) == ("CN", None, "agree")


def test_the_order_is_configurable() -> None:
    locator = Locator(precedence=("phone", "ip"))
    assert locator.locate(ip="1.2.4.8", phone="+85221234567") == Location("HK", None, "phone")
    assert where(locator.locate(ip="1.2.4.8")) == ("CN", None, "agree")


def test_an_unknown_ip_falls_through_to_the_phone() -> None:
    locator = Locator()
    assert locator.locate(ip="10.1.2.3", phone="+886212345678") == Location("TW", None, "phone")
    assert locator.locate(ip="192.168.1.10", phone="+80012345678") is UNKNOWN


def test_an_unknown_phone_falls_through_to_the_ip() -> None:
    locator = registries(precedence=("phone", "ip"))
    assert where(locator.locate(ip="202.175.3.1", phone="+80012345678")) == ("MO", None, "iptocc")


def test_no_signal_is_unknown() -> None:
    assert Locator().locate() is UNKNOWN


def test_a_signal_left_out_of_the_precedence_is_not_used() -> None:
    locator = registries(precedence=("ip",))
    assert locator.locate(ip="10.0.0.1", phone="+85221234567") is UNKNOWN
    assert locator.evidence(ip="1.2.4.8", phone="not even parsed") == (
        ("ip", locator.locate_ip("1.2.4.8")),
    )


def test_evidence_lists_every_signal_in_precedence_order() -> None:
    locator = registries(precedence=("phone", "ip"))
    assert [(k, where(loc)) for k, loc in locator.evidence(ip="1.2.4.8", phone="+85221234567")] == [
        ("phone", ("HK", None, "phone")),
        ("ip", ("CN", None, "iptocc")),
    ]


def test_an_invalid_signal_is_an_error_whatever_the_others_say() -> None:
    locator = Locator()
    with pytest.raises(InvalidPhoneNumber) as phone:
        locator.locate(ip="1.2.4.8", phone="12345")
    assert phone.value.field == "phone"
    with pytest.raises(InvalidAddress) as ip:
        locator.locate(ip="001.002.004.008", phone="+85221234567")
    assert ip.value.field == "ip"
    with pytest.raises(InvalidAddress):
        locator.locate(ip="")


@pytest.mark.parametrize(
    ("precedence", "message"),
    [
        ((), "empty"),
        (("ip", "country"), "'country' is not a location signal"),
        (("billing_country",), "billing country is never evidence"),
        (("ip", "ip"), "repeats"),
        ("ip", "expected a sequence"),
    ],
)
def test_a_bad_precedence_is_refused(precedence: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message) as caught:
        Locator(precedence=precedence)
    assert caught.value.field == "precedence"


# Sources: order, reserved addresses, and which answers are used.


def test_the_first_source_that_answers_wins() -> None:
    static = StaticSource({"1.2.4.0/24": "HK"})
    locator = Locator(ip_sources=[static, IptoccSource()], rule="first")
    assert where(locator.locate_ip("1.2.4.8")) == ("HK", None, "static")
    assert where(locator.locate_ip("1.2.5.8")) == ("CN", None, "iptocc")
    reordered = Locator(ip_sources=[IptoccSource(), static], rule="first")
    assert reordered.locate_ip("1.2.4.8").source == "iptocc"
    # Under first, the evidence is the sources asked until one answered.
    assert [a.source for a in locator.locate_ip("1.2.5.8").evidence] == ["static", "iptocc"]


@pytest.mark.parametrize(
    ("cidr", "reason"), RESERVED_NETWORKS, ids=[c for c, _ in RESERVED_NETWORKS]
)
def test_reserved_networks_are_placed_only_by_the_operators_table(cidr: str, reason: str) -> None:
    import ipaddress

    network = ipaddress.ip_network(cidr)
    address = str(network.network_address + network.num_addresses // 2)
    if cidr in ("64:ff9b::/96", "2002::/16"):  # they carry an IPv4 address (test_transitions.py)
        address = "64:ff9b::127.0.0.10" if cidr.startswith("64") else "2002:7f00:a::1"
    everywhere = Answers(("CN", None))
    with MaxMindSource(MAXMIND) as maxmind:
        for rule in ("first", "agree"):
            public = Locator(ip_sources=[IptoccSource(), maxmind, everywhere], rule=rule)
            assert public.locate_ip(address) is UNKNOWN, reason
    assert everywhere.asked == []
    carries = cidr in ("64:ff9b::/96", "2002::/16")
    table = StaticSource({"127.0.0.10" if carries else cidr: "CN"})
    for rule in ("first", "agree"):
        placed = Locator(ip_sources=[table, IptoccSource()], rule=rule).locate_ip(address)
        assert where(placed) == ("CN", None, "static")


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        (("CN", None), Location("CN", None, "agree")),
        (("cn", None), Location("CN", None, "agree")),
        (("US", "US-CA"), Location("US", "US-CA", "agree")),
        (("CN", "CN-22"), Location("CN", None, "agree")),  # outdated code: country kept
        (("CN", "CN-HK"), UNKNOWN),  # remit's HK is not part of CN
        (("US", "CN-BJ"), UNKNOWN),  # a subdivision of another country
        (("US", "EU"), UNKNOWN),
        (("EU", None), UNKNOWN),  # a region is not a place
        (("XX", None), UNKNOWN),
        (("", None), UNKNOWN),
    ],
)
def test_answers_are_checked_against_the_registry(place: Place, expected: Location) -> None:
    found = Locator(ip_sources=[Answers(place)]).locate_ip("1.2.4.8")
    assert (found is UNKNOWN) if expected is UNKNOWN else where(found) == where(expected)
    if expected is not UNKNOWN:
        assert found.evidence[0].country == expected.country


def test_an_unusable_answer_gives_way_to_the_next_source() -> None:
    locator = Locator(
        ip_sources=[Answers(("EU", None), name="first"), Answers(("FR", None))], rule="first"
    )
    assert where(locator.locate_ip("1.2.4.8")) == ("FR", None, "fixed")


def test_an_empty_source_list_is_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="ip_sources"):
        Locator(ip_sources=[])


# Settings.


def test_the_default_settings_agree_over_the_two_shipped_data_sets() -> None:
    locator = Locator.from_settings()
    assert [s.name for s in locator.ip_sources] == ["dbip", "iptocc"]
    assert (locator.rule, locator.quorum) == ("agree", 2)
    assert locator.precedence == ("ip", "phone")


def test_settings_build_the_sources_in_order(tmp_path: Path) -> None:
    table = tmp_path / "static.csv"
    table.write_text("127.0.0.10,CN\n127.0.0.20,HK\n", "utf-8")
    locator = Locator.from_settings(
        maxmind_path=MAXMIND,
        static_table=table,
        trusted_proxies=["10.0.0.0/8"],
        order=("static", "maxmind", "iptocc"),
        rule="first",
    )
    assert [s.name for s in locator.ip_sources] == ["static", "maxmind", "iptocc"]
    assert where(locator.locate_ip(locator.client_ip("10.0.0.1", "127.0.0.20"))) == (
        "HK",
        None,
        "static",
    )
    assert where(locator.locate_ip("81.2.69.160")) == ("GB", "GB-ENG", "maxmind")
    assert where(locator.locate_ip("1.2.4.8")) == ("CN", None, "iptocc")
    locator.close()
    reordered = Locator.from_settings(
        static_table={"1.2.4.0/24": "TW"}, order=("iptocc", "static"), rule="first"
    )
    assert reordered.locate_ip("1.2.4.8").source == "iptocc"
    assert reordered.locate_ip("127.0.0.10") is UNKNOWN


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"order": ("static", "geoip")}, "'geoip' is not a location source"),
        ({"rule": "majority"}, "'majority' is not a location rule"),
        ({"quorum": 3}, "3 independent sources cannot agree when 2 are configured"),
        ({"quorum": 0}, "at least 1"),
        ({"databases": {"dbip": MAXMIND}}, "'dbip' is taken"),
        ({"databases": {"Geo IP": MAXMIND}}, "is not a source name"),
        ({"order": ("iptocc",), "databases": {"geo": MAXMIND}}, "geo is configured but not"),
        ({"order": ("iptocc", "iptocc")}, "repeats"),
        ({"order": ()}, "none of"),
        ({"order": ("maxmind",)}, "none of"),
        ({"order": "iptocc"}, "expected a sequence"),
        (
            {"order": ("iptocc",), "maxmind_path": MAXMIND},
            "maxmind is configured but not in the order",
        ),
        ({"order": ("iptocc",), "static_table": {}}, "static is configured but not in the order"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidConfiguration, match=message):
        Locator.from_settings(**settings)  # type: ignore[arg-type]


def test_a_bad_database_setting_fails_when_the_locator_is_built(tmp_path: Path) -> None:
    with pytest.raises(LocationDataError):
        Locator.from_settings(maxmind_path=tmp_path / "missing.mmdb")
    with pytest.raises(InvalidConfiguration):
        Locator.from_settings(static_table=tmp_path / "missing.csv")
