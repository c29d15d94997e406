"""Synthetic, plausible workloads: orders in many jurisdictions, addresses from many registries."""

from __future__ import annotations

import ipaddress
import random
from typing import TYPE_CHECKING

from remit.orders import Order
from remit.policy import ActiveOrder, Resource, Target

if TYPE_CHECKING:
    from remit.location import Locator

# Jurisdictions orders come from, with scopes a reviewer could set inside them.
JURISDICTIONS: list[tuple[str, list[frozenset[str]]]] = [
    ("CN", [frozenset({"CN"}), frozenset({"CN-BJ", "CN-SH"})]),
    ("RU", [frozenset({"RU"})]),
    ("TR", [frozenset({"TR"})]),
    ("IR", [frozenset({"IR"})]),
    ("IN", [frozenset({"IN"}), frozenset({"IN-DL"})]),
    ("BR", [frozenset({"BR"})]),
    ("DE", [frozenset({"DE"})]),
    ("EU", [frozenset({"EU"}), frozenset({"FR", "DE"})]),
    ("UA", [frozenset({"UA-43"}), frozenset({"UA"})]),
    ("US", [frozenset({"US-TX"})]),
    ("VN", [frozenset({"VN"})]),
    ("SA", [frozenset({"SA"})]),
    ("PK", [frozenset({"PK"})]),
    ("HK", [frozenset({"HK"})]),
]

# Prefixes of real allocations, so that IPv6 addresses resolve to countries as live ones would.
IPV6_PREFIXES = ["2001:da8::/32", "2400::/12", "2600::/12", "2a00::/12", "2800::/12", "2c00::/12"]


def make_orders(count: int, rng: random.Random) -> list[ActiveOrder]:
    """``count`` active orders, about 70% on meetings and 30% on every meeting of a host."""
    orders = []
    for n in range(count):
        jurisdiction, scopes = rng.choice(JURISDICTIONS)
        if rng.random() < 0.7:
            target = Target("meeting", f"meeting-{n}")
        else:
            target = Target("host", f"host-{n}")
        orders.append(ActiveOrder(f"order-{n}", jurisdiction, rng.choice(scopes), (target,)))
    return orders


def make_addresses(
    count: int, rng: random.Random, unplaced: float = 0.05, locator: Locator | None = None
) -> list[str]:
    """Addresses participants have: 70% IPv4, 25% IPv6, 5% IPv4-mapped IPv6.

    Each is drawn until ``locator`` (by default the registries' data alone) places it (a random
    IPv6 address inside a registry's /12 is almost never allocated, which no live participant's
    address is); then ``unplaced`` of them are replaced by private or unallocated addresses no
    source can place.
    """
    from remit.location import IptoccSource, Locator

    networks = [ipaddress.IPv6Network(p) for p in IPV6_PREFIXES]
    if locator is None:
        locator = Locator(ip_sources=[IptoccSource()], rule="first")

    def draw() -> str:
        roll = rng.random()
        v4 = ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24))
        if roll < 0.70:
            return str(v4)
        if roll < 0.95:
            net = rng.choice(networks)
            return str(net[rng.randrange(net.num_addresses)])
        return f"::ffff:{v4}"

    out = []
    for _ in range(count):
        if rng.random() < unplaced:
            out.append(str(ipaddress.IPv4Address(rng.randrange(10 << 24, 11 << 24))))
            continue
        for _attempt in range(200):
            address = draw()
            if locator.locate_ip(address).known:
                break
        out.append(address)
    return out


def make_resources(
    count: int, orders: int, rng: random.Random, live: int = 20_000
) -> list[Resource]:
    """``count`` joins spread over ``live`` meetings in progress, half of them targeted.

    A targeted meeting is one some order names directly or through its host; the other half are
    meetings no order touches. Joins concentrate on the meetings in progress, as they do live.
    """
    meetings = []
    for n in range(live):
        k = rng.randrange(orders) if orders else n
        if n % 2 == 0 and orders:
            meetings.append(Resource("meeting", f"meeting-{k}", f"host-{k}"))
        else:
            meetings.append(Resource("meeting", f"other-{n}", f"other-host-{n}"))
    return [rng.choice(meetings) for _ in range(count)]


def make_domain_orders(count: int, rng: random.Random) -> list[Order]:
    """``count`` approved, active orders as the store holds them (recorded, then approved)."""
    from datetime import UTC, datetime

    from remit import orders as lifecycle

    now = datetime.now(UTC)
    out = []
    for active in make_orders(count, rng):
        recorded = lifecycle.record(
            id=active.id,
            type=lifecycle.OrderType.COURT_ORDER,
            authority=lifecycle.Authority(
                "Bench court", lifecycle.AuthorityKind.COURT, active.jurisdiction
            ),
            legal_basis="benchmark",
            case_id=None,
            received_at=now,
            request=lifecycle.Request(
                "benchmark", (lifecycle.RequestedAction.BLOCK_ACCESS,), ("*",)
            ),
            targets=active.targets,
            actor="bench-intake",
            now=now,
        )
        out.append(
            lifecycle.approve(
                recorded,
                actor="bench-reviewer",
                now=now,
                justification="benchmark",
                scope=active.scope,
            )
        )
    return out
