"""Invariants 1 and 2 of docs/design.md, checked by hypothesis over random orders, scopes and
locations.

The oracle below decides from the orders directly, using ``jurisdictions.covers`` on the scope
codes as written, so it does not share the index's place expansion.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from remit import jurisdictions
from remit.errors import InvalidInput
from remit.location import UNKNOWN, Location
from remit.policy import ActiveOrder, PolicyIndex, Resource, Target

# Places a participant can be resolved to, subdivisions with their country.
PLACES: list[tuple[str, str | None]] = [
    ("CN", None), ("CN", "CN-BJ"), ("CN", "CN-SH"), ("HK", None), ("MO", None), ("TW", None),
    ("TW", "TW-TPE"), ("US", None), ("US", "US-NY"), ("CA", None), ("GB", None),
    ("UA", None), ("UA", "UA-43"), ("UA", "UA-30"), ("FR", "FR-75C"), ("FR", "FR-13"),
    ("DE", None), ("NO", None), ("CH", None), ("RU", None), ("KZ", None), ("IM", None),
]  # fmt: skip
CODES = sorted({c for c, _ in PLACES} | {s for _, s in PLACES if s} | {"EU", "EEA", "FR-IDF"})
IDS = ["m1", "m2", "m3"]
HOSTS = ["h1", "h2"]

locations = st.one_of(
    st.just(UNKNOWN),
    st.sampled_from(PLACES).map(lambda p: Location(p[0], p[1], "static")),
)
resources = st.builds(
    Resource,
    type=st.sampled_from(["meeting", "recording"]),
    id=st.sampled_from(IDS),
    host=st.one_of(st.none(), st.sampled_from(HOSTS)),
)
targets = st.one_of(
    st.builds(Target, type=st.sampled_from(["meeting", "recording"]), id=st.sampled_from(IDS)),
    st.builds(Target, type=st.just("host"), id=st.sampled_from(HOSTS)),
)


@st.composite
def order_specs(draw: st.DrawFn) -> tuple[str, frozenset[str], tuple[Target, ...]]:
    """Raw order fields, scopes drawn from every code so that many reach outside."""
    jurisdiction = draw(st.sampled_from(CODES))
    scope = draw(st.frozensets(st.sampled_from(CODES), min_size=1, max_size=3))
    return jurisdiction, scope, tuple(draw(st.lists(targets, min_size=1, max_size=3)))


def build(specs: list[tuple[str, frozenset[str], tuple[Target, ...]]]) -> list[ActiveOrder]:
    """The orders remit accepts; the rest must be refused, never silently widened."""
    orders = []
    for n, (jurisdiction, scope, order_targets) in enumerate(specs):
        try:
            orders.append(ActiveOrder(f"o{n}", jurisdiction, scope, order_targets))
        except InvalidInput:
            assert not all(jurisdictions.covers(jurisdiction, code) for code in scope)
    return orders


def oracle_inside(order: ActiveOrder, location: Location) -> bool:
    places = [p for p in (location.subdivision, location.country) if p]
    return location.known and any(
        jurisdictions.covers(code, place) for code in order.scope for place in places
    )


def oracle_targets(order: ActiveOrder, resource: Resource) -> bool:
    return any(
        (t.type, t.id) == (resource.type, resource.id)
        or (t.type == "host" and t.id == resource.host)
        for t in order.targets
    )


@settings(max_examples=400)
@given(st.lists(order_specs(), max_size=6), locations, resources)
def test_the_writ_stops_at_the_border(
    specs: list[tuple[str, frozenset[str], tuple[Target, ...]]],
    location: Location,
    resource: Resource,
) -> None:
    orders = build(specs)
    decision = PolicyIndex.compile(orders).decide(location, resource)
    by_id = {o.id: o for o in orders}
    expected = sorted(
        o.id for o in orders if oracle_targets(o, resource) and oracle_inside(o, location)
    )
    assert list(decision.orders) == expected
    assert decision.outcome == ("deny" if expected else "allow")
    for order_id in decision.orders:
        order = by_id[order_id]
        # Inside the order's scope and inside its authority's jurisdiction: never beyond.
        assert oracle_inside(order, location)
        place = location.subdivision or location.country
        assert place is not None
        assert jurisdictions.covers(order.jurisdiction, place)


@given(st.lists(order_specs(), max_size=6), resources)
def test_an_unknown_location_is_never_touched(
    specs: list[tuple[str, frozenset[str], tuple[Target, ...]]], resource: Resource
) -> None:
    decision = PolicyIndex.compile(build(specs)).decide(UNKNOWN, resource)
    assert decision.allowed
    assert decision.orders == ()


@given(st.lists(order_specs(), max_size=8), resources)
def test_no_order_makes_a_resource_unavailable_everywhere(
    specs: list[tuple[str, frozenset[str], tuple[Target, ...]]], resource: Resource
) -> None:
    """Invariant 2: whatever the orders, someone outside every scope can still enter."""
    orders = build(specs)
    index = PolicyIndex.compile(orders)
    every_jurisdiction = [o.jurisdiction for o in orders]
    outside = [
        Location(c, s, "static")
        for c, s in PLACES
        if not any(jurisdictions.covers(j, s or c) for j in every_jurisdiction)
    ]
    for location in outside:
        assert index.decide(location, resource).allowed


@given(st.text(min_size=1, max_size=10).filter(str.isalnum), st.sampled_from(["account", "user"]))
def test_no_target_names_an_account(target_id: str, kind: str) -> None:
    try:
        Target(kind, target_id)
    except InvalidInput:
        return
    raise AssertionError("an account target was accepted")


@settings(max_examples=200)
@given(
    st.lists(order_specs(), max_size=6),
    st.lists(order_specs(), max_size=4),
    st.sets(st.integers(0, 5)),
    locations,
    resources,
)
def test_replace_decides_like_a_fresh_compile(
    before: list[tuple[str, frozenset[str], tuple[Target, ...]]],
    changes: list[tuple[str, frozenset[str], tuple[Target, ...]]],
    removed: set[int],
    location: Location,
    resource: Resource,
) -> None:
    old = build(before)
    new = build(changes)
    gone = {f"o{n}" for n in removed}
    result = {o.id: o for o in old if o.id not in gone} | {o.id: o for o in new}
    incremental = PolicyIndex.compile(old).replace(upsert=new, remove=gone)
    fresh = PolicyIndex.compile(result.values())
    assert incremental.decide(location, resource) == fresh.decide(location, resource)
    assert set(incremental.orders) == set(result)
