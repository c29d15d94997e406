"""The live view: meetings with their participants by country, and the outbox's deliveries.

The page renders the panel once, then keeps it current over server-sent events: every second
the server reads the roster and the outbox from the database (so it sees what any node did),
and sends the panel again when it changed. The browser swaps it in without a reload. A stream
ends after ``sse_seconds`` and the browser reconnects by itself, so no connection outlives a
deployment or keeps the server from stopping.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from remit._urls import redact_urls
from remit.api import Node, enforcer_of
from remit.console._auth import Viewer, require
from remit.console._web import SECURITY_HEADERS, Console
from remit.enforcement import REFUSED, REMOVE, Command, CommandStatus, SessionStatus

#: Ended sessions stay on the live view this long, so a removal can be seen.
RECENT = timedelta(hours=24)
MAX_COMMANDS = 200
#: The live view is for staff: those who may read orders (not platforms, which see only their own
#: commands through the API).
LIVE = "/v1/orders"


@dataclass(frozen=True)
class Person:
    """One participant in one meeting, as the live view shows them."""

    participant: str
    country: str
    subdivision: str | None
    status: str  # live | removing | removed | removal_failed
    source: str


@dataclass(frozen=True)
class Meeting:
    """A resource with its participants, and how many of each country are in it or removed."""

    platform: str
    type: str
    id: str
    host: str | None
    people: tuple[Person, ...]
    by_country: tuple[tuple[str, int, int], ...]  # (country, in the meeting, removal ordered)
    #: Removals ordered where every IP source that answered agreed on the place.
    removed_on_agreement: int = 0
    #: Participants in the meeting whom the IP sources placed in different countries.
    disputed: int = 0


@dataclass(frozen=True)
class Snapshot:
    """What the live panel shows at one moment."""

    meetings: tuple[Meeting, ...]
    commands: tuple[Command, ...]
    counts: dict[str, int]
    #: Today's (UTC) joins refused and participants removed, from the store: not yet public.
    today: dict[str, int] = field(default_factory=dict)


def _status(session: SessionStatus, removal: CommandStatus | None) -> str | None:
    """What the live view says of a session: None (it left on its own) or its state.

    A removal is ordered when remit enqueues the command; the session stays live on the roster
    until the platform reports it gone, so the command's delivery status says how far it got.
    """
    if removal is None:
        return None if session is SessionStatus.LEFT else session.value
    return {
        CommandStatus.PENDING: "removing",
        CommandStatus.DELIVERED: "removed",
        CommandStatus.FAILED: "removal_failed",
    }[removal]


def _shown(command: Command) -> Command:
    """The command as the page shows it: no URL in its error with credentials or a query."""
    if command.last_error is None:
        return command
    return replace(command, last_error=redact_urls(command.last_error))


def snapshot(node: Node) -> Snapshot:
    """Read the roster and the outbox now."""
    store = enforcer_of(node).store
    commands = store.list_commands(limit=MAX_COMMANDS)
    live = store.live_sessions()
    resources = {s.resource.id for s in live}
    resources |= {
        str(c.data["resource"]["id"])
        for c in commands
        if isinstance(c.data.get("resource"), dict) and "id" in c.data["resource"]
    }
    sessions = store.sessions_of(sorted(resources), [], node.clock() - RECENT) if resources else []
    removals = {c.session_id: c.status for c in commands if c.type == REMOVE and c.session_id}
    grouped: dict[tuple[str, str, str, str | None], list[Person]] = {}
    for s in sorted(sessions, key=lambda s: (s.joined_at, s.id)):
        status = _status(s.status, removals.get(s.id))
        if status is None:
            continue
        key = (s.platform, s.resource.type, s.resource.id, s.resource.host)
        country = s.location.country or "??"
        person = Person(s.participant, country, s.location.subdivision, status, s.location.source)
        grouped.setdefault(key, []).append(person)
    meetings = []
    for (platform, kind, ident, host), people in sorted(grouped.items(), key=lambda i: i[0]):
        live_by = Counter(p.country for p in people if p.status == "live")
        removed_by = Counter(p.country for p in people if p.status != "live")
        countries = sorted(set(live_by) | set(removed_by))
        by_country = tuple((c, live_by[c], removed_by[c]) for c in countries)
        agreed = sum(p.status != "live" and p.source == "agree" for p in people)
        disputed = sum(p.status == "live" and p.source == "disputed" for p in people)
        meetings.append(
            Meeting(platform, kind, ident, host, tuple(people), by_country, agreed, disputed)
        )
    counts = Counter(c.status.value for c in commands)
    since = datetime.combine(node.clock().astimezone(UTC).date(), clock_time.min, tzinfo=UTC)
    today = Counter(
        c.type for c in store.commands_between(since, since + timedelta(days=1), [REMOVE, REFUSED])
    )
    return Snapshot(
        tuple(meetings),
        tuple(_shown(c) for c in commands),
        {status.value: counts[status.value] for status in CommandStatus},
        {"refused": today[REFUSED], "removed": today[REMOVE]},
    )


def _panel(console: Console, request: Request, viewer: Viewer, shot: Snapshot) -> str:
    response = console.render(request, viewer, "live_panel.html", {"shot": shot})
    return bytes(response.body).decode("utf-8")


async def live_page(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", LIVE)
    shot = await run_in_threadpool(snapshot, console.node)
    context = {"panel": _panel(console, request, viewer, shot)}
    return console.render(request, viewer, "live.html", context)


async def live_panel(console: Console, request: Request) -> Response:
    """The panel alone: what each event carries, for a browser without EventSource."""
    viewer = require(await console.sessions.viewer(request), "GET", LIVE)
    shot = await run_in_threadpool(snapshot, console.node)
    return console.render(request, viewer, "live_panel.html", {"shot": shot})


def event(name: str, data: str) -> str:
    """One server-sent event: every line of ``data`` gets its own ``data:`` field."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


async def live_events(console: Console, request: Request) -> Response:
    viewer = require(await console.sessions.viewer(request), "GET", LIVE)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        last = ""
        ends = time.monotonic() + console.sse_seconds
        while time.monotonic() < ends:
            if await console.sessions.viewer(request) is None:  # signed out or expired
                yield event("signedout", "")
                return
            shot = await run_in_threadpool(snapshot, console.node)
            panel = _panel(console, request, viewer, shot)
            if panel != last:
                last = panel
                yield event("roster", panel)
            await asyncio.sleep(console.sse_interval)

    headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
