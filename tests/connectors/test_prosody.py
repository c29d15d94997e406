"""The prosody connector against a real Prosody and a real remit: refused at the door, kicked
mid-meeting, everyone outside the order's scope left alone, and nothing lost in restarts.

Participants connect from loopback addresses remit places in mainland China (127.0.0.10, inside
the demand's scope), Hong Kong (127.0.0.20) and the US (127.0.0.50, where the host is).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prosody_server import MUC, MUC_USER, STANZAS, ProsodyServer, XmppClient, prosody_available

from remit.store import open_enforcement_store
from remit_server import RemitServer, forged_headers, free_port

pytestmark = pytest.mark.prosody

CN, HK, US = "127.0.0.10", "127.0.0.20", "127.0.0.50"
HOST = "host@localhost"


@dataclass
class Deployment:
    remit: RemitServer
    prosody: ProsodyServer
    clients: list[XmppClient]

    def connect(
        self, user: str, source: str, language: str = "en", resource: str = "test"
    ) -> XmppClient:
        client = self.prosody.client(user, source, language, resource)
        self.clients.append(client)
        return client

    def enter(
        self, user: str, source: str, room: str, resource: str = "test", nick: str | None = None
    ) -> XmppClient:
        """``user`` connects from ``source`` and joins ``room``; returns once they are in."""
        client = self.connect(user, source, resource=resource)
        client.join(room, nick)
        client.joined(room)
        return client

    def live(self, room: str) -> dict[str, str]:
        """remit's live roster of ``room``: participant by session id."""
        store = open_enforcement_store(self.remit.db)
        try:
            sessions = store.live_sessions(resource_type="meeting", resource_ids=[room])
            return {s.id: s.participant for s in sessions}
        finally:
            store.close()

    def notice(self, room: str, source: str, language: str = "en") -> str:
        """The notice remit gives someone at ``source`` refused entry to ``room``."""
        resource = {"type": "meeting", "id": room, "host": HOST}
        probe = {"id": "probe@localhost", "ip": source, "language": language}
        detail: str = self.remit.refusal("prosody", resource, probe)["detail"]
        return detail


@contextmanager
def deploy(tmp_path: Path, **options: str) -> Iterator[Deployment]:
    """remit and Prosody with ``mod_remit``, set up as the guide says; both stopped at the end."""
    prosody_available()
    remit = RemitServer(tmp_path)
    http_port = free_port()
    token = remit.add_platform(
        "prosody", "prosody", {"url": f"http://127.0.0.1:{http_port}/remit/commands"}
    )
    prosody = ProsodyServer(remit.base, token, remit.shown["secret"], http_port, options=options)
    deployment = Deployment(remit, prosody, [])
    try:
        prosody.register("host", "mainland", "hongkong")
        remit.start()
        prosody.start()
        yield deployment
    finally:
        for client in deployment.clients:
            client.close()
        print("--- prosody log ---\n" + prosody.log()[-8000:])
        prosody.cleanup()
        remit.stop()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with deploy(tmp_path) as deployment:
        yield deployment


def test_a_participant_inside_the_scope_is_refused_with_remits_notice(
    deployment: Deployment,
) -> None:
    room = f"june4@{MUC}"
    deployment.remit.enforce(room, HOST)
    host = deployment.enter("host", US, room)

    mainland = deployment.connect("mainland", CN, language="zh-Hans")
    mainland.join(room)
    error = mainland.refusal(room)
    assert error.find(f"{{{STANZAS}}}forbidden") is not None
    text = error.find(f"{{{STANZAS}}}text")
    assert text is not None
    assert text.text == deployment.notice(room, CN, "zh-Hans")

    deployment.enter("hongkong", HK, room)
    host.sees(room, "hongkong")
    assert host.present(room) == {"host", "hongkong"}
    assert sorted(deployment.live(room).values()) == ["hongkong@localhost", "host@localhost"]


def test_an_order_taking_effect_kicks_only_the_participant_inside_its_scope(
    deployment: Deployment,
) -> None:
    room = f"vigil@{MUC}"
    host = deployment.enter("host", US, room)
    mainland = deployment.enter("mainland", CN, room)
    hongkong = deployment.enter("hongkong", HK, room)
    host.sees(room, "mainland")
    host.sees(room, "hongkong")
    assert len(deployment.live(room)) == 3

    order_id = deployment.remit.enforce(room, HOST)

    kick = mainland.kicked(room)
    reason = kick.findtext(f".//{MUC_USER}reason")
    assert reason is not None
    assert "Ministry of Public Security" in reason
    for client in (host, hongkong):
        client.wait_for(
            "mainland's kick",
            lambda s: s.get("from") == f"{room}/mainland" and s.get("type") == "unavailable",
        )
        assert client.present(room) == {"host", "hongkong"}
    deployment.remit.wait_for(
        "mainland off remit's roster",
        lambda: sorted(deployment.live(room).values()) == ["hongkong@localhost", "host@localhost"],
    )
    removals = deployment.remit.removals_delivered("prosody", order_id)
    assert len(removals) == 1
    told = host.wait_for(
        "the host's notice",
        lambda s: (
            s.tag == "{jabber:client}message"
            and s.get("from") == room
            and s.get("type") == "normal"
        ),
    )
    body = told.findtext("{jabber:client}body") or ""
    assert "1 in China (mainland)" in body
    assert "your account is untouched" in body


def test_a_leave_ends_the_session_in_remit(deployment: Deployment) -> None:
    room = f"candles@{MUC}"
    host = deployment.enter("host", US, room)
    mainland = deployment.enter("mainland", CN, room)
    assert sorted(deployment.live(room).values()) == ["host@localhost", "mainland@localhost"]

    mainland.leave(room)
    deployment.remit.wait_for(
        "mainland's session to end",
        lambda: sorted(deployment.live(room).values()) == ["host@localhost"],
    )
    host.close()  # a dropped connection is a leave too
    deployment.remit.wait_for("the host's session to end", lambda: not deployment.live(room))


def test_a_forged_command_is_refused_and_kicks_no_one(deployment: Deployment) -> None:
    room = f"forged@{MUC}"
    mainland = deployment.enter("mainland", CN, room)
    (session_id,) = deployment.live(room)
    body = json.dumps(
        {
            "type": "participant.remove",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "data": {
                "session_id": session_id,
                "resource": {"type": "meeting", "id": room},
                "participant": {"id": "mainland@localhost"},
                "notice": {"title": "forged", "body": "forged"},
            },
        }
    )
    headers = forged_headers(body)
    answer = httpx.post(deployment.prosody.commands_url, content=body, headers=headers)
    assert answer.status_code == 401
    unsigned = httpx.post(deployment.prosody.commands_url, content=body)
    assert unsigned.status_code == 401
    host = deployment.connect("host", US)
    host.join(room)
    host.sees(room, "mainland")  # still there
    assert session_id in deployment.live(room)
    assert not any(_self_kick(s) for s in mainland.received)


def _self_kick(stanza: ET.Element) -> bool:
    """Whether ``stanza`` tells its receiver that they were kicked (307 about themselves, 110)."""
    codes = {status.get("code") for status in stanza.iter(MUC_USER + "status")}
    return {"307", "110"} <= codes


def test_a_person_on_two_devices_loses_only_the_one_inside_the_scope(
    deployment: Deployment,
) -> None:
    room = f"devices@{MUC}"
    host = deployment.enter("host", US, room)
    # One account, one nickname, two devices: a laptop in Hong Kong, a phone in mainland China.
    laptop = deployment.enter("mainland", HK, room, resource="laptop", nick="traveller")
    phone = deployment.enter("mainland", CN, room, resource="phone", nick="traveller")
    assert len(deployment.live(room)) == 3

    deployment.remit.enforce(room, HOST)

    phone.kicked(room)
    deployment.remit.wait_for(
        "the phone off remit's roster", lambda: len(deployment.live(room)) == 2
    )
    assert not any(_self_kick(s) for s in laptop.received)
    assert not any(_self_kick(s) for s in host.received)
    # The laptop is still in the room: a message it sends reaches the host.
    laptop.say(room, "still here")
    host.wait_for(
        "the laptop's message",
        lambda s: (
            s.get("from") == f"{room}/traveller"
            and s.findtext("{jabber:client}body") == "still here"
        ),
    )


def test_remit_restarted_between_join_and_order_still_removes(deployment: Deployment) -> None:
    room = f"restart-remit@{MUC}"
    host = deployment.enter("host", US, room)
    mainland = deployment.enter("mainland", CN, room)
    hongkong = deployment.enter("hongkong", HK, room)

    deployment.remit.kill()
    deployment.remit.start()
    deployment.remit.enforce(room, HOST)

    mainland.kicked(room)
    hongkong.wait_for(
        "mainland's kick",
        lambda s: s.get("from") == f"{room}/mainland" and s.get("type") == "unavailable",
    )
    assert hongkong.present(room) == {"host", "hongkong"}
    assert not any(_self_kick(s) for s in hongkong.received + host.received)


def test_an_order_approved_while_prosody_is_down_is_carried_out_when_it_is_back(
    deployment: Deployment,
) -> None:
    room = f"restart-prosody@{MUC}"
    deployment.enter("host", US, room)
    mainland = deployment.enter("mainland", CN, room)
    assert len(deployment.live(room)) == 2

    deployment.prosody.kill()  # no goodbyes: every occupant vanishes at once
    order_id = deployment.remit.enforce(room, HOST)
    deployment.prosody.start()

    # The sessions that vanished with Prosody are ended in remit, and the removal that could not
    # be delivered while Prosody was down is delivered (its occupant is gone), not dropped.
    deployment.remit.wait_for("the vanished sessions to end", lambda: not deployment.live(room))
    deployment.remit.removals_delivered("prosody", order_id, timeout=90)
    # Everyone comes back: the host and Hong Kong get in, mainland China is refused.
    deployment.enter("host", US, room)
    deployment.enter("hongkong", HK, room)
    mainland = deployment.connect("mainland", CN)
    mainland.join(room)
    mainland.refusal(room)
    assert sorted(deployment.live(room).values()) == ["hongkong@localhost", "host@localhost"]


def test_joins_go_on_while_remit_is_unreachable_by_default(deployment: Deployment) -> None:
    room = f"unreachable@{MUC}"
    deployment.remit.enforce(room, HOST)
    deployment.remit.stop()
    mainland = deployment.connect("mainland", CN)
    mainland.join(room)
    mainland.joined(room)  # the default failure policy: allow, and log
    assert "remit unreachable for a join to " + room in deployment.prosody.log()


def test_joins_are_refused_while_remit_is_unreachable_when_so_configured(tmp_path: Path) -> None:
    options = {"remit_failure_policy": "deny", "remit_timeout": "2"}
    with deploy(tmp_path, remit_exempt_jids=HOST, **options) as deployment:
        room = f"unreachable@{MUC}"
        deployment.remit.stop()
        hongkong = deployment.connect("hongkong", HK)
        hongkong.join(room)
        error = hongkong.refusal(room)
        assert error.find(f"{{{STANZAS}}}service-unavailable") is not None
        host = deployment.connect("host", US)  # exempt: a service account remit never decides
        host.join(room)
        host.joined(room)
        deployment.remit.start()
        hongkong.join(room)
        hongkong.joined(room)
        assert list(deployment.live(room).values()) == ["hongkong@localhost"]


def _let_in_while_remit_is_down(deployment: Deployment, room: str) -> tuple[XmppClient, ...]:
    """The host enters ``room`` with remit up; then remit stops, and mainland China and Hong Kong
    join: both let in (the default failure policy), with a warning each, on no roster of remit's."""
    host = deployment.enter("host", US, room)
    deployment.remit.stop()
    mainland = deployment.enter("mainland", CN, room)
    hongkong = deployment.enter("hongkong", HK, room)
    host.sees(room, "mainland")
    host.sees(room, "hongkong")
    assert deployment.prosody.log().count("remit unreachable for a join to " + room) == 2
    assert sorted(deployment.live(room).values()) == ["host@localhost"]
    return host, mainland, hongkong


def test_joins_let_in_while_remit_was_down_are_removed_by_a_later_order(
    deployment: Deployment,
) -> None:
    room = f"outage@{MUC}"
    host, mainland, hongkong = _let_in_while_remit_is_down(deployment, room)

    deployment.remit.start()
    # The sweep reports both joins: they are on remit's roster like everyone else.
    deployment.remit.wait_for(
        "the joins made during the outage on remit's roster",
        lambda: (
            sorted(deployment.live(room).values())
            == ["hongkong@localhost", "host@localhost", "mainland@localhost"]
        ),
        timeout=30,
    )
    order_id = deployment.remit.enforce(room, HOST)

    reason = mainland.kicked(room).findtext(f".//{MUC_USER}reason")
    assert reason is not None
    assert "Ministry of Public Security" in reason
    hongkong.wait_for(
        "mainland's kick",
        lambda s: s.get("from") == f"{room}/mainland" and s.get("type") == "unavailable",
    )
    assert hongkong.present(room) == {"host", "hongkong"}
    assert not any(_self_kick(s) for s in hongkong.received + host.received)
    deployment.remit.removals_delivered("prosody", order_id)
    deployment.remit.wait_for(
        "mainland off remit's roster",
        lambda: sorted(deployment.live(room).values()) == ["hongkong@localhost", "host@localhost"],
    )


def test_joins_let_in_while_remit_was_down_meet_the_order_in_force_when_it_is_back(
    deployment: Deployment,
) -> None:
    room = f"outage-order@{MUC}"
    deployment.remit.enforce(room, HOST)
    host, mainland, hongkong = _let_in_while_remit_is_down(deployment, room)

    deployment.remit.start()
    # The sweep reports both joins; remit refuses mainland China's, and the module kicks them
    # with remit's notice, as a removal does. Hong Kong stays, now on remit's roster.
    reason = mainland.kicked(room).findtext(f".//{MUC_USER}reason")
    assert reason is not None
    assert deployment.notice(room, CN) in reason
    assert "Ministry of Public Security" in reason
    deployment.remit.wait_for(
        "Hong Kong on remit's roster",
        lambda: sorted(deployment.live(room).values()) == ["hongkong@localhost", "host@localhost"],
        timeout=30,
    )
    hongkong.wait_for(
        "mainland's kick",
        lambda s: s.get("from") == f"{room}/mainland" and s.get("type") == "unavailable",
    )
    assert hongkong.present(room) == {"host", "hongkong"}
    assert not any(_self_kick(s) for s in hongkong.received + host.received)
    assert "removed mainland@localhost/test from " + room in deployment.prosody.log()
