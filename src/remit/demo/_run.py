"""``remit demo``: the story of DESIGN.md, end to end, against a real ``remit serve``.

The platform is :class:`~remit.demo._platform.DemoPlatform`, an HTTP server in this process that
receives remit's webhooks. The steps up to the approval are :mod:`remit.demo._demand`'s; here
the order is in force: removals, rejoins refused, late arrivals, who stays, the outbox and the
transparency report, and the run ends with the checks of the invariants, which :func:`run_demo`
returns (the command exits 1 when any failed).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from remit.demo._demand import Demand
from remit.demo._harness import DemoResult, Echo, body_of, place_of
from remit.demo._scenario import Scenario
from remit.demo._tables import clip, table
from remit.enforcement import CommandType
from remit.store import upgrade

_WHAT = {
    CommandType.REMOVE: "sent to the platform: remove this participant, show them the notice",
    CommandType.HOST_NOTICE: "sent to the platform: the notice for the meeting's host",
    CommandType.READMIT: "sent to the platform: let this participant in again (an appeal)",
    CommandType.REFUSED: "a record of a refused join (its notice went out in the 451 answer)",
}


class _Demo(Demand):
    """The whole run: the steps before enforcement (:class:`Demand`), then these."""

    def run(self) -> DemoResult:
        s = self.s
        self.echo(f"remit demo: {s.title}")
        self.echo(f"scenario {s.source}")
        if s.about:
            self.para(s.about, 0)
        with ExitStack() as stack:
            self.step("remit starts, on SQLite in a temporary folder")
            upgrade(self.url)
            self.platform.start()
            stack.callback(self.platform.stop)
            self.create_people()
            client = stack.enter_context(self.serving())
            self.people()
            self.join_all(client)
            order_id = self.demand(client)
            impact = self.impact(client, order_id)
            self.four_eyes(client, order_id)
            started = self.approve(client, order_id)
            self.removals(client, order_id, started)
            self.rejoin(client)
            self.late(client)
            self.who_stays()
            self.outbox(client, order_id, impact)
            self.transparency(client)
        self.summary()
        return self.result

    def removals(self, client: httpx.Client, order_id: str, started: float) -> None:
        self.step("Removals, live: the platform receives signed webhooks and carries them out")
        reached = self.reached()
        sessions = {j.session_id for j in reached}
        meetings = {j.who.meeting for j in reached}
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            removed = {data.session_id for _, data in self.platform.removals()}
            noticed = {data.resource.id for _, data in self.platform.host_notices()}
            if sessions <= removed and meetings <= noticed:
                break
            time.sleep(0.02)
        got = self.platform.removals()
        got.sort(key=lambda r: (r[1].resource.id, r[1].participant.id))
        if got:
            self.result.seconds_to_remove = max(r.at for r, _ in got) - started
        by_session = {j.session_id: j for j in self.joined}
        rows = []
        for _, data in got:
            joined = by_session.get(data.session_id)
            rows.append(
                (data.resource.id, data.participant.id,
                 place_of(joined.location) if joined else "?", joined.who.signal if joined else "?",
                 data.notice.language, clip(data.notice.title, 44))
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "located", "signal", "notice", "title"], rows))
        took = self.result.seconds_to_remove
        self.echo(
            f"  {len(got)} {CommandType.REMOVE} webhooks"
            + ("" if took is None else f", the last {took:.2f} s after the approval")
            + f"; {self.platform.bad_signatures} failed verification"
        )
        hosts = [data for _, data in self.platform.host_notices()]
        hosts.sort(key=lambda h: h.resource.id)
        self.echo(f"  {len(hosts)} {CommandType.HOST_NOTICE} webhooks, one per affected meeting:")
        self.lines(
            table(
                ["meeting", "host", "removed here", "title"],
                [
                    (
                        h.resource.id,
                        h.host.id,
                        ", ".join(f"{c} {n}" for c, n in h.counts.items()),
                        clip(h.notice.title, 50),
                    )
                    for h in hosts
                ],
                4,
            )
        )
        english = next((data for _, data in got if data.notice.language == "en"), None)
        if english is not None:
            self.echo(f"  the notice {english.participant.id} sees (en):")
            self.para(english.notice.body, 4)
        if hosts:
            notice = hosts[0].notice
            self.echo(f"  the notice host {hosts[0].host.id} sees ({notice.language}):")
            self.para(notice.body, 4)

    def rejoin(self, client: httpx.Client) -> None:
        self.step("The removed participants try to rejoin (POST /v1/sessions)")
        removed_ids = {data.participant.id for _, data in self.platform.removals()}
        again = [j for j in self.joined if j.who.id in removed_ids]
        rows, answers = [], []
        for j in again:
            answer = self._join(client, j.who)
            answers.append(answer)
            authority = answer.body.get("authority", {})
            rows.append(
                (j.who.meeting, j.who.id, answer.status,
                 f"{authority.get('name', '-')} ({authority.get('jurisdiction', '-')})",
                 answer.body.get("language", "-"), clip(str(answer.body.get("title", "-")), 40))
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "answer", "blocked on demand of", "language",
                          "notice"], rows))  # fmt: skip
        shown = next((a for a in answers if a.body.get("language") == "zh-Hans"), None)
        shown = shown or (answers[0] if answers else None)
        if shown is not None and shown.status == 451:
            self.echo(
                f"  what {shown.who.id} is told ({shown.body.get('language')}, HTTP 451, RFC 7725):"
            )
            self.para(str(shown.body.get("detail", "")), 4)
        name = self.s.demand["authority"]["name"]
        self.check(
            "refused on rejoin: 451 naming the authority",
            bool(answers)
            and all(a.status == 451 and a.body.get("authority", {}).get("name") == name
                    for a in answers),
            f"{sum(a.status == 451 for a in answers)} of {len(answers)} refused",
        )  # fmt: skip

    def late(self, client: httpx.Client) -> None:
        if not self.s.late:
            return
        self.step("Late arrivals join while the order is in force")
        rows, right = [], 0
        for who in self.s.late:
            answer = self._join(client, who)
            self.late_joined.append(answer)
            reached = self.s.targeted(self.s.meeting(who.meeting)) and self.s.in_scope(
                answer.location
            )
            expected = 451 if reached else 201
            right += answer.status == expected
            rows.append(
                (who.meeting, who.id, who.signal, place_of(answer.location),
                 "201 admitted" if answer.status == 201 else f"{answer.status} refused")
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "signal", "located", "answer"], rows))
        self.check(
            f"late arrivals: refused inside {self.scope_label}, admitted elsewhere",
            right == len(self.s.late),
            f"{right} of {len(self.s.late)} as expected",
        )

    def who_stays(self) -> None:
        s = self.s
        self.step("Everyone else goes on with the meeting (the platform's own state)")
        rows = []
        for meeting in s.meetings:
            seats = self.platform.meetings.get(meeting.id, {})
            present = [seat for seat in seats.values() if seat.removed_by is None]
            where = {j.session_id: place_of(j.location) for j in self.joined + self.late_joined}
            places = Counter(where.get(seat.session_id, "?") for seat in present)
            rows.append(
                (meeting.id, meeting.host, len(seats), len(seats) - len(present), len(present),
                 ", ".join(f"{p} {n}" for p, n in places.most_common()))
            )  # fmt: skip
        self.lines(table(["meeting", "host", "joined", "removed", "still in", "still in, by place"],
                         rows))  # fmt: skip
        self.echo(
            "  accounts: " + ", ".join(f"{h} {st}" for h, st in self.platform.accounts.items())
        )

        reached = {j.session_id for j in self.reached()}
        seats = {
            seat.session_id: seat
            for meeting in self.platform.meetings.values()
            for seat in meeting.values()
        }
        removals: Counter[str | None] = Counter(d.session_id for _, d in self.platform.removals())
        in_scope = [j for j in self.joined if j.status == 201 and j.session_id in reached]
        others = [j for j in self.joined if j.status == 201 and j.session_id not in reached]
        wrong = [
            j.who.id
            for j in self.joined
            if removals[j.session_id] and not self.s.in_scope(j.location)
        ]
        self.check(
            f"every removed participant was located in {self.scope_label}",
            not wrong and not self.platform.strays and sum(removals.values()) > 0,
            f"{sum(removals.values())} removed"
            + (f"; outside: {', '.join(wrong)}" if wrong else "")
            + (f"; unknown sessions: {len(self.platform.strays)}" if self.platform.strays else ""),
        )
        stayed = [j for j in others if seats[str(j.session_id)].removed_by is None]
        self.result.stayed = len(stayed)
        self.check(
            f"every participant outside {self.scope_label} is still in their meeting",
            len(stayed) == len(others),
            f"{len(stayed)} of {len(others)} still in",
        )
        once = [j for j in in_scope if removals[j.session_id] == 1]
        self.result.removed = len(once)
        self.check(
            f"each participant in {self.scope_label} got exactly one removal",
            len(once) == len(in_scope) and self.platform.repeats == 0,
            f"{len(once)} of {len(in_scope)}; {self.platform.repeats} repeated webhooks",
        )
        kinds = Counter(r.type for r in self.platform.received)
        unreadable = self.platform.unreadable
        self.check(
            "no account was touched",
            set(self.platform.accounts.values()) == {"active"} and not unreadable,
            f"{len(self.platform.accounts)} accounts active; commands: "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            + (f"; {len(unreadable)} the platform could not read" if unreadable else ""),
        )
        authority = s.demand["authority"]["name"]
        noticed = [
            data
            for _, data in self.platform.removals()
            if data.notice.title and authority in data.notice.body
        ]
        self.check(
            "every removal carried a notice naming the authority",
            len(noticed) == sum(removals.values()),
            f"{len(noticed)} of {sum(removals.values())}",
        )
        hosts = Counter(data.resource.id for _, data in self.platform.host_notices())
        affected = {j.who.meeting for j in in_scope}
        self.check(
            "each affected meeting's host got one notice",
            set(hosts) == affected and all(n == 1 for n in hosts.values()),
            f"{len(hosts)} host notices for {len(affected)} affected meetings",
        )
        self.check(
            "every webhook verified (Standard Webhooks signature)",
            self.platform.bad_signatures == 0 and bool(self.platform.received),
            f"{len(self.platform.received)} verified, {self.platform.bad_signatures} failed",
        )

    def outbox(self, client: httpx.Client, order_id: str, impact: dict[str, Any]) -> None:
        self.step("remit's outbox (GET /v1/commands)")
        deadline = time.monotonic() + self.timeout
        commands: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            response = self.call(
                client, "GET", "/v1/commands", self.s.approver,
                params={"order_id": order_id, "limit": 1000},
            )  # fmt: skip
            commands = list(body_of(response).get("commands", []))
            if commands and all(c["status"] != "pending" for c in commands):
                break
            time.sleep(0.05)
        counts = Counter((c["type"], c["status"]) for c in commands)
        self.lines(
            table(
                ["command", "status", "count", "what it is"],
                [(t, st, n, _WHAT.get(t, "")) for (t, st), n in sorted(counts.items())],
            )
        )
        removes = sum(n for (t, _), n in counts.items() if t == CommandType.REMOVE)
        self.check(
            "the outbox delivered every command",
            bool(commands) and all(c["status"] == "delivered" for c in commands),
            f"{sum(c['status'] == 'delivered' for c in commands)} of {len(commands)} delivered",
        )
        self.check(
            "what was done is what the preview planned",
            removes == impact["planned"]["participants"] == self.result.removed,
            f"planned {impact['planned']['participants']}, commanded {removes}, "
            f"removed {self.result.removed}",
        )

    def transparency(self, client: httpx.Client) -> None:
        self.step("The public transparency report (GET /v1/reports/transparency)")
        try:
            response = client.get("/v1/reports/transparency")
            totals = response.json()["totals"] if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            totals = None
        if not isinstance(totals, dict):
            self.echo("  (not available from this server)")
            return
        keys = [
            "demands_received", "asked_beyond_jurisdiction", "account_actions_asked",
            "complied_fully", "complied_partly", "participants_removed_in_scope",
            "participants_refused_in_scope", "participants_affected_outside_scope",
            "accounts_suspended",
        ]  # fmt: skip
        self.lines(
            table(["", ""], [(k.replace("_", " "), totals[k]) for k in keys if k in totals])[1:]
        )
        if totals.get("participants_removed_in_scope") == 0 and self.result.removed:
            self.echo(
                "  (removals reach the report through the transparency log's enforcement "
                "counts; none are logged for today yet)"
            )

    def summary(self) -> None:
        r = self.result
        self.step("Summary")
        took = "" if r.seconds_to_remove is None else f" within {r.seconds_to_remove:.2f} s"
        self.echo(
            f"  removed {r.removed} participants located in {self.scope_label}{took}; "
            f"{r.stayed} others stayed; {len(self.platform.accounts)} host accounts untouched"
        )
        width = max(len(c.name) for c in r.checks)
        for c in r.checks:
            self.echo(f"  [{'ok' if c.ok else 'FAILED'}] {c.name:<{width}}  {c.detail}")
        failed = [c for c in r.checks if not c.ok]
        if failed:
            self.echo(f"  {len(failed)} of {len(r.checks)} checks FAILED")
        else:
            self.echo(f"  all {len(r.checks)} checks hold")


def run_demo(scenario: Scenario, echo: Echo, *, timeout: float = 30.0) -> DemoResult:
    """Play ``scenario`` against a new ``remit serve``, printing each step through ``echo``."""
    with tempfile.TemporaryDirectory(prefix="remit-demo-") as tmp:
        return _Demo(scenario, echo, Path(tmp), timeout).run()
