"""The story up to the order taking effect: people, joins, the demand, its review and approval.

Each step prints what it did as a table and checks what the story promises at that point (the
plan reaches no one outside the jurisdiction, the recorder cannot approve). What happens once the
order is in force is :mod:`remit.demo._run`'s.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx

from remit.api import create_user, utcnow
from remit.connectors.webhook import WebhookConnector
from remit.demo._harness import DemoFailed, Harness, Joined, body_of, location_of, place_of
from remit.demo._scenario import Participant
from remit.demo._tables import table
from remit.enforcement import Platform
from remit.store import open_enforcement_store, open_store


def _actions(request: dict[str, Any]) -> list[str]:
    """The actions a demand's request asks: ``actions``, or the one ``action`` of older files."""
    asked: list[str] = request.get("actions") or [request["action"]]
    return asked


class Demand(Harness):
    """The steps before enforcement."""

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
        answer = body_of(response)
        if response.status_code == 201:
            self.platform.seat(meeting.id, answer["id"], who.id)
            return Joined(who, 201, answer["id"], location_of(answer["admission"]), answer)
        if response.status_code == 451:
            return Joined(who, 451, None, location_of(answer.get("decision", {})), answer)
        raise DemoFailed(f"POST /v1/sessions for {who.id}: {response.status_code} {response.text}")

    def join_all(self, client: httpx.Client) -> None:
        self.step("Participants join the meetings (POST /v1/sessions, one per join)")
        rows = []
        for who in self.s.participants:
            joined = self._join(client, who)
            self.joined.append(joined)
            loc = joined.location
            rows.append(
                (who.meeting, who.id, who.signal, who.language or "-", place_of(loc), loc.source,
                 "201 live" if joined.status == 201 else str(joined.status))
            )  # fmt: skip
        self.lines(table(["meeting", "participant", "signal", "language", "located", "by",
                          "answer"], rows))  # fmt: skip
        places = Counter(place_of(j.location) for j in self.joined)
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
            ("asks", f"{' and '.join(_actions(d['request']))} in {', '.join(asked)}"
                     + (" (everywhere)" if "*" in asked else "")),
            ("targets", targets),
        ]  # fmt: skip
        self.lines(table(["", ""], rows)[1:])
        self.para(f"as received: \u201c{' '.join(d['request']['text'].split())}\u201d", 4)
        response = self.call(client, "POST", "/v1/orders", s.recorder, json=d)
        if response.status_code != 201:
            raise DemoFailed(f"POST /v1/orders answered {response.status_code}: {response.text}")
        order = body_of(response)
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
        impact = body_of(response)
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
            ("host accounts", f"{asked['accounts']} ({' and '.join(impact['actions_asked'])})",
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
        problem = body_of(response)
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
        order = body_of(response)
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

    def reached(self) -> list[Joined]:
        """The participants the order reaches: in a targeted meeting, located in the scope."""
        return [
            j
            for j in self.joined
            if j.status == 201
            and self.s.targeted(self.s.meeting(j.who.meeting))
            and self.s.in_scope(j.location)
        ]
