"""From a participant's signals to one :class:`Location`: the :class:`Locator`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from remit.errors import InvalidConfiguration
from remit.location._address import IPAddress, is_reserved, parse_address
from remit.location._agreement import agreed, answer, first_answer, usable
from remit.location._dbip import DbipSource
from remit.location._edge import TrustedProxies
from remit.location._health import DEFAULT_MAX_AGE_DAYS, SourceStatus, statuses
from remit.location._model import UNKNOWN, Answer, Location
from remit.location._paths import Link, agree_path, asker, first_path
from remit.location._phone import locate_phone
from remit.location._settings import check_precedence, check_quorum, check_rule, from_settings
from remit.location._sources import IPSource, IptoccSource, Place
from remit.location._transition import Transitions

__all__ = ["SIGNALS", "Locator"]

#: The kinds of signal that are evidence of where a participant is.
SIGNALS = ("ip", "phone")

log = logging.getLogger("remit.location")

_Key = tuple[Place | None, ...]


class Locator:
    """Resolves a participant's signals to a :class:`Location`, with the evidence for it.

    Two kinds of signal are evidence of where a participant is: ``ip``, the address they connect
    from, and ``phone``, the number they dial in from. A country the participant declares, or the
    country of their billing address, is never evidence: anyone can claim any country, and remit
    acts on a participant only where their location is established.

    ``ip_sources`` are the sources of IP location; by default DB-IP's geolocation data
    (:class:`DbipSource`) and the registries' allocation data (:class:`IptoccSource`), two
    independent data sets that ship inside remit's dependencies. ``rule`` says how their answers
    become one location:

    - ``agree`` (the default): a participant is placed in a country only when every source that
      answers places them there and at least ``quorum`` independent sources (of distinct
      families) answer; the same holds for a subdivision among the sources that give one.
      Otherwise the location is unknown for enforcement (source ``disputed``) and says why. The
      sources that may place reserved addresses (the operator's :class:`StaticSource`) are an
      override: when one places the address, it wins. ``quorum`` defaults to 2, or to the number
      of independent sources when fewer are configured.
    - ``first``: the sources are asked in order, and the first usable answer wins.

    An address in :data:`~remit.location.RESERVED_NETWORKS` (private, loopback, CGNAT,
    documentation, multicast, …) is not the address of one place: only the sources that declare
    ``places_reserved`` are asked about it. A NAT64 (the well-known prefix and
    ``nat64_prefixes``), 6to4 or Teredo address is placed by the IPv4 address it carries. Answers
    are checked against :mod:`remit.jurisdictions` first (see :func:`usable
    <remit.location._agreement.usable>`): ``EU`` or ``CN-HK`` is no answer.

    ``precedence`` orders the signals for :meth:`locate`, by default ``("ip", "phone")``: where
    the participant connects from, else where they dial in from. For a participant who dials in,
    give their number and not the address of the telephony gateway. ``trusted_proxies`` are the
    networks of the operator's proxies, for :meth:`client_ip`. Data older than ``max_age_days``
    is reported by :meth:`sources` and logged as a warning.

    Locations are shared: the same answers return the same instance, so the evidence costs
    nothing per join. :meth:`refresh` picks up database files replaced on disk; :meth:`watch`
    does so every few seconds in a thread.
    """

    def __init__(
        self,
        *,
        ip_sources: Iterable[IPSource] | None = None,
        rule: str = "agree",
        quorum: int | None = None,
        precedence: Sequence[str] = ("ip", "phone"),
        trusted_proxies: Iterable[str] = (),
        nat64_prefixes: Iterable[str] = (),
        max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    ) -> None:
        """A locator over ``ip_sources`` (by default DB-IP's and the registries' data)."""
        sources = (DbipSource(), IptoccSource()) if ip_sources is None else tuple(ip_sources)
        if not sources:
            raise InvalidConfiguration(
                "ip_sources: empty; give at least one source", field="ip_sources"
            )
        names = [source.name for source in sources]
        if len(set(names)) != len(names):
            raise InvalidConfiguration(f"ip_sources: {names} repeats a name", field="ip_sources")
        self._sources = sources
        self._rule = check_rule(rule)
        self._overrides = tuple(s for s in sources if s.places_reserved)
        self._public = tuple(s for s in sources if not s.places_reserved)
        self._families = tuple(s.family for s in self._public)
        self._quorum = check_quorum(quorum, len(set(self._families)))
        self._precedence = check_precedence(precedence)
        self._proxies = TrustedProxies(trusted_proxies)
        self._transitions = Transitions(nat64_prefixes)
        self._operator_prefixes = self._transitions.operator
        self._max_age_days = max_age_days
        self._ask = asker(tuple(s.lookup for s in self._public))
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._watcher: threading.Thread | None = None
        self._warned: set[tuple[str, str]] = set()
        self._reset()
        self.check_ages()

    @classmethod
    def from_settings(cls, **settings: Any) -> Locator:
        """A locator built from settings: sources by name, rule, quorum, … (see
        :func:`remit.location._settings.from_settings`, which checks each one)."""
        return from_settings(cls, **settings)

    @property
    def ip_sources(self) -> tuple[IPSource, ...]:
        """The IP sources, in the configured order."""
        return self._sources

    @property
    def rule(self) -> str:
        """``agree`` or ``first``."""
        return self._rule

    @property
    def quorum(self) -> int:
        """Under ``agree``, how many independent sources must answer (and agree)."""
        return self._quorum

    @property
    def precedence(self) -> tuple[str, ...]:
        """The signal kinds, in the order :meth:`locate` uses them."""
        return self._precedence

    @property
    def trusted_proxies(self) -> TrustedProxies:
        """The proxies whose ``X-Forwarded-For`` entries are believed."""
        return self._proxies

    @property
    def nat64_prefixes(self) -> tuple[str, ...]:
        """The NAT64 prefixes read, the well-known ``64:ff9b::/96`` first."""
        return self._transitions.nat64_prefixes

    def locate_ip(self, ip: str) -> Location:
        """The location of the address ``ip``; :data:`UNKNOWN` when no source places it.

        An invalid address is an :class:`~remit.errors.InvalidAddress` with field ``ip``.
        """
        address = parse_address(ip)
        if is_reserved(address) or self._operator_prefixes:
            return self._special(address)
        return self._public_path(address)

    def locate_phone(self, number: str) -> Location:
        """The location of the dial-in number ``number`` (see :func:`locate_phone`)."""
        return locate_phone(number)

    def evidence(
        self, ip: str | None = None, phone: str | None = None
    ) -> tuple[tuple[str, Location], ...]:
        """Each signal given (not None) and in the precedence, in that order, with its location.

        Every signal given is parsed, so an invalid one is an error whatever the others say:
        :class:`~remit.errors.InvalidAddress` (field ``ip``) or
        :class:`~remit.errors.InvalidPhoneNumber` (field ``phone``). A signal whose kind is not in
        the precedence is ignored.
        """
        found: list[tuple[str, Location]] = []
        for kind in self._precedence:
            if kind == "ip" and ip is not None:
                found.append(("ip", self.locate_ip(ip)))
            elif kind == "phone" and phone is not None:
                found.append(("phone", locate_phone(phone)))
        return tuple(found)

    def locate(self, ip: str | None = None, phone: str | None = None) -> Location:
        """The location from the first signal, in precedence order, that places the participant.

        A signal that does not place the participant (a private address, IP sources that
        disagree, a non-geographic number) gives way to the next; when none places the
        participant, the location is that of the first signal given (so a dispute is kept as
        evidence), or :data:`UNKNOWN`. Errors are those of :meth:`evidence`.
        """
        if phone is None and self._precedence[0] == "ip":  # the common case, kept short
            return UNKNOWN if ip is None else self.locate_ip(ip)
        found = self.evidence(ip, phone)
        for _, location in found:
            if location.country is not None:
                return location
        return found[0][1] if found else UNKNOWN

    def explain(self, ip: str) -> tuple[Location, tuple[Answer, ...]]:
        """The location of ``ip`` and every source's answer about it, each source asked.

        For ``remit locate --explain``: unlike a Location's evidence under ``first`` (the sources
        asked until one answered), this asks every source, the overrides too.
        """
        location = self.locate_ip(ip)
        address = parse_address(ip)
        found = self._transitions.embedded(address) if address.version == 6 else None
        if found is not None:
            address = found[0]
        reserved = is_reserved(address)
        answers = tuple(
            answer(s.name, usable(s.lookup(address)), _iso(s.data_date))
            if s.places_reserved or not reserved
            else answer(s.name, None, _iso(s.data_date))
            for s in self._sources
        )
        return location, answers

    def sources(self, today: date | None = None) -> tuple[SourceStatus, ...]:
        """Each source's name, family, data date and age, and what is wrong with it, if anything."""
        return statuses(self._sources, self._max_age_days, today)

    def check_ages(self, today: date | None = None) -> tuple[str, ...]:
        """Log a warning, once per source and data date, for data too old or of unknown date."""
        warnings = []
        for status in self.sources(today):
            key = (status.name, str(status.data_date))
            if status.warning is not None and key not in self._warned:
                self._warned.add(key)
                log.warning("location source %s", status.warning)
                warnings.append(status.warning)
        return tuple(warnings)

    def refresh(self) -> tuple[str, ...]:
        """Let each source pick up replaced data (a database renamed over its file); what changed.

        A source whose new data failed its checks keeps the old data and says so (a warning in
        the log, and in :meth:`sources`). Locations made from the old data are dropped.
        """
        messages: list[str] = []
        changed = False
        with self._lock:
            for source in self._sources:
                refresh: Callable[[], str | None] | None = getattr(source, "refresh", None)
                message = refresh() if callable(refresh) else None
                if message is None:
                    continue
                messages.append(message)
                problem = getattr(source, "problem", None)
                if problem is None:
                    changed = True
                    log.info("location source %s", message)
                else:
                    log.warning("location source %s: %s", source.name, message)
            if changed:
                self._reset()
        if changed:
            self.check_ages()
        return tuple(messages)

    def watch(self, seconds: float = 10.0) -> None:
        """Call :meth:`refresh` every ``seconds`` in a daemon thread, until :meth:`close`."""
        if self._watcher is not None:
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    self.refresh()
                    self.check_ages()
                except Exception:  # never let the watcher die silently
                    log.exception("refreshing the location sources failed")

        self._stop = stop
        self._watcher = threading.Thread(target=loop, name="remit-location-watch", daemon=True)
        self._watcher.start()

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address behind the trusted proxies (:meth:`TrustedProxies.client_ip`)."""
        return self._proxies.client_ip(peer, forwarded_for)

    def close(self) -> None:
        """Stop :meth:`watch`, and close the sources that hold files open."""
        if self._stop is not None and self._watcher is not None:
            self._stop.set()
            self._watcher.join()
            self._stop = self._watcher = None
        for source in self._sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()

    def __repr__(self) -> str:
        names = ", ".join(source.name for source in self._sources)
        return (
            f"<Locator sources=[{names}] rule={self._rule} quorum={self._quorum} "
            f"precedence={list(self._precedence)}>"
        )

    # The hot paths. Each kind of answer is made into a Location once and kept.

    def _reset(self) -> None:
        """Forget the Locations made so far (the data changed)."""
        self._dates = {s.name: _iso(s.data_date) for s in self._sources}
        self._agreed: dict[_Key, Location] = {}
        self._overridden: dict[tuple[str, Place, _Key | None], Location] = {}
        self._carried: dict[tuple[int, str], tuple[Location, Location]] = {}
        links: list[Link] = [(s.lookup, s.name, {}) for s in self._sources]
        self._chain = tuple(links)
        self._reserved_chain = tuple(
            link for link, s in zip(links, self._sources, strict=True) if s.places_reserved
        )
        self._asked = tuple(s.name for s in self._sources)
        self._reserved_path = first_path(self._reserved_chain, self._first_location)
        if self._rule == "first":
            self._public_path = first_path(self._chain, self._first_location)
        elif self._overrides:
            self._public_path = self._agree
        else:
            self._public_path = agree_path(self._public, self._agreed, self._resolve)

    def _agree(self, address: IPAddress) -> Location:
        for source in self._overrides:
            place = source.lookup(address)
            if place is not None:
                return self._override(source.name, place, address)
        key = self._ask(address)
        location = self._agreed.get(key)
        if location is None:
            location = self._agreed.setdefault(key, self._resolve(key))
        return location

    def _resolve(self, key: _Key) -> Location:
        return agreed(self._answers(key), self._families, self._quorum)

    def _answers(self, key: _Key) -> tuple[Answer, ...]:
        dates = self._dates
        return tuple(
            answer(s.name, usable(place), dates[s.name])
            for s, place in zip(self._public, key, strict=True)
        )

    def _override(self, name: str, place: Place, address: IPAddress | None) -> Location:
        """The override ``name`` placed the address; the public sources' answers (if the address
        is public) are kept beside it as evidence."""
        key = None if address is None else self._ask(address)
        location = self._overridden.get((name, place, key))
        if location is None:
            checked = usable(place)
            own = None if checked is None else answer(name, checked, self._dates[name])
            if key is None:
                made = UNKNOWN if own is None else agreed((), (), self._quorum, override=own)
            else:
                made = agreed(self._answers(key), self._families, self._quorum, override=own)
            location = self._overridden.setdefault((name, place, key), made)
        return location

    def _first_location(self, name: str, place: Place) -> Location:
        """Under ``first``: ``name`` answered ``place``; the sources before it said nothing."""
        before = self._asked[: self._asked.index(name)]
        silent = tuple(answer(n, None, self._dates[n]) for n in before)
        return first_answer((*silent, answer(name, usable(place), self._dates[name])))

    def _special(self, address: IPAddress) -> Location:
        """A reserved address (or any, when the operator has NAT64 prefixes of their own)."""
        found = self._transitions.embedded(address)
        if found is None:
            if not is_reserved(address):
                return self._public_path(address)
            if self._rule == "agree":
                for source in self._overrides:
                    place = source.lookup(address)
                    if place is not None:
                        return self._override(source.name, place, None)
                return UNKNOWN
            return self._reserved_path(address)
        inner, how = found
        location = self._special(inner) if is_reserved(inner) else self._public_path(inner)
        if location is UNKNOWN:
            return UNKNOWN
        kept = self._carried.get((id(location), how))
        if kept is None or kept[0] is not location:
            carried = replace(location, embedded=how)
            kept = self._carried.setdefault((id(location), how), (location, carried))
        return kept[1]


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
