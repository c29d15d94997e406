"""The benchmark's rule set expressed in Cedar, for comparison: one forbid policy per order."""

from __future__ import annotations

import json
import time
from typing import Any

from remit.location import Location
from remit.policy import HOST, ActiveOrder, Resource

_PERMIT = 'permit(principal, action == Action::"join", resource);'


def _forbid(order: ActiveOrder) -> str:
    places = json.dumps(sorted(order.places))
    condition = f"{places}.contains(context.country) || {places}.contains(context.subdivision)"
    policies: list[str] = []
    for target in order.targets:
        if target.type == HOST:
            match = f"resource in Host::{json.dumps(target.id)}"
        else:
            match = f"resource == Resource::{json.dumps(f'{target.type}/{target.id}')}"
        policies.append(
            f'@id("{order.id}/{len(policies)}")\n'
            'forbid(principal, action == Action::"join", resource) '
            f"when {{ {match} && ({condition}) }};"
        )
    return "\n".join(policies)


class CedarRules:
    """Active orders as a parsed Cedar policy set. Raises ImportError without cedarpy."""

    def __init__(self, orders: list[ActiveOrder]) -> None:
        import cedarpy

        self._cedarpy: Any = cedarpy
        text = "\n".join([_PERMIT, *(_forbid(o) for o in orders)])
        started = time.perf_counter()
        self._policies = cedarpy.PolicySet.from_str(text)
        self.parse_s = time.perf_counter() - started

    def decide(self, location: Location, resource: Resource) -> str:
        """``allow`` or ``deny`` from Cedar, for the same inputs as ``PolicyIndex.decide``."""
        uid = {"type": "Resource", "id": f"{resource.type}/{resource.id}"}
        parents = [{"type": "Host", "id": resource.host}] if resource.host else []
        entities = [{"uid": uid, "attrs": {}, "parents": parents}]
        request = {
            "principal": 'Participant::"p"',
            "action": 'Action::"join"',
            "resource": uid,
            "context": {
                "country": location.country or "",
                "subdivision": location.subdivision or "",
            },
        }
        result = self._cedarpy.is_authorized(request, self._policies, entities)
        return "allow" if result.allowed else "deny"
