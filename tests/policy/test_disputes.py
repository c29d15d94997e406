"""Invariant 1 under the rule ``agree``: nobody is denied or removed unless every source agrees.

Hypothesis draws what each of three IP sources answers about one address (a place, or nothing),
the sources' families and the quorum, and orders of random scopes; the decision (a join) and
``must_go`` (the removals when an order takes effect) may touch the participant only when every
source that answered places them inside the order's scope, and enough independent ones answered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from remit import jurisdictions
from remit.enforcement import Session
from remit.enforcement._activation import must_go
from remit.location import IPAddress, Locator, Place
from remit.policy import SOURCES_DISAGREE, ActiveOrder, PolicyIndex, Resource, Target

PLACES: list[Place] = [
    ("CN", None), ("CN", "CN-BJ"), ("HK", None), ("TW", None), ("US", None), ("US", "US-CA"),
    ("US", "US-NY"), ("RU", None), ("UA", None), ("UA", "UA-43"), ("KZ", None), ("EU", None),
]  # fmt: skip
SCOPES = [("CN", {"CN"}), ("CN", {"CN-BJ"}), ("RU", {"RU"}), ("UA", {"UA-43"}), ("US", {"US-CA"}),
          ("HK", {"HK"}), ("EU", {"EU"})]  # fmt: skip
MEETING = Resource("meeting", "m1", "h1")


class Says:
    """A source that answers one fixed place about every address."""

    data_date = None
    places_reserved = False

    def __init__(self, name: str, family: str, place: Place | None) -> None:
        self.name, self.family, self.place = name, family, place

    def lookup(self, address: IPAddress) -> Place | None:
        return self.place


Drawn = tuple[Locator, list[tuple[Place, str]], int]


@st.composite
def locators(draw: st.DrawFn) -> Drawn:
    """A locator over three sources, what the usable ones say with their families, the quorum."""
    answers = draw(st.lists(st.one_of(st.none(), st.sampled_from(PLACES)), min_size=3, max_size=3))
    families = draw(st.sampled_from([["a", "b", "c"], ["a", "a", "b"], ["a", "b", "b"]]))
    quorum = draw(st.integers(1, len(set(families))))
    sources = [Says(f"s{n}", families[n], p) for n, p in enumerate(answers)]
    said = [(p, f) for p, f in zip(answers, families, strict=True) if p and p[0] != "EU"]
    return Locator(ip_sources=sources, quorum=quorum), said, quorum


def inside(order: ActiveOrder, place: Place) -> bool:
    country, subdivision = place
    return any(
        jurisdictions.covers(code, where)
        for code in order.scope
        for where in (country, subdivision)
        if where is not None and jurisdictions.is_known(where)
    )


@settings(max_examples=400)
@given(locators(), st.lists(st.sampled_from(SCOPES), min_size=1, max_size=4))
def test_no_one_is_touched_unless_every_answering_source_places_them_inside(
    drawn: Drawn, scopes: list[tuple[str, set[str]]]
) -> None:
    locator, said, quorum = drawn
    orders = [
        ActiveOrder(f"o{n}", j, frozenset(s), (Target("meeting", "m1"),))
        for n, (j, s) in enumerate(scopes)
    ]
    location = locator.locate_ip("1.2.4.8")
    decision = PolicyIndex.compile(orders).decide(location, MEETING, "p1")
    session = Session("s1", "p", MEETING, "p1", location, datetime.now(UTC))
    removed = {o.id for o in orders if must_go(o, [session])}
    assert removed == set(decision.orders)
    by_id = {o.id: o for o in orders}
    countries = {p[0] for p, _ in said}
    subdivisions = {p[1] for p, _ in said if p[1] is not None}
    for order_id in decision.orders:
        order = by_id[order_id]
        assert said, "touched though no source answered"
        assert len(countries) == 1, "touched though sources disagree on the country"
        assert len(subdivisions) <= 1, "touched though sources disagree on the subdivision"
        assert len({f for _, f in said}) >= quorum, "touched below the quorum"
        # Every answering source places them inside, or agrees on the country and gives no
        # subdivision where the others agree on one inside the scope.
        for place, _ in said:
            assert inside(order, place) or (place[1] is None and location.subdivision), place
    if len(countries) > 1:
        assert decision.allowed
        assert not decision.orders
        assert all(s.reason.startswith(SOURCES_DISAGREE) for s in decision.skipped)


def test_a_dispute_names_the_orders_it_kept_from_applying() -> None:
    sources = [Says("registry", "rir", ("RU", None)), Says("geo", "dbip", ("UA", None))]
    locator = Locator(ip_sources=sources)
    russia = ActiveOrder("ru", "RU", frozenset({"RU"}), (Target("meeting", "m1"),))
    china = ActiveOrder("cn", "CN", frozenset({"CN"}), (Target("meeting", "m1"),))
    decision = PolicyIndex.compile([russia, china]).decide(locator.locate_ip("5.8.1.1"), MEETING)
    assert decision.allowed
    assert decision.orders == ()
    assert [(s.order, s.reason) for s in decision.skipped] == [
        ("ru", "sources disagree: registry RU, geo UA")
    ]
    assert decision.to_dict()["location"]["source"] == "disputed"


def test_a_disputed_subdivision_still_lets_the_agreed_country_decide() -> None:
    sources = [Says("a", "a", ("US", "US-CA")), Says("b", "b", ("US", "US-NY"))]
    location = Locator(ip_sources=sources).locate_ip("12.0.0.1")
    country = ActiveOrder("us", "US", frozenset({"US"}), (Target("meeting", "m1"),))
    state = ActiveOrder("ca", "US", frozenset({"US-CA"}), (Target("meeting", "m1"),))
    decision = PolicyIndex.compile([country, state]).decide(location, MEETING)
    assert (decision.outcome, decision.orders) == ("deny", ("us",))
    assert [s.order for s in decision.skipped] == ["ca"]
    assert decision.skipped[0].reason.startswith("sources disagree on the subdivision")
