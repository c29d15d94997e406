"""Jitsi Meet as deployed, against real servers: nginx in front of Prosody, browsers speaking XMPP
over WebSocket and BOSH through it, the lobby and breakout-room components, a visitor node (a
second Prosody) and dial-in callers, each decided by where the person is.

One deployment serves the whole module (each test has rooms of its own): remit; Prosody with
``mod_remit`` on its conference, lobby and breakout components (the Jitsi profile of the guide);
a visitor node; nginx as the guide sets it up, and nginx as Jitsi's Debian example has it (no
``X-Forwarded-For`` on ``/xmpp-websocket``). People connect from 127.0.0.10 (mainland China,
inside the demand's scope), 127.0.0.20 (Hong Kong) and 127.0.0.50 (the US).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jitsi_server import BoshXmppClient, NginxServer, WebSocketXmppClient, nginx_available
from prosody_server import MUC_USER, STANZAS, ProsodyServer, XmppRooms, prosody_available

from remit.store import open_enforcement_store
from remit_server import RemitServer, free_port

pytestmark = pytest.mark.prosody

CN, HK, US = "127.0.0.10", "127.0.0.20", "127.0.0.50"
DOMAIN, VISITOR_DOMAIN = "localhost", "v1.localhost"
MUC, LOBBY, BREAKOUT = f"conference.{DOMAIN}", f"lobby.{DOMAIN}", f"breakout.{DOMAIN}"
VISITOR_MUC = f"conference.{VISITOR_DOMAIN}"
HOST = f"host@{DOMAIN}"
JIGASI = f"jigasi@{DOMAIN}"
#: A breakout room of the main room "vigil", named by a UUID as Jitsi names them.
VIGIL_BREAKOUT = f"9b1f0c52-6a4e-4f57-9d63-2f5b8e0c7a11@{BREAKOUT}"
#: The browser of someone who reads Chinese: Accept-Language, while Strophe says xml:lang "en".
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
USERS = ("host", "mainland", "hongkong", "jigasi")
#: remit's warning when it is given a proxy's address for everyone (see the guide).
SYMPTOM = "came from 127.0.0.1"


@dataclass
class Deployment:
    remit: RemitServer
    prosody: ProsodyServer
    visitors: ProsodyServer
    nginx: NginxServer
    example_nginx: NginxServer
    clients: list[XmppRooms] = field(default_factory=list)

    def websocket(
        self,
        user: str,
        source: str,
        port: int | None = None,
        headers: dict[str, str] | None = None,
        resource: str = "web",
    ) -> WebSocketXmppClient:
        """``user``'s browser at ``source`` over WebSocket, through the guide's nginx unless
        ``port`` says otherwise; a browser of someone who reads Chinese unless ``headers``."""
        client = WebSocketXmppClient(
            port or self.nginx.port,
            user,
            source,
            domain=DOMAIN,
            headers=CHINESE if headers is None else headers,
            resource=resource,
        )
        self.clients.append(client)
        return client

    def bosh(
        self, user: str, source: str, port: int | None = None, headers: dict[str, str] | None = None
    ) -> BoshXmppClient:
        """The same over BOSH."""
        client = BoshXmppClient(
            port or self.nginx.port,
            user,
            source,
            domain=DOMAIN,
            headers=CHINESE if headers is None else headers,
        )
        self.clients.append(client)
        return client

    def visitor(self, user: str, source: str) -> WebSocketXmppClient:
        """``user``'s browser at ``source``, sent to the visitor node (its own Prosody)."""
        client = WebSocketXmppClient(
            self.visitors.http_port, user, source, domain=VISITOR_DOMAIN, headers=CHINESE
        )
        self.clients.append(client)
        return client

    def call(self, number: str, call_id: str, room: str) -> XmppRooms:
        """A call from ``number`` dialling into ``room``: jigasi's XMPP connection (one per
        call, from the gateway's own address, in the US) joins with the caller's number as its
        nickname and jigasi's feature, as jigasi's JvbConference does."""
        client = self.prosody.client("jigasi", US, resource=call_id)
        self.clients.append(client)
        client.join(
            room,
            nick=call_id,
            extra=(
                f"<nick xmlns='http://jabber.org/protocol/nick'>{number}</nick>"
                "<features><feature var='http://jitsi.org/protocol/jigasi'/></features>"
            ),
        )
        return client

    def live(self, meeting: str) -> list[str]:
        """The participants on remit's live roster of ``meeting``, sorted."""
        store = open_enforcement_store(self.remit.db)
        try:
            sessions = store.live_sessions(resource_type="meeting", resource_ids=[meeting])
            return sorted(s.participant for s in sessions)
        finally:
            store.close()

    def notice(self, meeting: str, source: str, language: str = "en") -> str:
        """The notice remit gives someone at ``source`` refused entry to ``meeting``."""
        resource = {"type": "meeting", "id": meeting, "host": HOST}
        probe = {"id": "probe@localhost", "ip": source, "language": language}
        detail: str = self.remit.refusal("jitsi", resource, probe)["detail"]
        return detail


@pytest.fixture(scope="module")
def jitsi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    prosody_available()
    nginx_available()
    tmp: Path = tmp_path_factory.mktemp("jitsi")
    remit = RemitServer(tmp)
    main_http, visitor_http = free_port(), free_port()
    token = remit.add_platform(
        "jitsi", "prosody", {"url": f"http://127.0.0.1:{main_http}/remit/commands"}
    )
    secret = remit.shown["secret"]
    visitor_token = remit.add_platform(
        "visitors", "prosody", {"url": f"http://127.0.0.1:{visitor_http}/remit/commands"}
    )
    visitor_secret = remit.shown["secret"]
    jitsi_profile = {"remit_refusal_condition": "not-allowed", "remit_dial_in_jids": JIGASI}
    satellite = {**jitsi_profile, "remit_main_muc": MUC}
    prosody = ProsodyServer(
        remit.base,
        token,
        secret,
        main_http,
        vhost_modules=("websocket", "bosh"),
        main_modules=("remit", "test_breakout_rooms"),
        components={LOBBY: satellite, BREAKOUT: satellite},
        extra_config=f'test_breakout_rooms = {{ ["{VIGIL_BREAKOUT}"] = "vigil@{MUC}" }}',
        options=jitsi_profile,
    )
    visitors = ProsodyServer(
        remit.base,
        visitor_token,
        visitor_secret,
        visitor_http,
        domain=VISITOR_DOMAIN,
        vhost_modules=("websocket",),
        options=satellite,
    )
    deployment = Deployment(
        remit,
        prosody,
        visitors,
        NginxServer(main_http, forward_websocket=True),
        NginxServer(main_http, forward_websocket=False),
    )
    try:
        prosody.register(*USERS)
        visitors.register("mainland", "hongkong")
        remit.start()
        prosody.start()
        visitors.start()
        deployment.nginx.start()
        deployment.example_nginx.start()
        yield deployment
    finally:
        for client in deployment.clients:
            client.close()
        print("--- prosody log ---\n" + prosody.log()[-6000:])
        for server in (deployment.nginx, deployment.example_nginx, visitors, prosody):
            server.cleanup()
        remit.stop()


def _enforce(jitsi: Deployment, meeting: str) -> str:
    """An order on ``meeting`` alone: its demand also names a host, one who hosts nothing here
    (the rooms' real owner hosts every test's rooms)."""
    return jitsi.remit.enforce(meeting, f"nobody-{meeting}")


def _refused(client: XmppRooms, room: str) -> ET.Element:
    """The refusal ``client`` got from ``room``, as Jitsi's client reads it: a ``not-allowed``
    error of type ``cancel``, whose text lib-jitsi-meet passes on (CONFERENCE_FAILED)."""
    error = client.refusal(room)
    assert error.get("type") == "cancel", ET.tostring(error)
    assert error.find(f"{{{STANZAS}}}not-allowed") is not None, ET.tostring(error)
    return error


def _text(error: ET.Element) -> tuple[str, str | None]:
    text = error.find(f"{{{STANZAS}}}text")
    assert text is not None, ET.tostring(error)
    assert text.text, ET.tostring(error)
    return text.text, text.get("{http://www.w3.org/XML/1998/namespace}lang")


def _left(client: XmppRooms, room: str, nick: str) -> ET.Element:
    return client.wait_for(
        f"{nick} leaving {room}",
        lambda s: s.get("from") == f"{room}/{nick}" and s.get("type") == "unavailable",
    )


def _kicked(stanza: ET.Element) -> bool:
    codes = {status.get("code") for status in stanza.iter(MUC_USER + "status")}
    return {"307", "110"} <= codes


@pytest.mark.parametrize("transport", ["websocket", "bosh"])
def test_browsers_through_nginx_are_refused_and_removed_by_where_they_are(
    jitsi: Deployment, transport: str
) -> None:
    connect = jitsi.websocket if transport == "websocket" else jitsi.bosh
    door, meeting = f"door-{transport}@{MUC}", f"meeting-{transport}@{MUC}"
    _enforce(jitsi, door)

    # At the door: refused by where the browser is, with the notice in the browser's language.
    mainland = connect("mainland", CN)
    mainland.join(door)
    text, language = _text(_refused(mainland, door))
    assert language == "zh-Hans"
    assert text == jitsi.notice(door, CN, "zh-Hans")
    hongkong = connect("hongkong", HK)
    hongkong.join(door)
    hongkong.joined(door)
    assert jitsi.live(door) == [f"hongkong@{DOMAIN}"]

    # Mid-meeting: an order taking effect kicks the browser inside its scope, and no one else.
    host = connect("host", US)
    for client in (host, hongkong, mainland):
        client.join(meeting)
        client.joined(meeting)
    _enforce(jitsi, meeting)
    reason = mainland.kicked(meeting).findtext(f".//{MUC_USER}reason") or ""
    assert "Ministry of Public Security" in reason
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason), reason  # in Chinese, as asked
    _left(host, meeting, "mainland")
    assert host.present(meeting) == {"host", "hongkong"}
    assert not any(_kicked(s) for s in host.received + hongkong.received)
    jitsi.remit.wait_for(
        "mainland off remit's roster",
        lambda: jitsi.live(meeting) == [f"hongkong@{DOMAIN}", HOST],
    )


def test_a_forged_x_forwarded_for_is_not_believed(jitsi: Deployment) -> None:
    room = f"forged@{MUC}"
    _enforce(jitsi, room)
    us = {"X-Forwarded-For": US}  # "I am in the US", says the browser in mainland China

    # Through nginx, which sets the header itself: the forged value never reaches Prosody.
    through_nginx = jitsi.websocket("mainland", CN, headers={**CHINESE, **us}, resource="ws")
    through_nginx.join(room, "via-nginx")
    _refused(through_nginx, room)
    # Straight to Prosody, which believes X-Forwarded-For only from its trusted proxies.
    direct = jitsi.bosh("mainland", CN, port=jitsi.prosody.http_port, headers={**CHINESE, **us})
    direct.join(room, "direct")
    _refused(direct, room)
    assert jitsi.live(room) == []


def test_a_refused_person_does_not_wait_in_the_lobby(jitsi: Deployment) -> None:
    room, lobby = f"lobbied@{MUC}", f"lobbied@{LOBBY}"
    host = jitsi.websocket("host", US)
    host.join(room)
    host.joined(room)
    host.send(  # the moderator turns the lobby on: the room becomes members-only
        f"<iq xmlns='jabber:client' type='set' id='lobby-on' to='{room}'>"
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
        "</value></field><field var='muc#roomconfig_membersonly'><value>1</value></field>"
        "</x></query></iq>"
    )
    host.wait_for("the lobby turned on", lambda s: s.get("id") == "lobby-on")
    hongkong, mainland = jitsi.websocket("hongkong", HK), jitsi.websocket("mainland", CN)
    for client in (hongkong, mainland):  # not members: Prosody sends them to the lobby
        client.join(room)
        error = client.refusal(room)
        assert error.find(f"{{{STANZAS}}}registration-required") is not None

    hongkong.join(lobby)
    hongkong.joined(lobby)  # waits for the moderator
    _enforce(jitsi, room)
    mainland.join(lobby)
    text, _ = _text(_refused(mainland, lobby))
    assert text == jitsi.notice(room, CN, "zh-Hans")
    assert jitsi.live(room) == [f"hongkong@{DOMAIN}", HOST]


def test_waiting_in_the_lobby_when_the_order_takes_effect_is_removed_from_it(
    jitsi: Deployment,
) -> None:
    room, lobby = f"waiting@{MUC}", f"waiting@{LOBBY}"
    hongkong, mainland = jitsi.websocket("hongkong", HK), jitsi.websocket("mainland", CN)
    for client in (hongkong, mainland):
        client.join(lobby)
        client.joined(lobby)
    assert jitsi.live(room) == [f"hongkong@{DOMAIN}", f"mainland@{DOMAIN}"]
    _enforce(jitsi, room)
    mainland.kicked(lobby)
    _left(hongkong, lobby, "mainland")
    assert hongkong.present(lobby) == {"hongkong"}


def test_breakout_rooms_are_decided_and_emptied_as_their_meeting(jitsi: Deployment) -> None:
    room = f"vigil@{MUC}"
    host = jitsi.websocket("host", US)
    host.join(room)
    host.joined(room)  # creates the room, which lists its breakout room (as Jitsi's module does)
    hongkong, mainland = jitsi.websocket("hongkong", HK), jitsi.websocket("mainland", CN)
    for client in (hongkong, mainland):  # both go to the breakout room
        client.join(VIGIL_BREAKOUT)
        client.joined(VIGIL_BREAKOUT)
    # On remit's roster as the meeting "vigil", where an order on the meeting finds them.
    assert jitsi.live(room) == [f"hongkong@{DOMAIN}", HOST, f"mainland@{DOMAIN}"]

    _enforce(jitsi, room)
    reason = mainland.kicked(VIGIL_BREAKOUT).findtext(f".//{MUC_USER}reason") or ""
    assert reason  # the notice, delivered by the conference component's endpoint
    _left(hongkong, VIGIL_BREAKOUT, "mainland")
    assert hongkong.present(VIGIL_BREAKOUT) == {"hongkong"}
    assert not any(_kicked(s) for s in host.received + hongkong.received)

    # Removed from the meeting, mainland China cannot come back by any way in.
    for way_in in (VIGIL_BREAKOUT, room, f"vigil@{LOBBY}"):
        mainland.join(way_in, nick=f"back-{way_in.split('@')[1].split('.')[0]}")
        _refused(mainland, way_in)
    jitsi.remit.wait_for(
        "mainland off remit's roster", lambda: jitsi.live(room) == [f"hongkong@{DOMAIN}", HOST]
    )


def test_visitors_on_a_visitor_node_are_decided_as_the_meeting(jitsi: Deployment) -> None:
    door, meeting = f"concert@{MUC}", f"recital@{MUC}"
    _enforce(jitsi, door)
    mainland = jitsi.visitor("mainland", CN)
    mainland.join(f"concert@{VISITOR_MUC}")
    text, _ = _text(_refused(mainland, f"concert@{VISITOR_MUC}"))
    assert text == jitsi.notice(door, CN, "zh-Hans")
    hongkong = jitsi.visitor("hongkong", HK)
    hongkong.join(f"concert@{VISITOR_MUC}")
    hongkong.joined(f"concert@{VISITOR_MUC}")
    assert jitsi.live(door) == [f"hongkong@{VISITOR_DOMAIN}"]

    visitor_room = f"recital@{VISITOR_MUC}"
    for client in (hongkong, mainland):
        client.join(visitor_room)
        client.joined(visitor_room)
    _enforce(jitsi, meeting)
    mainland.kicked(visitor_room)  # by the visitor node, the platform of that session
    _left(hongkong, visitor_room, "mainland")
    assert hongkong.present(visitor_room) == {"hongkong"}


def test_dial_in_callers_are_located_by_their_number_not_by_jigasi(jitsi: Deployment) -> None:
    room = f"phones@{MUC}"
    beijing = jitsi.call("+86 10 6552 9988", "call-beijing", room)
    kowloon = jitsi.call("sip:+85221234567@trunk.example.org", "call-kowloon", room)
    for call in (beijing, kowloon):
        call.joined(room)
    assert jitsi.live(room) == [f"{JIGASI}/call-beijing", f"{JIGASI}/call-kowloon"]

    _enforce(jitsi, room)
    beijing.kicked(room)  # the MUC kick makes jicofo end the call's media (see the guide)
    _left(kowloon, room, "call-beijing")
    assert not any(_kicked(s) for s in kowloon.received)
    jitsi.remit.wait_for(
        "the Beijing call off remit's roster",
        lambda: jitsi.live(room) == [f"{JIGASI}/call-kowloon"],
    )
    again = jitsi.call("+861065529988", "call-beijing-again", room)
    _refused(again, room)


def test_with_the_debian_examples_websocket_remit_says_it_is_given_the_proxys_address(
    jitsi: Deployment,
) -> None:
    port = jitsi.example_nginx.port
    assert SYMPTOM not in jitsi.remit.log()
    room = f"unlocated@{MUC}"
    _enforce(jitsi, room)
    # Without X-Forwarded-For on /xmpp-websocket, Prosody sees nginx (127.0.0.1) for everyone:
    # no one can be placed, so mainland China gets in despite the order. The symptom...
    people = (("host", US), ("hongkong", HK), ("mainland", CN))
    clients = [jitsi.websocket(user, source, port=port) for user, source in people]
    for client in clients:
        client.join(room)
        client.joined(room)
    for client in clients[:2]:
        client.leave(room)
        _left(clients[2], room, client.user)
        client.join(room)
        client.joined(room)
    # ... which remit names once, clearly, in its log.
    jitsi.remit.wait_for("remit's warning", lambda: SYMPTOM in jitsi.remit.log(), timeout=10)
    clients[2].leave(room)
    clients[2].join(room)
    clients[2].joined(room)
    log = jitsi.remit.log()
    assert log.count(SYMPTOM) == 1, log
    warning = next(line for line in log.splitlines() if SYMPTOM in line)
    assert "platform jitsi" in warning
    assert "X-Forwarded-For" in warning
    assert "trusted_proxies" in warning
