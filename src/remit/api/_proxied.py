"""A proxy's address given for everyone: remit notices, and says so once.

A conferencing server behind a reverse proxy that does not pass the client's address on (Jitsi
Meet's Debian nginx example has no ``X-Forwarded-For`` on ``/xmpp-websocket``, its default
transport) tells remit the proxy's address for every join: a loopback or private address that no
location source places. Every such participant is then unknown, and invariant 1 keeps remit from
touching anyone unknown: enforcement would stop without a sound. remit sees every join, so it
watches for the symptom here, where all of a platform's joins pass: :data:`JOINS` joins of
:data:`PEOPLE` different participants from one reserved address that places no one. It logs a
warning once per platform and address, and changes no decision.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from weakref import WeakKeyDictionary

from remit.errors import InvalidAddress
from remit.location import Location, is_reserved, parse_address

__all__ = ["JOINS", "PEOPLE", "ProxySymptom", "symptom_of"]

log = logging.getLogger("remit.api")

#: Joins from one unplaced reserved address before remit says it is a proxy's.
JOINS = 5
#: Different participants among them (one person rejoining from their own machine is not it).
PEOPLE = 3
#: Addresses followed at once per node; the oldest is dropped past it.
TRACKED = 1024


class ProxySymptom:
    """Counts a node's joins from reserved addresses that no source places, by platform."""

    def __init__(self, joins: int = JOINS, people: int = PEOPLE, tracked: int = TRACKED) -> None:
        self.joins, self.people, self.tracked = joins, people, tracked
        self._seen: dict[tuple[str, str], tuple[int, set[str]]] = {}
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def observe(self, platform: str, ip: str | None, location: Location, participant: str) -> bool:
        """Note one join; True when this join completes the symptom (and the warning is logged)."""
        if ip is None or location.known:
            return False
        try:
            address = parse_address(ip)
        except InvalidAddress:
            return False
        if not is_reserved(address):
            return False
        key = (platform, address.text)
        with self._lock:
            if key in self._warned:
                return False
            count, people = self._seen.pop(key, (0, set()))
            if len(self._seen) >= self.tracked:
                self._seen.pop(next(iter(self._seen)))
            if len(people) < self.people:
                people.add(participant)
            count += 1
            if count < self.joins or len(people) < self.people:
                self._seen[key] = (count, people)
                return False
            self._warned.add(key)
        log.warning(
            "platform %s: %d joins by %d different participants all came from %s, a %s address "
            "that no location source places: remit is being given the address of a proxy in "
            "front of the platform's server instead of the participants' own, so every one of "
            "them is unknown and no order is enforced on them. Make the proxy pass the client's "
            "address on every path it serves (X-Forwarded-For: Jitsi Meet's nginx example lacks "
            "it on /xmpp-websocket) and the server believe it from the proxy (Prosody's "
            "trusted_proxies); see docs/connectors/jitsi.md",
            platform,
            count,
            len(people),
            address.text,
            _kind(address.text),
        )
        return True


def _kind(text: str) -> str:
    found = ipaddress.ip_address(text)
    if found.is_loopback:
        return "loopback"
    return "private" if found.is_private else "reserved"


_BY_NODE: WeakKeyDictionary[object, ProxySymptom] = WeakKeyDictionary()
_BY_NODE_LOCK = threading.Lock()


def symptom_of(node: object) -> ProxySymptom:
    """The watch kept for one node (made on first use)."""
    with _BY_NODE_LOCK:
        found = _BY_NODE.get(node)
        if found is None:
            found = _BY_NODE[node] = ProxySymptom()
        return found
