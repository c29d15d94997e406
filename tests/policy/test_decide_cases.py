"""The decision engine on the cases a reviewer would check by hand: the 2020 story first."""

from __future__ import annotations

import pytest

from remit.errors import InvalidOrder, InvalidScope, UnknownJurisdiction
from remit.location import UNKNOWN, Location
from remit.policy import EXEMPT, UNKNOWN_LOCATION, ActiveOrder, PolicyIndex, Resource, Target

MEETINGS = ("june4-a", "june4-b", "june4-c", "june4-d")
HOSTS = ("host-us-1", "host-us-2", "host-hk-1")


def at(country: str | None, subdivision: str | None = None) -> Location:
    return Location(country, subdivision, "static") if country else UNKNOWN


@pytest.fixture
def story() -> PolicyIndex:
    """A mainland authority's demand against the four meetings and the three host accounts."""
    targets = tuple(Target("meeting", m) for m in MEETINGS) + tuple(
        Target("host", h) for h in HOSTS
    )
    order = ActiveOrder("order-1", jurisdiction="CN", scope=frozenset({"CN"}), targets=targets)
    return PolicyIndex.compile([order])


@pytest.mark.parametrize(
    ("country", "subdivision", "outcome"),
    [
        ("CN", None, "deny"),
        ("CN", "CN-BJ", "deny"),
        ("HK", None, "allow"),
        ("MO", None, "allow"),
        ("TW", None, "allow"),
        ("US", "US-NY", "allow"),
        ("CA", None, "allow"),
        ("GB", None, "allow"),
        (None, None, "allow"),
    ],
)
def test_story_only_mainland_participants_are_refused(
    story: PolicyIndex, country: str | None, subdivision: str | None, outcome: str
) -> None:
    decision = story.decide(at(country, subdivision), Resource("meeting", "june4-a", "host-us-1"))
    assert decision.outcome == outcome
    assert decision.orders == (("order-1",) if outcome == "deny" else ())


def test_host_target_reaches_every_meeting_of_that_host_inside_scope_only(
    story: PolicyIndex,
) -> None:
    other_meeting = Resource("meeting", "later-meeting", host="host-hk-1")
    assert story.decide(at("CN"), other_meeting).orders == ("order-1",)
    assert story.decide(at("HK"), other_meeting).allowed
    unrelated = Resource("meeting", "book-club", host="someone-else")
    assert story.decide(at("CN"), unrelated).allowed


def test_unknown_location_is_never_touched_and_says_which_orders_it_skipped(
    story: PolicyIndex,
) -> None:
    decision = story.decide(UNKNOWN, Resource("meeting", "june4-b", "host-us-2"))
    assert decision.allowed
    assert [(s.order, s.reason) for s in decision.skipped] == [("order-1", UNKNOWN_LOCATION)]


def test_subdivision_scope_reaches_only_that_subdivision() -> None:
    order = ActiveOrder("crimea", "UA", frozenset({"UA-43"}), (Target("recording", "r1"),))
    index = PolicyIndex.compile([order])
    recording = Resource("recording", "r1")
    assert index.decide(at("UA", "UA-43"), recording).orders == ("crimea",)
    assert index.decide(at("UA", "UA-30"), recording).allowed
    # A location known only to the country is not inside a subdivision's scope.
    assert index.decide(at("UA"), recording).allowed


def test_group_jurisdiction_expands_to_its_member_countries() -> None:
    order = ActiveOrder("eu-1", "EU", frozenset({"EU"}), (Target("post", "p1"),))
    index = PolicyIndex.compile([order])
    assert index.decide(at("FR", "FR-75C"), Resource("post", "p1")).orders == ("eu-1",)
    assert index.decide(at("NO"), Resource("post", "p1")).allowed
    assert index.decide(at("CH"), Resource("post", "p1")).allowed


def test_narrowed_scope_inside_a_group() -> None:
    order = ActiveOrder("eu-2", "EU", frozenset({"DE", "AT"}), (Target("post", "p1"),))
    index = PolicyIndex.compile([order])
    assert not index.decide(at("DE"), Resource("post", "p1")).allowed
    assert index.decide(at("FR"), Resource("post", "p1")).allowed


def test_every_deciding_order_is_named() -> None:
    orders = [
        ActiveOrder("a", "CN", frozenset({"CN"}), (Target("meeting", "m"),)),
        ActiveOrder("b", "CN", frozenset({"CN-SH"}), (Target("host", "h"),)),
        ActiveOrder("c", "RU", frozenset({"RU"}), (Target("meeting", "m"),)),
    ]
    index = PolicyIndex.compile(orders)
    assert index.decide(at("CN", "CN-SH"), Resource("meeting", "m", "h")).orders == ("a", "b")
    assert index.decide(at("RU"), Resource("meeting", "m", "h")).orders == ("c",)


def test_an_appeal_exemption_releases_one_participant_and_is_reported() -> None:
    order = ActiveOrder(
        "a", "CN", frozenset({"CN"}), (Target("meeting", "m"),), exempt=frozenset({"p7"})
    )
    index = PolicyIndex.compile([order])
    released = index.decide(at("CN"), Resource("meeting", "m"), participant="p7")
    assert released.allowed
    assert [(s.order, s.reason) for s in released.skipped] == [("a", EXEMPT)]
    assert not index.decide(at("CN"), Resource("meeting", "m"), participant="p8").allowed


def test_a_scope_outside_the_authoritys_jurisdiction_is_refused() -> None:
    with pytest.raises(InvalidScope, match="HK lies outside"):
        ActiveOrder("x", "CN", frozenset({"CN", "HK"}), (Target("meeting", "m"),))
    with pytest.raises(InvalidScope, match="outside"):
        ActiveOrder("x", "UA-43", frozenset({"UA"}), (Target("meeting", "m"),))


def test_hong_kong_cannot_be_spelled_as_part_of_cn() -> None:
    with pytest.raises(InvalidScope, match="HK"):
        ActiveOrder("x", "CN", frozenset({"CN-HK"}), (Target("meeting", "m"),))
    with pytest.raises(UnknownJurisdiction):
        ActiveOrder("x", "CN-HK", frozenset({"CN"}), (Target("meeting", "m"),))


@pytest.mark.parametrize("kind", ["account", "user"])
def test_no_target_can_name_an_account(kind: str) -> None:
    with pytest.raises(InvalidOrder, match="never suspends"):
        Target(kind, "activist-1")


def test_an_order_without_targets_or_scope_is_refused() -> None:
    with pytest.raises(InvalidOrder):
        ActiveOrder("x", "CN", frozenset({"CN"}), ())
    with pytest.raises(InvalidScope):
        ActiveOrder("x", "CN", frozenset(), (Target("meeting", "m"),))


def test_replace_adds_changes_and_removes_orders() -> None:
    a = ActiveOrder("a", "CN", frozenset({"CN"}), (Target("meeting", "m"),))
    index = PolicyIndex.compile([a])
    b = ActiveOrder("b", "RU", frozenset({"RU"}), (Target("meeting", "m"),))
    grown = index.replace(upsert=[b])
    assert grown.decide(at("RU"), Resource("meeting", "m")).orders == ("b",)
    assert index.decide(at("RU"), Resource("meeting", "m")).allowed, "the old index is unchanged"
    narrowed = grown.replace(upsert=[ActiveOrder("a", "CN", frozenset({"CN-SH"}), a.targets)])
    assert narrowed.decide(at("CN", "CN-BJ"), Resource("meeting", "m")).allowed
    lifted = narrowed.replace(remove=["a", "b"])
    assert len(lifted) == 0
    assert lifted.decide(at("CN", "CN-SH"), Resource("meeting", "m")).allowed


def test_a_target_on_one_platform_decides_only_that_platforms_resource() -> None:
    on_zoomish = ActiveOrder("a", "CN", frozenset({"CN"}), (Target("meeting", "m", "zoomish"),))
    hosted = ActiveOrder("b", "CN", frozenset({"CN"}), (Target("host", "h", "meetly"),))
    index = PolicyIndex.compile([on_zoomish, hosted])
    meeting = Resource("meeting", "m", "h")
    assert index.decide(at("CN"), meeting, platform="zoomish").orders == ("a",)
    assert index.decide(at("CN"), meeting, platform="meetly").orders == ("b",)
    assert index.decide(at("CN"), meeting, platform="other").allowed
    assert index.decide(at("CN"), meeting).allowed  # no platform: only targets on every one


def test_a_target_on_every_platform_decides_each_and_an_exemption_stays_on_its_platform() -> None:
    order = ActiveOrder(
        "a", "CN", frozenset({"CN"}), (Target("meeting", "m"),),
        exempt_on=frozenset({("zoomish", "p7")}),
    )  # fmt: skip
    index = PolicyIndex.compile([order])
    meeting = Resource("meeting", "m")
    assert index.decide(at("CN"), meeting, "p7", platform="zoomish").allowed
    assert index.decide(at("CN"), meeting, "p7", platform="meetly").orders == ("a",)
    assert index.decide(at("CN"), meeting, "p8", platform="zoomish").orders == ("a",)
