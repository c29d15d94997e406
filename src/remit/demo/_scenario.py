"""A demo scenario: a readable data file (TOML, or JSON of the same shape), read and checked.

Every problem with a file is one :class:`~remit.errors.InvalidConfiguration` whose message names
the file and the place in it (``roster.participants[3].meeting: …``), so ``remit demo FILE``
ends with one line and exit 2. The shape is the one of ``story-2020.toml``, which ships with
remit and is the default.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from remit import jurisdictions, orders
from remit.errors import InvalidConfiguration, RemitError
from remit.location import Location, Locator, StaticSource

#: The scenario remit demo plays when no FILE is given.
DEFAULT_SCENARIO = "story-2020.toml"


@dataclass(frozen=True)
class Host:
    """A host account of the platform."""

    id: str
    name: str
    country: str


@dataclass(frozen=True)
class Meeting:
    """A meeting on the platform, hosted by one account."""

    id: str
    title: str
    host: str


@dataclass(frozen=True)
class Participant:
    """Someone in a meeting: where they connect from (address or dial-in number) and language."""

    id: str
    meeting: str
    ip: str | None
    phone: str | None
    language: str | None

    @property
    def signal(self) -> str:
        return self.ip if self.ip is not None else f"tel {self.phone}"


@dataclass(frozen=True)
class Scenario:
    """Everything ``remit demo`` plays, checked."""

    source: str
    title: str
    about: str
    recorder: str
    approver: str
    platform: str
    places: dict[str, str]
    hosts: tuple[Host, ...]
    meetings: tuple[Meeting, ...]
    participants: tuple[Participant, ...]
    late: tuple[Participant, ...]
    #: The demand as received: the JSON body of ``POST /v1/orders``.
    demand: dict[str, Any]
    #: The approval: the JSON body of ``POST /v1/orders/{id}/approve``.
    approval: dict[str, Any]
    #: The scope approval enforces (the authority's jurisdiction unless the approval narrows it).
    scope: tuple[str, ...]

    def meeting(self, meeting_id: str) -> Meeting:
        return next(m for m in self.meetings if m.id == meeting_id)

    def targeted(self, meeting: Meeting) -> bool:
        """Whether the demand names this meeting, or its host's account."""
        for target in self.demand["targets"]:
            if (target["type"], target["id"]) in {("meeting", meeting.id), ("host", meeting.host)}:
                return True
        return False

    def in_scope(self, location: Location) -> bool:
        """Whether a participant at ``location`` lies inside the enforced scope."""
        places = [p for p in (location.subdivision, location.country) if p]
        return any(jurisdictions.covers(code, place) for code in self.scope for place in places)


class _Problem(Exception):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Problem(where, "must be a table")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = table.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Problem(f"{where}{key}", "missing" if value is None else "must be non-empty text")
    return value


def _only(table: Mapping[str, Any], keys: set[str], where: str) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise _Problem(f"{where}{unknown[0]}", f"unknown key (known: {', '.join(sorted(keys))})")


def _list(table: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> list[Any]:
    value = table.get(key)
    if value is None and optional:
        return []
    if not isinstance(value, list) or not value:
        raise _Problem(f"{where}{key}", "missing" if value is None else "must be a non-empty list")
    return value


def _plain(value: Any) -> Any:
    """TOML's dates and times as JSON takes them (RFC 3339 text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _read(path: Path) -> Mapping[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _Problem("file", f"cannot read it ({exc.strerror})") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _Problem("file", "is not UTF-8 text") from exc
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise _Problem("file", f"is not valid {kind} ({exc})") from exc
    return _table(data, "file")


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and check a scenario file (the shipped story when ``path`` is None)."""
    if path is None:
        shipped = resources.files("remit.demo").joinpath(DEFAULT_SCENARIO)
        with resources.as_file(shipped) as found:
            return _load(Path(found), DEFAULT_SCENARIO)
    return _load(Path(path), str(path))


def _load(path: Path, label: str) -> Scenario:
    try:
        return _scenario(_read(path), label)
    except _Problem as exc:
        raise InvalidConfiguration(f"scenario {label}: {exc}", field="scenario") from exc


def _scenario(data: Mapping[str, Any], label: str) -> Scenario:
    _only(data, {"title", "about", "people", "places", "hosts", "meetings", "roster", "demand",
                 "approval"}, "")  # fmt: skip
    people = _table(data.get("people"), "people")
    _only(people, {"recorder", "approver", "platform"}, "people.")
    recorder = _text(people, "recorder", "people.")
    approver = _text(people, "approver", "people.")
    platform = _text(people, "platform", "people.")
    if recorder == approver:
        raise _Problem("people.approver", "must be another person than the recorder (four eyes)")
    if platform in (recorder, approver):
        raise _Problem("people.platform", "must be another name than the people's")

    places = dict(_table(data.get("places", {}), "places"))
    try:
        StaticSource(places)
    except RemitError as exc:
        raise _Problem("places", exc.message.removeprefix("static_table ")) from exc

    hosts = []
    for n, raw in enumerate(_list(data, "hosts", "")):
        where = f"hosts[{n}]."
        table = _table(raw, where[:-1])
        _only(table, {"id", "name", "country"}, where)
        country = _text(table, "country", where)
        if not jurisdictions.is_known(country):
            raise _Problem(f"{where}country", f"{country!r} is not a country code")
        hosts.append(Host(_text(table, "id", where), _text(table, "name", where), country))
    _unique([h.id for h in hosts], "hosts", "host id")

    meetings = []
    host_ids = {h.id for h in hosts}
    for n, raw in enumerate(_list(data, "meetings", "")):
        where = f"meetings[{n}]."
        table = _table(raw, where[:-1])
        _only(table, {"id", "title", "host"}, where)
        meeting = Meeting(
            _text(table, "id", where), _text(table, "title", where), _text(table, "host", where)
        )
        if meeting.host not in host_ids:
            raise _Problem(f"{where}host", f"{meeting.host!r} is not one of the hosts")
        meetings.append(meeting)
    _unique([m.id for m in meetings], "meetings", "meeting id")

    locator = Locator(ip_sources=[StaticSource(places)])
    roster = _table(data.get("roster"), "roster")
    _only(roster, {"participants", "late"}, "roster.")
    meeting_ids = {m.id for m in meetings}
    participants = _participants(roster, "participants", meeting_ids, locator)
    late = _participants(roster, "late", meeting_ids, locator, optional=True)
    _unique([p.id for p in participants + late], "roster", "participant id")

    demand = _plain(dict(_table(data.get("demand"), "demand")))
    order = _demand(demand, recorder)
    approval = _plain(dict(_table(data.get("approval"), "approval")))
    _only(approval, {"justification", "scope", "checklist"}, "approval.")
    _text(approval, "justification", "approval.")
    scope = approval.get("scope")
    if scope is not None and (
        not isinstance(scope, list) or not scope or not all(isinstance(c, str) for c in scope)
    ):
        raise _Problem("approval.scope", "must be a non-empty list of jurisdiction codes")
    try:
        enforced = orders.enforced_scope(order, scope)
    except RemitError as exc:
        raise _Problem("approval.scope", exc.message.removeprefix("scope: ")) from exc
    checklist = _table(approval.get("checklist", {}), "approval.checklist")
    known = {"legal_basis_stated", "authority_competent", "written_and_signed",
             "targets_inside_jurisdiction", "overbroad", "gag_order_without_end_date"}  # fmt: skip
    _only(checklist, known, "approval.checklist.")
    for key, value in checklist.items():
        if not isinstance(value, bool):
            raise _Problem(f"approval.checklist.{key}", "must be true or false")

    return Scenario(
        source=label,
        title=_text(data, "title", ""),
        about=" ".join(str(data.get("about", "")).split()),
        recorder=recorder,
        approver=approver,
        platform=platform,
        places=places,
        hosts=tuple(hosts),
        meetings=tuple(meetings),
        participants=tuple(participants),
        late=tuple(late),
        demand=demand,
        approval=approval,
        scope=enforced,
    )


def _unique(ids: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise _Problem(where, f"the {what} {value!r} appears twice")
        seen.add(value)


def _participants(
    roster: Mapping[str, Any],
    key: str,
    meetings: set[str],
    locator: Locator,
    *,
    optional: bool = False,
) -> list[Participant]:
    found = []
    for n, raw in enumerate(_list(roster, key, "roster.", optional=optional)):
        where = f"roster.{key}[{n}]."
        table = _table(raw, where[:-1])
        _only(table, {"id", "meeting", "ip", "phone", "language"}, where)
        person = Participant(
            id=_text(table, "id", where),
            meeting=_text(table, "meeting", where),
            ip=_text(table, "ip", where, optional=True),
            phone=_text(table, "phone", where, optional=True),
            language=_text(table, "language", where, optional=True),
        )
        if person.meeting not in meetings:
            raise _Problem(f"{where}meeting", f"{person.meeting!r} is not one of the meetings")
        if (person.ip is None) == (person.phone is None):
            raise _Problem(where[:-1], "give one of ip or phone")
        try:
            locator.locate(ip=person.ip, phone=person.phone)
        except RemitError as exc:
            field = "ip" if person.ip is not None else "phone"
            raise _Problem(f"{where}{field}", exc.message) from exc
        found.append(person)
    return found


def _demand(demand: dict[str, Any], recorder: str) -> orders.Order:
    """The demand checked as ``POST /v1/orders`` checks it, so the server will take it."""
    from remit.api import OrderIn, order_in

    try:
        body = msgspec.convert(demand, OrderIn)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = "demand"
        if " - at `$" in text:
            text, _, path = text.partition(" - at `$")
            where += path.rstrip("`")
        raise _Problem(where, text) from exc
    try:
        kwargs, _ = order_in(body, order_id="scenario", actor=recorder)
        return orders.record(**kwargs, now=datetime.now(UTC))  # type: ignore[arg-type]
    except RemitError as exc:
        raise _Problem("demand", exc.message) from exc
