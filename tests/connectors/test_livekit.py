"""The LiveKit connector against a real ``remit serve`` and a LiveKit stand-in that speaks its
Twirp RoomService and signs its webhooks with livekit-api's own code (see livekit_twirp.py).

The story: a platform's app asks remit for every LiveKit token. A participant inside an order's
scope is refused at the door with the notice; one already in the meeting when an order takes
effect is told why and removed; everyone outside the scope stays; forged webhooks change nothing;
restarts of remit or of LiveKit lose nothing; and joins and leaves whose webhooks were lost are
found by reconciling the roster with LiveKit's rooms.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from livekit import api
from livekit_twirp import LiveKitTwirpServer

from remit.cli import cli
from remit.store import open_enforcement_store
from remit_server import RemitServer, cli_out, free_port

pytestmark = pytest.mark.livekit

KEY = "APIremitTest"
SECRET = "a-livekit-api-secret-of-at-least-32-chars"
PLATFORM = "meet"
ROOM = "vigil-2020"
HOST = "host-us"

CN, CN_BJ, HK, US = "127.0.0.10", "127.0.0.11", "127.0.0.20", "127.0.0.50"


class Deployment:
    """remit serve and the LiveKit stand-in, wired as an operator would wire them."""

    def __init__(self, tmp: Path, **extra: str) -> None:
        self.remit = RemitServer(tmp)
        hook = f"{self.remit.base}/v1/connectors/livekit/webhooks/{PLATFORM}"
        self.livekit = LiveKitTwirpServer(KEY, SECRET, free_port(), hook)
        self.livekit.start()
        settings = {"url": self.livekit.url, "api_key": KEY, "api_secret": SECRET, **extra}
        self.remit.add_platform(PLATFORM, "livekit", settings)
        self.remit.start()

    def token(self, identity: str, ip: str, language: str = "en") -> httpx.Response:
        """The platform's app asks remit for ``identity``'s token to the room."""
        body = {
            "room": ROOM,
            "host": HOST,
            "participant": {"id": identity, "ip": ip, "language": language},
        }
        with self.remit.client(PLATFORM) as platform:
            return platform.post("/v1/connectors/livekit/tokens", json=body)

    def enter(self, identity: str, ip: str, language: str = "en") -> str:
        """Get a token and join with it; returns remit's session id for the join."""
        answer = self.token(identity, ip, language)
        assert answer.status_code == 201, answer.text
        joined = self.livekit.join(answer.json()["token"])
        assert joined.status == 200, joined.answer
        [session] = joined.answer["sessions"]
        assert session["status"] == "live"
        session_id: str = session["id"]
        return session_id

    def roster(self) -> dict[str, str | None]:
        """remit's live roster of the platform, read from its database: identity -> country
        (remit keeps no address)."""
        store = open_enforcement_store(self.remit.db)
        try:
            live = store.live_sessions(resource_type="meeting", resource_ids=[ROOM])
        finally:
            store.close()
        return {s.participant: s.location.country for s in live if s.platform == PLATFORM}

    def removals(self) -> list[dict[str, Any]]:
        return [c for c in self.remit.commands(PLATFORM) if c["type"] == "participant.remove"]

    def close(self) -> None:
        self.remit.stop()
        self.livekit.stop()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    deployed = Deployment(tmp_path)
    try:
        yield deployed
    finally:
        deployed.close()


@pytest.fixture
def reconciling(tmp_path: Path) -> Iterator[Deployment]:
    """A deployment whose platform reconciles remit's roster with LiveKit every second."""
    deployed = Deployment(tmp_path, reconcile_seconds="1")
    try:
        yield deployed
    finally:
        deployed.close()


def notices_to(livekit: LiveKitTwirpServer, identity: str) -> list[dict[str, Any]]:
    return [
        body for _, who, topic, body in livekit.data if who == identity and topic == "remit.notice"
    ]


def test_a_join_inside_the_scope_is_refused_at_the_door_with_the_notice(
    deployment: Deployment,
) -> None:
    order_id = deployment.remit.enforce(ROOM, HOST)

    refused = deployment.token("cn-1", CN, language="zh")
    assert refused.status_code == 451
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["content-language"].startswith("zh")
    problem = refused.json()
    assert "token" not in problem
    assert problem["decision"]["orders"] == [order_id]
    assert problem["detail"]  # the notice, in Chinese
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"])

    for identity, ip in (("hk-1", HK), ("us-1", US)):
        allowed = deployment.token(identity, ip)
        assert allowed.status_code == 201, allowed.text
        token = allowed.json()
        assert token["url"] == deployment.livekit.url.replace("http", "ws", 1)
        assert (token["room"], token["identity"]) == (ROOM, identity)
        # LiveKit accepts it: signed with the key pair, roomJoin for this room only.
        claims = api.TokenVerifier(KEY, SECRET).verify(token["token"])
        assert claims.video is not None
        assert (claims.video.room_join, claims.video.room) == (True, ROOM)
        assert not claims.video.room_admin
        assert not claims.video.can_update_own_metadata
        # Other participants see the token's attributes: the address is not readable in them.
        payload = token["token"].split(".")[1]
        assert ip not in base64.urlsafe_b64decode(payload + "==").decode()
        assert deployment.livekit.join(token["token"]).status == 200

    assert deployment.livekit.participants(ROOM) == {"hk-1", "us-1"}
    assert deployment.removals() == []  # nobody in the room is inside the scope

    # A token signed with another secret is not one LiveKit takes (the stand-in checks, too).
    forged = api.AccessToken(KEY, "another-secret-that-is-32-chars-long!")
    forged.with_identity("cn-2").with_grants(api.VideoGrants(room_join=True, room=ROOM))
    with pytest.raises(PermissionError):
        deployment.livekit.join(forged.to_jwt())


def test_an_order_mid_meeting_removes_exactly_the_participants_inside_its_scope(
    deployment: Deployment,
) -> None:
    sessions = {
        "cn-1": deployment.enter("cn-1", CN, language="zh"),
        "bj-1": deployment.enter("bj-1", CN_BJ),
        "hk-1": deployment.enter("hk-1", HK),
        "us-1": deployment.enter("us-1", US),
        HOST: deployment.enter(HOST, US),
    }
    livekit = deployment.livekit

    order_id = deployment.remit.enforce(ROOM, HOST)

    deployment.remit.wait_for(
        "two removals in LiveKit", lambda: len(livekit.removed) == 2, timeout=60
    )
    assert sorted(livekit.removed) == [(ROOM, "bj-1"), (ROOM, "cn-1")]
    assert livekit.participants(ROOM) == {"hk-1", "us-1", HOST}
    removals = deployment.remit.wait_for(
        "the removals recorded delivered",
        lambda: (r := deployment.removals()) and all(c["status"] == "delivered" for c in r) and r,
    )
    assert sorted(c["session_id"] for c in removals) == sorted([sessions["cn-1"], sessions["bj-1"]])
    # Each removed person was told why, in their language, before being removed.
    [told] = notices_to(livekit, "cn-1")
    assert told["order_id"] == order_id
    assert told["notice"]["language"].startswith("zh")
    assert notices_to(livekit, "hk-1") == notices_to(livekit, "us-1") == []
    # The host was told what happened: two removed in mainland China, the account untouched.
    host_notice = deployment.remit.wait_for("the host's notice", lambda: notices_to(livekit, HOST))
    assert host_notice[0]["counts"] == {"CN": 2}
    # LiveKit reported each removal; remit took it as the end of that session.
    lefts = [w for w in livekit.webhooks if w.event == "participant_left"]
    assert sorted(w.identity for w in lefts) == ["bj-1", "cn-1"]
    assert all(w.status == 200 and w.answer["sessions"][0]["status"] == "removed" for w in lefts)

    # The removed person asks again: refused at the door, with the notice.
    assert deployment.token("cn-1", CN, language="zh").status_code == 451


def test_forged_webhooks_are_refused_and_change_nothing(deployment: Deployment) -> None:
    livekit = deployment.livekit
    deployment.enter("cn-1", CN)
    deployment.enter("cn-2", CN)
    deployment.enter("us-1", US)

    # A forged "cn-1 left": signed with another secret, then a genuine signature over other bytes.
    info = api.ParticipantInfo(identity="cn-1", kind=api.ParticipantInfo.Kind.STANDARD)
    left = livekit.event("participant_left", ROOM, info)
    wrong_key = livekit.deliver(left, livekit.signature(left, "not-the-secret-but-just-as-long!!"))
    other_body = livekit.deliver(left, livekit.signature(left + b" "))
    unsigned = livekit.deliver(left, "")
    for answer in (wrong_key, other_body, unsigned):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    # A forged join of someone in mainland China who is not there (and no seal from remit).
    ghost = api.ParticipantInfo(identity="cn-ghost", kind=api.ParticipantInfo.Kind.STANDARD)
    joined = livekit.event("participant_joined", ROOM, ghost)
    assert livekit.deliver(joined, livekit.signature(joined, "x" * 40)).status_code == 401
    # Webhooks for a platform remit does not have go nowhere.
    elsewhere = livekit.webhook_url.replace(f"/{PLATFORM}", "/nowhere")
    lost = httpx.post(elsewhere, content=left, headers={"Authorization": livekit.signature(left)})
    assert lost.status_code == 404

    # A genuine leave ends that session: an order then has nobody to remove for cn-2.
    gone = livekit.leave(ROOM, "cn-2")
    assert gone.status == 200
    assert gone.answer["sessions"][0]["status"] == "left"

    deployment.remit.enforce(ROOM, HOST)
    deployment.remit.wait_for("cn-1 removed", lambda: livekit.removed)
    deployment.remit.wait_for(
        "the removal recorded delivered",
        lambda: [c for c in deployment.removals() if c["status"] == "delivered"],
    )
    assert livekit.removed == [(ROOM, "cn-1")]  # cn-1 was still on the roster; cn-2, the ghost not
    assert len(deployment.removals()) == 1
    assert livekit.participants(ROOM) == {"us-1"}

    # The room ends: the last session in it ends too.
    finished = livekit.finish(ROOM)
    assert finished.status == 200
    assert [s["status"] for s in finished.answer["sessions"]] == ["left"]


def test_restarts_of_remit_and_of_livekit_lose_nothing(deployment: Deployment) -> None:
    remit, livekit = deployment.remit, deployment.livekit
    tokens = {
        who: deployment.token(who, ip).json()["token"] for who, ip in (("cn-1", CN), ("us-1", US))
    }

    remit.restart()  # remit keeps no table of tokens: what it sealed in them still opens
    for token in tokens.values():
        assert livekit.join(token).status == 200
    remit.restart()  # the roster is in the database

    livekit.stop()  # LiveKit is down when the order takes effect
    remit.enforce(ROOM, HOST)
    failed = remit.wait_for(
        "a failed attempt to reach LiveKit",
        lambda: [c for c in deployment.removals() if c["attempts"] >= 1 and c["last_error"]],
    )
    assert failed[0]["status"] == "pending"
    assert livekit.removed == []

    livekit.start()  # back on the same port: the outbox retries, and the removal lands
    remit.wait_for("cn-1 removed once LiveKit is back", lambda: livekit.removed, timeout=90)
    assert livekit.removed == [(ROOM, "cn-1")]
    assert livekit.participants(ROOM) == {"us-1"}
    remit.wait_for(
        "the removal recorded delivered",
        lambda: [c for c in deployment.removals() if c["status"] == "delivered"],
    )


def test_a_removal_never_reaches_a_later_join_nor_someone_already_gone(
    deployment: Deployment,
) -> None:
    remit, livekit = deployment.remit, deployment.livekit
    deployment.enter("cn-1", CN)
    deployment.enter("cn-2", CN)
    deployment.enter("us-1", US)
    livekit.stop()
    remit.enforce(ROOM, HOST)
    remit.wait_for(
        "failed attempts while LiveKit is down",
        lambda: len([c for c in deployment.removals() if c["last_error"]]) == 2,
    )
    # Meanwhile cn-2 left, and LiveKit's participant_left never reached remit; cn-1 reconnected
    # from the US with the same identity (a new token, decided afresh: allowed).
    livekit.vanish(ROOM, "cn-2")
    moved = deployment.token("cn-1", US)
    assert moved.status_code == 201
    rejoined = livekit.join(moved.json()["token"])
    assert [s["status"] for s in rejoined.answer["sessions"]] == ["live"]

    livekit.start()
    remit.wait_for(
        "both removals settled",
        lambda: [c["status"] for c in deployment.removals()] == ["delivered", "delivered"],
        timeout=90,
    )
    assert livekit.removed == []  # neither the US connection nor a participant LiveKit lacks
    assert livekit.participants(ROOM) == {"cn-1", "us-1"}


def test_joins_and_leaves_whose_webhooks_were_lost_are_reconciled_from_livekit(
    reconciling: Deployment,
) -> None:
    deployment = reconciling
    remit, livekit = deployment.remit, deployment.livekit
    deployment.enter("gone-1", US)
    tokens = {
        who: deployment.token(who, ip).json()["token"] for who, ip in (("cn-1", CN), ("us-1", US))
    }

    remit.stop()  # remit is down: LiveKit's webhooks for these joins and this leave are lost
    assert [livekit.join(token).status for token in tokens.values()] == [0, 0]
    assert livekit.leave(ROOM, "gone-1").status == 0
    assert livekit.participants(ROOM) == {"cn-1", "us-1"}
    assert deployment.roster() == {"gone-1": "US"}  # what remit knew when it went down

    remit.start()
    remit.wait_for(
        "the roster reconciled with LiveKit's room",
        lambda: deployment.roster() == {"cn-1": "CN", "us-1": "US"},
        timeout=30,
    )
    assert any(method == "ListRooms" for method, _ in livekit.calls)

    # The order reaches the participant rostered by reconciliation; the US one stays.
    order_id = remit.enforce(ROOM, HOST)
    remit.wait_for("cn-1 removed", lambda: livekit.removed)
    remit.wait_for(
        "the removal recorded delivered",
        lambda: [c for c in deployment.removals() if c["status"] == "delivered"],
    )
    assert livekit.removed == [(ROOM, "cn-1")]
    assert [c["order_id"] for c in deployment.removals()] == [order_id]
    assert livekit.participants(ROOM) == {"us-1"}
    assert deployment.roster() == {"us-1": "US"}

    # While remit runs, a leave whose webhook was lost ends at the next turn, not only at start.
    livekit.vanish(ROOM, "us-1")
    remit.wait_for("us-1's session ended", lambda: deployment.roster() == {}, timeout=30)
    assert deployment.removals()[0]["status"] == "delivered"  # nothing more was sent


def test_a_caller_dialling_in_through_livekit_sip_is_placed_by_their_number(
    deployment: Deployment,
) -> None:
    livekit = deployment.livekit
    assert livekit.dial_in(ROOM, "sip-cn", "+86 10 6552 9988").status == 200
    assert livekit.dial_in(ROOM, "sip-hk", "+852 2523 1234").status == 200
    deployment.remit.enforce(ROOM, HOST)
    deployment.remit.wait_for("the mainland caller removed", lambda: livekit.removed)
    deployment.remit.wait_for(
        "the removal recorded delivered",
        lambda: [c for c in deployment.removals() if c["status"] == "delivered"],
    )
    assert livekit.removed == [(ROOM, "sip-cn")]
    assert livekit.participants(ROOM) == {"sip-hk"}


def test_token_requests_name_the_field_at_fault(deployment: Deployment) -> None:
    with deployment.remit.client(PLATFORM) as platform:
        bad_ip = platform.post(
            "/v1/connectors/livekit/tokens",
            json={"room": ROOM, "participant": {"id": "p", "ip": "999.1.1.1"}},
        )
        unknown = platform.post(
            "/v1/connectors/livekit/tokens",
            json={"room": ROOM, "participant": {"id": "p"}, "metadata": "x"},
        )
    assert (bad_ip.status_code, bad_ip.json()["field"]) == (422, "participant.ip")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "metadata")
    with deployment.remit.client("intake") as intake:  # only a platform may ask for tokens
        assert intake.post("/v1/connectors/livekit/tokens", json={}).status_code == 403


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        (("url=ftp://lk.example", "api_key=k", "api_secret=" + SECRET), "url"),
        (("url=https://lk.example", "api_key=k", "api_secret=short"), "api_secret"),
        (("url=https://lk.example", "api_secret=" + SECRET), "api_key"),
        (("url=https://lk.example", "api_key=k", "api_secret=" + SECRET, "colour=red"), "colour"),
        (
            ("url=https://lk.example", "api_key=k", "api_secret=" + SECRET, "reconcile_seconds=x"),
            "reconcile_seconds",
        ),
    ],
)
def test_a_platform_with_unusable_settings_is_refused_in_one_line(
    tmp_path: Path, setting: tuple[str, ...], field: str
) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    cli_out("db", "upgrade", "--db", db)
    args = ["platform", "add", "lk", "--connector", "livekit", "--db", db]
    for item in setting:
        args += ["--setting", item]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert field in result.output


def test_a_sealed_token_opens_only_for_its_participant_and_room() -> None:
    from remit.connectors.livekit import Sealed, seal, unseal

    value = seal(SECRET, "cn-1", ROOM, Sealed(ip=CN, language="zh", host=HOST))
    assert unseal(SECRET, "cn-1", ROOM, value) == Sealed(ip=CN, language="zh", host=HOST)
    assert unseal(SECRET, "us-1", ROOM, value) is None  # moved to another person
    assert unseal(SECRET, "cn-1", "other-room", value) is None
    assert unseal("another-secret-that-is-32-chars-long!", "cn-1", ROOM, value) is None
    assert (
        unseal(SECRET, "cn-1", ROOM, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
        is None
    )
    assert unseal(SECRET, "cn-1", ROOM, "not base64 !") is None
    assert CN not in json.dumps(value)


def test_the_reconciliation_is_a_task_of_the_plugin_that_remit_serve_runs() -> None:
    from remit.connectors import load_tasks

    [task] = [t for t in load_tasks() if t.name == "livekit.reconcile"]
    assert task.interval_s == 60  # the default, until it has read a platform's settings
