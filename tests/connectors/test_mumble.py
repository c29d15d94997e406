"""The mumble connector against a real Murmur, the remit-mumble bridge and a real remit: a user
entering a channel is decided by their address, refused users are moved out (or kicked) with
remit's notice, an order taking effect removes only those inside its scope, and nothing is lost
while remit or the bridge is down.

Users connect with a Mumble protocol client from loopback addresses remit places in mainland
China (127.0.0.10, inside the demand's scope), Hong Kong (127.0.0.20) and the US (127.0.0.50).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from mumble_server import (
    SUPERUSER_PASSWORD,
    Bridge,
    MumbleClient,
    MurmurServer,
    mumble_available,
)

from remit.store import open_enforcement_store
from remit_server import RemitServer, forged_headers, free_port

pytestmark = pytest.mark.mumble

CN, HK, US = "127.0.0.10", "127.0.0.20", "127.0.0.50"
ROOT = 0  # the root channel: the lobby refused users are moved to


@dataclass
class Deployment:
    remit: RemitServer
    murmur: MurmurServer
    bridge: Bridge
    admin: MumbleClient | None = None
    clients: list[MumbleClient] = field(default_factory=list)

    def connect(self, name: str, source: str) -> MumbleClient:
        client = MumbleClient(self.murmur.port, name, source)
        self.clients.append(client)
        return client

    def channel(self, name: str) -> tuple[int, str]:
        """A new channel (made by SuperUser), as Murmur numbers it and as remit names it."""
        assert self.admin is not None
        channel = self.admin.create_channel(name)
        return channel, f"mumble.test/1/{channel}"

    def enforce(self, resource: str) -> str:
        return self.remit.enforce(resource, f"nobody-{resource}", kind="channel")

    def enter(self, name: str, source: str, channel: int) -> MumbleClient:
        client = self.connect(name, source)
        client.enter(channel)
        client.in_channel(channel)
        return client

    def live(self, resource: str) -> list[str]:
        store = open_enforcement_store(self.remit.db)
        try:
            sessions = store.live_sessions(resource_type="channel", resource_ids=[resource])
            return sorted(s.participant for s in sessions)
        finally:
            store.close()

    def roster_is(self, resource: str, participants: list[str]) -> None:
        """Wait until remit's live roster of ``resource`` is exactly ``participants`` (the bridge
        reports a move Murmur has already made, so remit's roster follows a moment later)."""
        self.remit.wait_for(
            f"remit's roster of {resource} to be {participants}",
            lambda: self.live(resource) == participants,
        )

    def notice(self, resource: str, source: str) -> str:
        """The notice remit gives someone at ``source`` refused entry to ``resource``."""
        problem = self.remit.refusal(
            "mumble", {"type": "channel", "id": resource}, {"id": "probe", "ip": source}
        )
        return f"{problem['title']}\n\n{problem['detail']}"


@contextmanager
def deploy(tmp_path: Path, **settings: str) -> Iterator[Deployment]:
    """remit, Murmur and the bridge, set up as the guide says; all stopped at the end."""
    mumble_available()
    remit = RemitServer(tmp_path)
    port = free_port()
    token = remit.add_platform(
        "mumble", "mumble", {"url": f"http://127.0.0.1:{port}/remit/commands"}
    )
    murmur = MurmurServer()
    bridge = Bridge(murmur, remit.base, token, remit.shown["secret"], port, **settings)
    deployment = Deployment(remit, murmur, bridge)
    try:
        remit.start()
        murmur.start()
        bridge.start()
        deployment.admin = MumbleClient(murmur.port, "SuperUser", US, SUPERUSER_PASSWORD)
        deployment.clients.append(deployment.admin)
        yield deployment
    finally:
        for client in deployment.clients:
            client.close()
        print("--- remit-mumble log ---\n" + bridge.log()[-6000:])
        bridge.cleanup()
        murmur.cleanup()
        remit.stop()


@pytest.fixture
def mumble(tmp_path: Path) -> Iterator[Deployment]:
    with deploy(tmp_path) as deployment:
        yield deployment


def test_entering_a_channel_inside_the_scope_moves_the_user_out_with_remits_notice(
    mumble: Deployment,
) -> None:
    channel, resource = mumble.channel("june4")
    mumble.enforce(resource)
    mainland = mumble.connect("mainland", CN)
    mainland.enter(channel)
    mainland.in_channel(ROOT)  # moved back out, to the lobby
    mainland.wait_for("the notice", lambda kind, f: kind == 11)
    (text,) = mainland.texts()
    assert text == mumble.notice(resource, CN).replace("\n", "<br/>").replace('"', "&quot;")

    hongkong = mumble.enter("hongkong", HK, channel)
    mumble.roster_is(resource, ["hongkong"])
    assert hongkong.channel_of(hongkong.session) == channel
    assert not hongkong.texts()


def test_an_order_taking_effect_moves_out_only_the_user_inside_its_scope(
    mumble: Deployment,
) -> None:
    channel, resource = mumble.channel("vigil")
    mainland = mumble.enter("mainland", CN, channel)
    hongkong = mumble.enter("hongkong", HK, channel)
    us = mumble.enter("host", US, channel)
    mumble.roster_is(resource, ["hongkong", "host", "mainland"])

    order_id = mumble.enforce(resource)
    mainland.in_channel(ROOT)
    mainland.wait_for("the notice", lambda kind, f: kind == 11)
    assert "Ministry of Public Security" in mainland.texts()[0]
    mumble.remit.wait_for(
        "mainland off remit's roster", lambda: mumble.live(resource) == ["hongkong", "host"]
    )
    removals = mumble.remit.removals_delivered("mumble", order_id)
    assert len(removals) == 1
    for client in (hongkong, us):
        assert client.channel_of(client.session) == channel
        assert client.channel_of(mainland.session) == ROOT  # they saw mainland leave
        assert not client.texts()


def test_leaving_the_channel_or_the_server_ends_the_session_in_remit(mumble: Deployment) -> None:
    channel, resource = mumble.channel("candles")
    mainland = mumble.enter("mainland", CN, channel)
    hongkong = mumble.enter("hongkong", HK, channel)
    mumble.roster_is(resource, ["hongkong", "mainland"])
    mainland.enter(ROOT)
    mumble.remit.wait_for(
        "mainland's session to end", lambda: mumble.live(resource) == ["hongkong"]
    )
    hongkong.close()
    mumble.remit.wait_for("Hong Kong's session to end", lambda: mumble.live(resource) == [])


def test_refused_users_are_kicked_with_the_notice_when_so_configured(tmp_path: Path) -> None:
    with deploy(tmp_path, refused="kick") as mumble:
        channel, resource = mumble.channel("june4")
        mumble.enforce(resource)
        mainland = mumble.connect("mainland", CN)
        mainland.enter(channel)
        assert mainland.removed() == mumble.notice(resource, CN)
        hongkong = mumble.enter("hongkong", HK, channel)
        mumble.roster_is(resource, ["hongkong"])
        assert hongkong.channel_of(hongkong.session) == channel


def test_a_forged_command_is_refused_and_moves_no_one(mumble: Deployment) -> None:
    channel, resource = mumble.channel("forged")
    mainland = mumble.enter("mainland", CN, channel)
    (session_id,) = mumble.remit.wait_for(
        "mainland on the roster", lambda: _sessions(mumble, resource)
    )
    body = json.dumps(
        {
            "type": "participant.remove",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "data": {"session_id": session_id, "notice": {"title": "forged", "body": "forged"}},
        }
    )
    headers = forged_headers(body)
    assert httpx.post(mumble.bridge.commands_url, content=body, headers=headers).status_code == 401
    assert httpx.post(mumble.bridge.commands_url, content=body).status_code == 401
    assert mainland.channel_of(mainland.session) == channel
    mumble.roster_is(resource, ["mainland"])


def _sessions(mumble: Deployment, resource: str) -> list[str]:
    store = open_enforcement_store(mumble.remit.db)
    try:
        return [s.id for s in store.live_sessions(resource_type="channel", resource_ids=[resource])]
    finally:
        store.close()


def test_entering_while_remit_is_down_is_decided_when_it_is_back(mumble: Deployment) -> None:
    channel, resource = mumble.channel("outage")
    mumble.enforce(resource)
    mumble.remit.stop()
    mainland = mumble.enter("mainland", CN, channel)  # the default failure policy: allow
    hongkong = mumble.enter("hongkong", HK, channel)
    mumble.bridge.wait_for(
        "the bridge's warning", lambda: "remit unreachable for mainland" in mumble.bridge.log()
    )
    mumble.remit.start()
    # The sweep asks again: mainland China is moved out with the notice; Hong Kong stays.
    mainland.in_channel(ROOT)
    mainland.wait_for("the notice", lambda kind, f: kind == 11)
    mumble.remit.wait_for(
        "Hong Kong on remit's roster", lambda: mumble.live(resource) == ["hongkong"]
    )
    assert hongkong.channel_of(hongkong.session) == channel


def test_an_order_approved_while_the_bridge_is_down_is_carried_out_when_it_is_back(
    mumble: Deployment,
) -> None:
    channel, resource = mumble.channel("restart")
    mainland = mumble.enter("mainland", CN, channel)
    hongkong = mumble.enter("hongkong", HK, channel)
    mumble.bridge.wait_for(  # both decided, and in the bridge's state file
        "the bridge's state",
        lambda: len(json.loads((mumble.bridge.dir / "state.json").read_text())["users"]) == 2,
    )
    mumble.bridge.kill()  # no goodbyes
    order_id = mumble.enforce(resource)
    mumble.bridge.start()
    # The removal that could not be delivered is delivered once the bridge is back, from the
    # sessions it kept in its state file: mainland China goes, Hong Kong stays.
    mainland.in_channel(ROOT, timeout=90)
    mumble.remit.removals_delivered("mumble", order_id)
    mumble.roster_is(resource, ["hongkong"])
    assert hongkong.channel_of(hongkong.session) == channel
