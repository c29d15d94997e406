"""The compiled decision index: active orders by platform and target, then by place. Pure.

``decide`` is the hot path of every join. It looks up at most four targets (the resource itself
and its host, each on the participant's platform and on every platform) and, only when one is
targeted, the participant's country and subdivision. A resource no order targets is answered
from a cache of shared allow decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from remit.errors import InvalidInput
from remit.location import UNKNOWN, Location
from remit.policy._model import (
    ANY_PLATFORM,
    HOST,
    ActiveOrder,
    Decision,
    Outcome,
    Resource,
    Skipped,
)

_Key = tuple[str, str, str]  # platform (or ANY_PLATFORM), target type, target id

UNKNOWN_LOCATION = "location unknown"
EXEMPT = "participant exempted on appeal"
#: How the reason of an order skipped because the IP sources disagree begins; the rest names
#: which source said what (``sources disagree: dbip UA, iptocc RU``).
SOURCES_DISAGREE = "sources disagree"


class _Rule:
    """Every active order on one target, and the same orders by the places they cover."""

    __slots__ = ("_unknown", "by_place", "orders")

    def __init__(self, orders: tuple[ActiveOrder, ...]) -> None:
        self.orders = orders
        self.by_place: dict[str, tuple[ActiveOrder, ...]]
        if len(orders) == 1:  # most targets have one order: no lists to build
            self.by_place = dict.fromkeys(orders[0].places, orders)
        else:
            by_place: dict[str, list[ActiveOrder]] = {}
            for order in orders:
                for place in order.places:
                    by_place.setdefault(place, []).append(order)
            self.by_place = {place: tuple(found) for place, found in by_place.items()}
        self._unknown: Decision | None = None

    @property
    def unknown(self) -> Decision:
        """The answer for a participant no source could place: let in, these orders skipped.
        Built when first asked (an index of 100,000 targets is compiled at every start)."""
        found = self._unknown
        if found is None:
            found = self._unknown = _unknown(UNKNOWN, [self])
        return found


def _keys(order: ActiveOrder) -> set[_Key]:
    return {(t.platform, t.type, t.id) for t in order.targets}


class PolicyIndex:
    """Active orders compiled for :meth:`decide`. Immutable: :meth:`replace` returns a new index.

    Readers may keep using an index while a new one is built, so a service swaps a reference
    instead of locking.
    """

    __slots__ = ("_allow", "_hosts", "_orders", "_rules", "_targets")

    def __init__(self, orders: Mapping[str, ActiveOrder], rules: dict[_Key, _Rule]) -> None:
        self._orders = orders
        self._rules = rules
        # The same rules by platform, then resource type then id, and by platform then host: the
        # hot path allocates no key.
        self._targets: dict[str, dict[str, dict[str, _Rule]]] = {}
        self._hosts: dict[str, dict[str, _Rule]] = {}
        for (platform, kind, target_id), rule in rules.items():
            if kind == HOST:
                self._hosts.setdefault(platform, {})[target_id] = rule
            else:
                self._targets.setdefault(platform, {}).setdefault(kind, {})[target_id] = rule
        # Shared allow decisions without skips, by the identity of the location they carry.
        self._allow: dict[int, Decision] = {}

    @classmethod
    def compile(cls, orders: Iterable[ActiveOrder]) -> PolicyIndex:
        """Build an index from active orders. Two orders with one id are refused."""
        by_id: dict[str, ActiveOrder] = {}
        by_key: dict[_Key, list[ActiveOrder]] = {}
        for order in orders:
            if order.id in by_id:
                raise InvalidInput(f"order.id: {order.id!r} appears twice", field="order.id")
            by_id[order.id] = order
            for key in _keys(order):
                by_key.setdefault(key, []).append(order)
        rules = {key: _Rule(tuple(found)) for key, found in by_key.items()}
        return cls(MappingProxyType(by_id), rules)

    def replace(
        self, upsert: Iterable[ActiveOrder] = (), remove: Iterable[str] = ()
    ) -> PolicyIndex:
        """A new index with ``upsert`` added or replaced and the ids in ``remove`` taken out.

        Only the targets those orders touch are rebuilt.
        """
        orders = dict(self._orders)
        new = {o.id: o for o in upsert}
        gone = set(remove) | set(new)
        touched: set[_Key] = set()
        for order_id in gone:
            old = orders.pop(order_id, None)
            if old is not None:
                touched |= _keys(old)
        added: dict[_Key, list[ActiveOrder]] = {}
        for order in new.values():
            orders[order.id] = order
            for key in _keys(order):
                added.setdefault(key, []).append(order)
        touched |= added.keys()
        rules = dict(self._rules)
        for key in touched:
            kept = [o for o in rules[key].orders if o.id not in gone] if key in rules else []
            kept += added.get(key, ())
            if kept:
                rules[key] = _Rule(tuple(kept))
            else:
                rules.pop(key, None)
        return PolicyIndex(MappingProxyType(orders), rules)

    @property
    def orders(self) -> Mapping[str, ActiveOrder]:
        """The active orders, by id."""
        return self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def _rules_of(self, resource: Resource, platform: str | None) -> list[_Rule]:
        """The rules on ``resource`` and on its host, on every platform and on ``platform``."""
        found = []
        platforms = (
            (ANY_PLATFORM,) if platform in (None, ANY_PLATFORM) else (ANY_PLATFORM, platform)
        )
        for name in platforms:
            by_type = self._targets.get(name)
            if by_type is not None:
                by_id = by_type.get(resource.type)
                rule = by_id.get(resource.id) if by_id is not None else None
                if rule is not None:
                    found.append(rule)
            if resource.host is not None:
                hosts = self._hosts.get(name)
                rule = hosts.get(resource.host) if hosts is not None else None
                if rule is not None:
                    found.append(rule)
        return found

    def decide(
        self,
        location: Location,
        resource: Resource,
        participant: str | None = None,
        *,
        platform: str | None = None,
    ) -> Decision:
        """Allow or deny ``participant`` of ``platform`` at ``location`` entering ``resource``.

        A deny needs an order that targets the resource (or its host), on ``platform`` or on every
        platform, *and* whose scope holds the participant's country or subdivision. Without a
        ``platform`` only targets on every platform apply: a target on one platform never reaches
        a resource another platform serves, whatever its id. An unknown location is never denied:
        the orders it would have met are reported as skipped. A location the sources disputed is
        never denied on a contested place: each order whose scope holds a place some source gave
        is reported as skipped, with the location's :attr:`~remit.location.Location.dispute` as
        the reason. An exemption counts for ``participant`` on every platform, or on ``platform``.
        """
        rules = self._rules_of(resource, platform)
        if not rules:
            return self._allowed(location)
        country = location.country
        if len(rules) == 1:  # one rule: the common case, kept short
            rule = rules[0]
            if country is None:
                return rule.unknown if location is UNKNOWN else _unplaced(location, rules)
            by_place = rule.by_place
            subdivision = location.subdivision
            hits = by_place.get(country)
            if subdivision is not None and subdivision in by_place:
                hits = (hits or ()) + by_place[subdivision]
        else:
            if country is None:
                return _unplaced(location, rules)
            subdivision = location.subdivision
            hits = ()
            for rule in rules:
                hits += rule.by_place.get(country, ())
                if subdivision is not None:
                    hits += rule.by_place.get(subdivision, ())
        if location.contested:  # the country agreed, the subdivision disputed
            return _contested(location, hits or (), rules, participant, platform)
        if not hits:
            return self._allowed(location)
        return _deny(location, hits, participant, platform)

    def _allowed(self, location: Location) -> Decision:
        """The shared allow decision for ``location`` (locations from a Locator are shared)."""
        decision = self._allow.get(id(location))
        if decision is None or decision.location is not location:
            if len(self._allow) > 65_536:
                self._allow.clear()
            decision = Decision("allow", (), location)
            self._allow[id(location)] = decision
        return decision


def _unknown(location: Location, rules: list[_Rule]) -> Decision:
    orders = {o.id for rule in rules for o in rule.orders}
    return Decision(
        "allow", (), location, tuple(Skipped(o, UNKNOWN_LOCATION) for o in sorted(orders))
    )


def _unplaced(location: Location, rules: list[_Rule]) -> Decision:
    """A location without a country: unknown, or disputed between sources."""
    if location.dispute is None:
        return _unknown(location, rules)
    return _contested(location, (), rules, None, None)


def _disputed_orders(location: Location, rules: list[_Rule]) -> set[str]:
    return {
        o.id for rule in rules for place in location.contested for o in rule.by_place.get(place, ())
    }


def _contested(
    location: Location,
    hits: tuple[ActiveOrder, ...],
    rules: list[_Rule],
    participant: str | None,
    platform: str | None,
) -> Decision:
    """The orders of ``hits`` decide; those a contested place would have added are skipped."""
    reason = location.dispute or SOURCES_DISAGREE
    disputed = _disputed_orders(location, rules) - {o.id for o in hits}
    skipped = tuple(Skipped(o, reason) for o in sorted(disputed))
    if not hits:
        return Decision("allow", (), location, skipped)
    decision = _deny(location, hits, participant, platform)
    return Decision(
        decision.outcome,
        decision.orders,
        location,
        tuple(sorted((*decision.skipped, *skipped), key=lambda s: s.order)),
    )


def _exempted(order: ActiveOrder, participant: str | None, platform: str | None) -> bool:
    if participant is None:
        return False
    return participant in order.exempt or (
        platform is not None and (platform, participant) in order.exempt_on
    )


def _deny(
    location: Location,
    hits: tuple[ActiveOrder, ...],
    participant: str | None,
    platform: str | None,
) -> Decision:
    deciding = {o.id for o in hits if not _exempted(o, participant, platform)}
    exempted = tuple(Skipped(o, EXEMPT) for o in sorted({o.id for o in hits} - deciding))
    outcome: Outcome = "deny" if deciding else "allow"
    return Decision(outcome, tuple(sorted(deciding)), location, exempted)
