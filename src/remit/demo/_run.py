"""``remit demo``: the story of docs/design.md, end to end, against a real ``remit serve``.

remit runs as a subprocess on a SQLite file in a temporary folder, on a free port, placing the
participants' 127.0.x.y addresses with the scenario's static location table. The platform is
:class:`~remit.demo._platform.DemoPlatform`, an HTTP server in this process that receives remit's
webhooks. Each step prints a table; the run ends with checks of the invariants, and
:func:`run_demo` returns them (the command exits 1 when any failed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from remit.api import create_user, utcnow
from remit.connectors.webhook import WebhookConnector, new_secret
from remit.demo._platform import DemoPlatform
from remit.demo._scenario import Participant, Scenario
from remit.demo._tables import clip, table, wrap
from remit.enforcement import Platform
from remit.location import Location
from remit.store import open_enforcement_store, open_store, upgrade

APPEAL_URL = "https://meet.example/appeals"
OPERATOR_URL = "https://meet.example/"
REMOVE, HOST_NOTICE = "participant.remove", "host.notice"

Echo = Callable[[str], None]
_WHAT = {
    REMOVE: "sent to the platform: remove this participant, show them the notice",
    HOST_NOTICE: "sent to the platform: the notice for the meeting's host",
    "participant.refused": "a record of a refused join (its notice went out in the 451 answer)",
}


class DemoFailed(Exception):
    """The demo could not be run (remit did not start, an answer made no sense): not a check."""


@dataclass(frozen=True)
class Check:
    """One invariant, checked on what happened."""

    name: str
    ok: bool
    detail: str


@dataclass
class DemoResult:
    """The checks of one run, and a few figures."""

    checks: list[Check] = field(default_factory=list)
    removed: int = 0
    stayed: int = 0
    seconds_to_remove: float | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Joined:
    """A participant's join as remit answered it."""

    who: Participant
    status: int
    session_id: str | None
    location: Location
    body: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _body(response: httpx.Response) -> dict[str, Any]:
    """A JSON object answered by remit; anything else is the demo failing, said in one line."""
    try:
        body = response.json()
    except ValueError as exc:
        raise DemoFailed(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code} without JSON: {response.text[:200]}"
        ) from exc
    if not isinstance(body, dict):
        raise DemoFailed(f"{response.request.url.path} answered JSON that is not an object")
    return body


def _place(location: Location) -> str:
    return location.subdivision or location.country or "unknown"


def _location(answer: dict[str, Any]) -> Location:
    loc = answer.get("location") or {}
    return Location(loc.get("country"), loc.get("subdivision"), loc.get("source", "none"))


class _Demo:
    def __init__(self, scenario: Scenario, echo: Echo, folder: Path, timeout: float) -> None:
        self.s = scenario
        self.echo = echo
        self.folder = folder
        self.timeout = timeout
        self.url = f"sqlite:///{folder / 'remit.sqlite3'}"
        self.platform = DemoPlatform(new_secret())
        self.tokens: dict[str, str] = {}
        self.result = DemoResult()
        self.joined: list[Joined] = []
        self.late_joined: list[Joined] = []
        self.scope_label = ", ".join(scenario.scope)
        self.step_number = 0

    # Output ------------------------------------------------------------------------------------
    def step(self, title: str) -> None:
        self.step_number += 1
        self.echo("")
        self.echo(f"{self.step_number}. {title}")

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.echo(line)

    def para(self, text: str, indent: int = 2) -> None:
        self.lines([" " * indent + line for line in wrap(text, 96 - indent)])

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.result.checks.append(Check(name, ok, detail))

    # remit -------------------------------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[httpx.Client]:
        places = self.folder / "places.csv"
        places.write_text("".join(f"{net},{place}\n" for net, place in self.s.places.items()))
        port = _free_port()
        command = [
            sys.executable, "-m", "remit", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--db", self.url, "--static-locations", str(places),
            "--location-sources", "static,iptocc", "--log-key", str(self.folder / "log.key"),
            "--appeal-url", APPEAL_URL, "--operator-url", OPERATOR_URL, "--command-ttl", "300",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("REMIT_")}
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        log_path = self.folder / "serve.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                command, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15, trust_env=False)
            with client:
                self._wait_ready(client, server, log_path)
                self.lines(
                    [
                        f"  remit serve (pid {server.pid}) on http://127.0.0.1:{port}, "
                        f"database {self.url}",
                        "  it places addresses with the operator's static table "
                        "(--static-locations) and dial-in numbers by country code:",
                        *table(["network", "place"], [(n, p) for n, p in self.s.places.items()], 4),
                    ]
                )
                yield client
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    def _wait_ready(self, client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                tail = log.read_text("utf-8", "replace").strip().splitlines()[-1:]
                raise DemoFailed(f"remit serve exited with {server.returncode}: {' '.join(tail)}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise DemoFailed("remit serve did not answer /healthz within 60 s")

    def call(
        self, client: httpx.Client, method: str, path: str, who: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        try:
            return client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise DemoFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    # The story ---------------------------------------------------------------------------------
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

    def create_people(self) -> None:
        s = self.s
        store = open_store(self.url)
        enforcement = open_enforcement_store(self.url)
        now = utcnow()
        try:
            roles = {
                s.recorder: ["intake", "reviewer"],
                s.approver: ["reviewer"],
                s.platform: ["platform"],
            }
            for name, granted in roles.items():
                self.tokens[name] = create_user(store, name, granted, now=now)
            settings = WebhookConnector.settings(self.platform.url, self.platform.secret)
            enforcement.add_platform(Platform(s.platform, "webhook", settings, now))
        finally:
            enforcement.close()
            store.close()
        for host in s.hosts:
            self.platform.accounts[host.id] = "active"

    def people(self) -> None:
        s = self.s
        self.step("Users and the platform are created")
        recorder = f"remit user add {s.recorder} --role intake --role reviewer"
        rows = [
            (s.recorder, "records demands", recorder),
            (s.approver, "approves them", f"remit user add {s.approver} --role reviewer"),
            (s.platform, "the platform", f"remit platform add {s.platform} --webhook-url URL"),
        ]
        self.lines(table(["user", "who", "same as"], rows))
        self.echo(f"  the platform's webhook endpoint (in this process): {self.platform.url}")
        self.echo(f"  the platform {s.platform} has {len(s.meetings)} meetings and these accounts:")
        self.lines(
            table(
                ["account", "name", "country", "hosts", "status"],
                [
                    (
                        h.id,
                        h.name,
                        h.country,
                        ", ".join(m.id for m in s.meetings if m.host == h.id),
                        "active",
                    )
                    for h in s.hosts
                ],
                4,
            )
        )

    def _join(self, client: httpx.Client, who: Participant) -> Joined:
        meeting = self.s.meeting(who.meeting)
        participant: dict[str, Any] = {"id": who.id}
        for key in ("ip", "phone", "language"):
            if getattr(who, key) is not None:
                participant[key] = getattr(who, key)
        body = {
            "resource": {"type": "meeting", "id": meeting.id, "host": meeting.host},
            "participant": participant,
        }
        response = self.call(client, "POST", "/v1/sessions", self.s.platform, json=body)
        answer = _body(response)
        if response.status_code == 201:
            self.platform.seat(meeting.id, answer["id"], who.id)
            return Joined(who, 201, answer["id"], _location(answer["admission"]), answer)
        if response.status_code == 451:
            return Joined(who, 451, None, _location(answer.get("decision", {})), answer)
        raise DemoFailed(f"POST /v1/sessions for {who.id}: {response.status_code} {response.text}")

    def join_all(self, client: httpx.Client) -> None:
        self.step("Participants join the meetings (POST /v1/sessions, one per join)")
        rows = []
        for who in self.s.participants:
            joined = self._join(client, who)
            self.joined.append(joined)
            loc = joined.location
            rows.append(
                (who.meeting, who.id, who.signal, who.language or "-", _place(loc), loc.source,
                 "201 live" if joined.status == 201 else str(joined.status))
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "signal", "language", "located", "by",
                          "answer"], rows))  # fmt: skip
        places = Counter(_place(j.location) for j in self.joined)
        self.echo(
            f"  {len(self.joined)} participants in {len(self.s.meetings)} meetings: "
            + ", ".join(f"{p} {n}" for p, n in places.most_common())
        )
        self.check(
            "everyone joined before the demand",
            all(j.status == 201 for j in self.joined),
            f"{sum(j.status == 201 for j in self.joined)} of {len(self.joined)} admitted",
        )

    def demand(self, client: httpx.Client) -> str:
        s, d = self.s, self.s.demand
        self.step(f"The demand arrives; {s.recorder} records it as received (POST /v1/orders)")
        authority = d["authority"]
        targets = ", ".join(f"{t['type']} {t['id']}" for t in d["targets"])
        asked = d["request"]["scope"]
        rows = [
            ("authority", f"{authority['name']} ({authority['kind']}, "
                          f"{authority['jurisdiction']})"),
            ("legal basis", d.get("legal_basis", "")),
            ("case", d.get("case_id") or "-"),
            ("received", d.get("received_at", "")),
            ("asks", f"{d['request']['action']} in {', '.join(asked)}"
                     + (" (everywhere)" if "*" in asked else "")),
            ("targets", targets),
        ]  # fmt: skip
        self.lines(table(["", ""], rows)[1:])
        self.para(f"as received: \u201c{' '.join(d['request']['text'].split())}\u201d", 4)
        response = self.call(client, "POST", "/v1/orders", s.recorder, json=d)
        if response.status_code != 201:
            raise DemoFailed(f"POST /v1/orders answered {response.status_code}: {response.text}")
        order = _body(response)
        self.echo(f"  -> order {order['id']}, status {order['status']}, recorded by {s.recorder}")
        return str(order["id"])

    def impact(self, client: httpx.Client, order_id: str) -> dict[str, Any]:
        narrowed = self.s.approval.get("scope")
        query = f"?scope={','.join(narrowed)}" if narrowed else ""
        self.step(
            f"{self.s.approver} reads the impact preview (GET /v1/orders/{{id}}/impact{query})"
        )
        params = {"scope": ",".join(narrowed)} if narrowed else {}
        response = self.call(
            client, "GET", f"/v1/orders/{order_id}/impact", self.s.approver, params=params
        )
        if response.status_code != 200:
            raise DemoFailed(f"impact answered {response.status_code}: {response.text}")
        impact = _body(response)
        asked, planned = impact["as_asked"], impact["planned"]
        countries = sorted(
            set(asked["by_country"]) | set(planned["by_country"]),
            key=lambda c: (-asked["by_country"].get(c, 0), c),
        )
        rows: list[tuple[str, str, str]] = [
            ("scope", ", ".join(asked["scope"]) + (" (everywhere)" if "*" in asked["scope"]
                                                    else ""), ", ".join(planned["scope"])),
            ("participants", str(asked["participants"]), str(planned["participants"])),
        ]  # fmt: skip
        rows += [
            (f"  in {c}", str(asked["by_country"].get(c, 0)), str(planned["by_country"].get(c, 0)))
            for c in countries
        ]
        rows += [
            ("meetings", str(asked["meetings"]), str(planned["meetings"])),
            ("host accounts", f"{asked['accounts']} ({impact['action_asked']})",
             str(planned["accounts"])),
        ]  # fmt: skip
        self.lines(table(["", "as asked", "remit's plan"], rows))
        self.echo(f"  outside the requesting jurisdiction in the plan: {impact['outside_scope']}")
        self.check(
            "the plan reaches no account and no one outside the jurisdiction",
            planned["accounts"] == 0 and impact["outside_scope"] == 0,
            f"{planned['accounts']} accounts, {impact['outside_scope']} outside",
        )
        return impact

    def four_eyes(self, client: httpx.Client, order_id: str) -> None:
        s = self.s
        self.step(f"Four eyes: {s.recorder} tries to approve the demand she recorded")
        response = self.call(
            client, "POST", f"/v1/orders/{order_id}/approve", s.recorder,
            json={"justification": "approving my own record"},
        )  # fmt: skip
        problem = _body(response)
        self.echo(f"  -> {response.status_code} {problem.get('type')}: {problem.get('detail')}")
        self.check(
            "four eyes: the recorder cannot approve",
            response.status_code == 403 and str(problem.get("type", "")).endswith("four-eyes"),
            f"{s.recorder}'s approval answered {response.status_code}",
        )

    def approve(self, client: httpx.Client, order_id: str) -> float:
        s = self.s
        self.step(f"{s.approver} approves (POST /v1/orders/{{id}}/approve)")
        self.para(f"justification: \u201c{' '.join(s.approval['justification'].split())}\u201d", 4)
        started = time.monotonic()
        response = self.call(
            client, "POST", f"/v1/orders/{order_id}/approve", s.approver, json=s.approval
        )
        if response.status_code != 200:
            raise DemoFailed(f"approval answered {response.status_code}: {response.text}")
        order = _body(response)
        self.echo(
            f"  -> status {order['status']}, enforced scope {', '.join(order['scope'])}, "
            f"approved by {order['approved_by']} (recorded by {order['recorded_by']})"
        )
        self.check(
            "four eyes: approved by another person",
            order["approved_by"] == s.approver and order["approved_by"] != order["recorded_by"],
            f"recorded by {order['recorded_by']}, approved by {order['approved_by']}",
        )
        return started

    def _reached(self) -> list[Joined]:
        """The participants the order reaches: in a targeted meeting, located in the scope."""
        return [
            j
            for j in self.joined
            if j.status == 201
            and self.s.targeted(self.s.meeting(j.who.meeting))
            and self.s.in_scope(j.location)
        ]

    def removals(self, client: httpx.Client, order_id: str, started: float) -> None:
        self.step("Removals, live: the platform receives signed webhooks and carries them out")
        reached = self._reached()
        sessions = {j.session_id for j in reached}
        meetings = {j.who.meeting for j in reached}
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            removed = {r.data.get("session_id") for r in self.platform.of_type(REMOVE)}
            noticed = {r.data["resource"]["id"] for r in self.platform.of_type(HOST_NOTICE)}
            if sessions <= removed and meetings <= noticed:
                break
            time.sleep(0.02)
        got = self.platform.of_type(REMOVE)
        got.sort(key=lambda r: (r.data["resource"]["id"], r.data["participant"]["id"]))
        if got:
            self.result.seconds_to_remove = max(r.at for r in got) - started
        by_session = {j.session_id: j for j in self.joined}
        rows = []
        for r in got:
            joined = by_session.get(r.data.get("session_id"))
            notice = r.data.get("notice") or {}
            rows.append(
                (r.data["resource"]["id"], r.data["participant"]["id"],
                 _place(joined.location) if joined else "?", joined.who.signal if joined else "?",
                 notice.get("language", "-"), clip(str(notice.get("title", "(none)")), 44))
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "located", "signal", "notice", "title"], rows))
        took = self.result.seconds_to_remove
        self.echo(
            f"  {len(got)} participant.remove webhooks"
            + ("" if took is None else f", the last {took:.2f} s after the approval")
            + f"; {self.platform.bad_signatures} failed verification"
        )
        hosts = self.platform.of_type(HOST_NOTICE)
        hosts.sort(key=lambda r: r.data["resource"]["id"])
        self.echo(f"  {len(hosts)} host.notice webhooks, one per affected meeting:")
        self.lines(
            table(
                ["meeting", "host", "removed here", "title"],
                [
                    (
                        h.data["resource"]["id"],
                        h.data["host"]["id"],
                        ", ".join(f"{c} {n}" for c, n in h.data.get("counts", {}).items()),
                        clip(str(h.data.get("notice", {}).get("title", "(none)")), 50),
                    )
                    for h in hosts
                ],
                4,
            )
        )
        english = next((r for r in got if r.data.get("notice", {}).get("language") == "en"), None)
        if english is not None:
            self.echo(f"  the notice {english.data['participant']['id']} sees (en):")
            self.para(str(english.data["notice"]["body"]), 4)
        if hosts:
            notice = hosts[0].data.get("notice", {})
            self.echo(
                f"  the notice host {hosts[0].data['host']['id']} sees ({notice.get('language')}):"
            )
            self.para(str(notice.get("body", "")), 4)

    def rejoin(self, client: httpx.Client) -> None:
        self.step("The removed participants try to rejoin (POST /v1/sessions)")
        removed_ids = {r.data["participant"]["id"] for r in self.platform.of_type(REMOVE)}
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
                (who.meeting, who.id, who.signal, _place(answer.location),
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
            where = {j.session_id: _place(j.location) for j in self.joined + self.late_joined}
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

        reached = {j.session_id for j in self._reached()}
        seats = {
            seat.session_id: seat
            for meeting in self.platform.meetings.values()
            for seat in meeting.values()
        }
        removals = Counter(r.data.get("session_id") for r in self.platform.of_type(REMOVE))
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
        wide = [k for k in kinds if k.startswith(("account.", "meeting."))]
        self.check(
            "no account was touched",
            set(self.platform.accounts.values()) == {"active"} and not wide,
            f"{len(self.platform.accounts)} accounts active; commands: "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
        )
        authority = s.demand["authority"]["name"]
        noticed = [
            r
            for r in self.platform.of_type(REMOVE)
            if r.data.get("notice", {}).get("title")
            and authority in r.data["notice"].get("body", "")
        ]
        self.check(
            "every removal carried a notice naming the authority",
            len(noticed) == sum(removals.values()),
            f"{len(noticed)} of {sum(removals.values())}",
        )
        hosts = Counter(r.data["resource"]["id"] for r in self.platform.of_type(HOST_NOTICE))
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
            commands = list(_body(response).get("commands", []))
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
        removes = sum(n for (t, _), n in counts.items() if t == REMOVE)
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
