"""The janus connector against a real Janus VideoRoom and a real ``remit serve``.

remit is the room's token broker: a participant inside an order's scope gets no token (451 with
the notice); one who joins anyway (with a token from before the order) is kicked as Janus
reports the join; an order taking effect mid-meeting kicks those inside its scope and revokes
their tokens; everyone else stays. Restarts of remit and crashes of Janus lose nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from janus_server import ROOM, ROOM_SECRET, JanusServer, Participant

from remit_server import IN_SCOPE, RemitServer, demand, free_port

pytestmark = pytest.mark.janus

PLATFORM = "meet"
HOST = "host-hk"  # the meeting's host account, in Hong Kong
NOT_ALLOWED = 433  # VideoRoom: "Unauthorized (not in the allowed list)"


class Stack:
    """remit and Janus wired together as docs/connectors/janus.md tells an operator to."""

    def __init__(self, tmp: Path) -> None:
        (tmp / "remit").mkdir()
        self.remit = RemitServer(tmp / "remit")
        port = free_port()
        token = self.remit.add_platform(
            PLATFORM,
            "janus",
            {"url": f"http://127.0.0.1:{port}/janus", "room_secret": ROOM_SECRET},
        )
        events = f"{self.remit.base}/v1/connectors/janus/events"
        self.janus = JanusServer(tmp / "janus", port, events, PLATFORM, token)
        self.people: list[Participant] = []

    def token(self, who: str, ip: str) -> httpx.Response:
        """The platform asks remit for ``who``'s join token, as seen at ``ip``."""
        with self.remit.client(PLATFORM) as platform:
            return platform.post(
                "/v1/connectors/janus/tokens",
                json={
                    "room": ROOM,
                    "participant": {"id": who, "ip": ip, "language": "zh-Hans"},
                    "host": HOST,
                },
            )

    def grant(self, who: str, ip: str) -> dict[str, Any]:
        answer = self.token(who, ip)
        assert answer.status_code == 200, answer.text
        grant: dict[str, Any] = answer.json()
        assert grant["room"] == ROOM
        assert grant["token"]
        assert grant["id"] > 0
        return grant

    def join(self, grant: dict[str, Any], ip: str) -> dict[str, Any]:
        """A participant's client connects to Janus from ``ip`` and joins with ``grant``."""
        person = Participant(self.janus.url, ip)
        self.people.append(person)
        return person.join(grant)

    def record(self) -> str:
        """Record the 2020 demand for the room (not yet approved); its id."""
        with self.remit.client("intake") as intake:
            created = intake.post("/v1/orders", json=demand(str(ROOM), HOST))
            assert created.status_code == 201, created.text
            order_id: str = created.json()["id"]
            return order_id

    def approve(self, order_id: str) -> None:
        with self.remit.client("reviewer") as reviewer:
            approved = reviewer.post(
                f"/v1/orders/{order_id}/approve", json={"justification": "reviewed"}
            )
            assert approved.status_code == 200, approved.text

    def rostered(self, order_id: str) -> int:
        """How many people remit has seen in the room (the reviewer's impact preview)."""
        with self.remit.client("reviewer") as reviewer:
            impact = reviewer.get(f"/v1/orders/{order_id}/impact")
            assert impact.status_code == 200, impact.text
            seen: int = impact.json()["as_asked"]["participants"]
            return seen

    def removals(self) -> list[dict[str, Any]]:
        return [c for c in self.remit.commands(PLATFORM) if c["type"] == "participant.remove"]

    def close(self) -> None:
        for person in self.people:
            person.close()
        self.janus.stop()
        self.remit.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = Stack(tmp_path)
    try:
        built.remit.start()
        built.janus.start()
        yield built
    finally:
        built.close()


def assert_refused(answer: httpx.Response) -> None:
    """A 451 (RFC 7725) with the notice, in the participant's language, naming the authority."""
    assert answer.status_code == 451, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert "Ministry of Public Security" in str(problem["authority"])
    assert problem["detail"], problem
    assert answer.headers["content-language"].startswith("zh")


def test_an_order_in_force_refuses_tokens_and_kicks_who_joins_from_inside_its_scope(
    stack: Stack,
) -> None:
    # Before remit has granted any token the room's check is off: Eve gets in without one.
    eve = {"room": ROOM, "id": 42}
    assert stack.join(eve, IN_SCOPE)["videoroom"] == "joined"
    early = stack.grant("mallory", IN_SCOPE)  # issued before the order
    order_id = stack.record()
    stack.remit.wait_for("eve rostered from Janus's events", lambda: stack.rostered(order_id) == 1)
    stack.approve(order_id)
    # remit never knew who she is, but knows where she is: her feed is kicked.
    stack.remit.wait_for("eve kicked", lambda: 42 not in stack.janus.publishers(), timeout=30)

    assert_refused(stack.token("alice", IN_SCOPE))
    bob, carol = stack.grant("bob", "127.0.0.20"), stack.grant("carol", "127.0.0.50")
    assert stack.join(bob, "127.0.0.20")["videoroom"] == "joined"
    assert stack.join(carol, "127.0.0.50")["videoroom"] == "joined"

    # Mallory's client joins from mainland China with her old token: Janus lets her in, reports
    # it, and remit has her kicked and her token revoked at once.
    assert stack.join(early, IN_SCOPE)["videoroom"] == "joined"
    stack.remit.wait_for(
        "mallory kicked", lambda: early["id"] not in stack.janus.publishers(), timeout=30
    )
    assert early["token"] not in stack.janus.allowed()
    assert stack.join(early, IN_SCOPE).get("error_code") == NOT_ALLOWED

    assert stack.janus.publishers() == {bob["id"], carol["id"]}
    stack.remit.wait_for(
        "both removals delivered",
        lambda: [c["status"] for c in stack.removals()] == ["delivered", "delivered"],
    )


def test_an_order_taking_effect_mid_meeting_kicks_only_those_inside_its_scope(
    stack: Stack,
) -> None:
    grants = {
        ip: stack.grant(who, ip)
        for who, ip in (("alice", IN_SCOPE), ("bob", "127.0.0.20"), ("carol", "127.0.0.50"))
    }
    for ip, grant in grants.items():
        assert stack.join(grant, ip)["videoroom"] == "joined"
    everyone = {g["id"] for g in grants.values()}
    assert stack.janus.publishers() == everyone

    order_id = stack.record()
    stack.remit.wait_for(
        "three rostered from Janus's events", lambda: stack.rostered(order_id) == 3
    )
    stack.approve(order_id)

    alice = grants[IN_SCOPE]
    stack.remit.wait_for(
        "alice kicked", lambda: alice["id"] not in stack.janus.publishers(), timeout=30
    )
    assert stack.janus.publishers() == everyone - {alice["id"]}
    assert alice["token"] not in stack.janus.allowed()
    assert {g["token"] for g in grants.values()} - stack.janus.allowed() == {alice["token"]}
    # She cannot come back: not with her token, and no new one (the notice instead).
    assert stack.join(alice, IN_SCOPE).get("error_code") == NOT_ALLOWED
    assert_refused(stack.token("alice", IN_SCOPE))
    stack.remit.wait_for(
        "the removal and the host notice delivered",
        lambda: (
            sorted(
                c["type"]
                for c in stack.remit.commands(PLATFORM, status="delivered")
                if c["type"] in ("participant.remove", "host.notice")
            )
            == ["host.notice", "participant.remove"]
        ),
    )
    assert len(stack.removals()) == 1
    assert stack.janus.publishers() == everyone - {alice["id"]}


def test_restarts_of_remit_and_a_crash_of_janus_lose_nothing(stack: Stack) -> None:
    grants = {ip: stack.grant(who, ip) for who, ip in (("alice", IN_SCOPE), ("bob", "127.0.0.20"))}
    for ip, grant in grants.items():
        assert stack.join(grant, ip)["videoroom"] == "joined"
    order_id = stack.record()
    stack.remit.wait_for("two rostered from Janus's events", lambda: stack.rostered(order_id) == 2)

    stack.remit.restart()  # between the joins and the order: the roster is kept
    stack.janus.kill()  # and Janus crashes before the order takes effect
    stack.approve(order_id)
    failing = stack.remit.wait_for(
        "a failed attempt to reach Janus",
        lambda: [c for c in stack.removals() if c["attempts"] >= 1 and c["last_error"]],
    )
    assert failing[0]["status"] == "pending"

    stack.janus.start()  # the removal is retried until Janus takes it
    stack.remit.wait_for(
        "the removal delivered",
        lambda: [c for c in stack.removals() if c["status"] == "delivered"],
    )
    # Janus forgot its allowed list; remit gave the room back Bob's token, not Alice's.
    alice, bob = grants[IN_SCOPE], grants["127.0.0.20"]
    stack.remit.wait_for(
        "the room's list restored", lambda: stack.janus.allowed() == {bob["token"]}
    )
    assert stack.join(bob, "127.0.0.20")["videoroom"] == "joined"
    assert stack.join(alice, IN_SCOPE).get("error_code") == NOT_ALLOWED
    assert_refused(stack.token("alice", IN_SCOPE))
    assert stack.janus.publishers() == {bob["id"]}

    stack.remit.restart()
    assert stack.janus.publishers() == {bob["id"]}
    assert len(stack.removals()) == 1


def test_what_remit_cannot_do_is_a_problem_naming_why(stack: Stack) -> None:
    with stack.remit.client(PLATFORM) as platform:
        unknown = platform.post(
            "/v1/connectors/janus/tokens",
            json={"room": 99, "participant": {"id": "bob", "ip": "127.0.0.20"}},
        )
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["field"] == "room"
        reserved = platform.post(
            "/v1/connectors/janus/tokens",
            json={"room": ROOM, "participant": {"id": "janus-feed-1", "ip": "127.0.0.20"}},
        )
        assert reserved.status_code == 422, reserved.text
        assert reserved.json()["field"] == "participant.id"
    events = f"{stack.remit.base}/v1/connectors/janus/events"
    assert httpx.post(events, json=[]).status_code == 401
    forged = httpx.post(events, json=[], auth=(PLATFORM, "remit_not-a-token"))
    assert forged.status_code == 401
    with stack.remit.client("intake") as intake:
        assert intake.post("/v1/connectors/janus/events", json=[]).status_code == 403
    token = stack.remit.tokens[PLATFORM]
    assert httpx.post(events, json=[], auth=(PLATFORM, token)).json()["received"] == 0

    stack.janus.kill()
    down = stack.token("bob", "127.0.0.20")
    assert down.status_code == 503, down.text
    assert "Janus" in down.json()["detail"]
