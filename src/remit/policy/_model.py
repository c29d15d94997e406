"""The values the decision engine works on: resources, targets, active orders and decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from remit import jurisdictions
from remit.errors import InvalidInput, InvalidOrder
from remit.location import Location

#: The target type meaning "every resource hosted by this account" (never the account itself).
HOST = "host"

#: A target's platform meaning "the same id on every platform" (what orders recorded before
#: targets named their platform read as).
ANY_PLATFORM = "*"

#: Target types that would act on an account, not on resources: refused by invariant 2
#: (docs/design.md).
ACCOUNT_TYPES = frozenset({"account", "user"})

Outcome = Literal["allow", "deny"]

_MAX_ID = 512


def _check_id(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise InvalidInput(
            f"{field_name}: must be a non-empty string of at most {_MAX_ID} characters",
            field=field_name,
        )
    return value


#: Types already found well formed: a node's start checks the same few types 100,000 times.
_good_types: set[str] = set()


def _check_type(value: object, field_name: str) -> str:
    if type(value) is str and value in _good_types:
        return value
    text = _check_id(value, field_name)
    if not text.replace("_", "").replace("-", "").isalnum() or not text.islower():
        raise InvalidInput(
            f"{field_name}: {text!r} must be lower-case letters, digits, '-' or '_'",
            field=field_name,
        )
    if len(_good_types) < 1000:
        _good_types.add(text)
    return text


@dataclass(frozen=True, slots=True)
class Resource:
    """What a participant wants to enter: a meeting first, or any platform resource by type."""

    type: str
    id: str
    host: str | None = None

    def __post_init__(self) -> None:
        _check_type(self.type, "resource.type")
        if self.type == HOST:
            raise InvalidInput(
                "resource.type: 'host' names a target, not a resource", field="resource.type"
            )
        _check_id(self.id, "resource.id")
        if self.host is not None:
            _check_id(self.host, "resource.host")


@dataclass(frozen=True, slots=True)
class Target:
    """What an order is about: a resource by (type, id), or ``host``: every resource of an account,
    on one platform (``platform``, the name it is registered under), or on every platform
    (:data:`ANY_PLATFORM`, ``"*"``: the same id wherever it appears). Two platforms' ids are
    unrelated, so a target on one never reaches the other's resources.

    A target never names the account itself.
    """

    type: str
    id: str
    platform: str = ANY_PLATFORM

    def __post_init__(self) -> None:
        _check_id(self.platform, "target.platform")
        _check_type(self.type, "target.type")
        if self.type in ACCOUNT_TYPES:
            raise InvalidOrder(
                f"target.type: {self.type!r} would act on an account; remit never suspends, "
                "deletes or disables an account on a government demand. Use 'host' to make the "
                "account's meetings unavailable inside the scope",
                field="target.type",
            )
        _check_id(self.id, "target.id")


@dataclass(frozen=True, slots=True)
class ActiveOrder:
    """An approved order in force: what the decision engine needs to know of it.

    ``scope`` is the set of jurisdiction codes where it is enforced; it must lie inside
    ``jurisdiction`` (the authority's), and is refused otherwise: construction is the check that
    keeps the writ inside the border (invariant 1 of docs/design.md). ``exempt`` holds participant
    ids an appeal released from this order on every platform, ``exempt_on`` (platform,
    participant) pairs an appeal released on one platform.
    """

    id: str
    jurisdiction: str
    scope: frozenset[str]
    targets: tuple[Target, ...]
    exempt: frozenset[str] = frozenset()
    exempt_on: frozenset[tuple[str, str]] = frozenset()
    #: The places (countries and subdivisions) the scope covers, groups expanded.
    places: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "order.id")
        if not self.targets:
            raise InvalidOrder("targets: an order names at least one target", field="targets")
        places = jurisdictions.scope_places(self.scope, self.jurisdiction)
        object.__setattr__(self, "places", places)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An order that applies to the resource but did not decide, and why."""

    order: str
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one participant and one resource.

    ``orders`` names every order that decided a deny; an allow names none. ``skipped`` names the
    orders that target the resource but were not applied (location unknown, an appeal's
    exemption), so that no decision is silent (invariant 4 of docs/design.md).
    """

    outcome: Outcome
    orders: tuple[str, ...]
    location: Location
    skipped: tuple[Skipped, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the participant may enter."""
        return self.outcome == "allow"

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by the CLI and the API."""
        return {
            "decision": self.outcome,
            "orders": list(self.orders),
            "location": self.location.to_dict(),
            "skipped": [{"order": s.order, "reason": s.reason} for s in self.skipped],
        }
