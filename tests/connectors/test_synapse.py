"""The synapse connector against a real Matrix Synapse homeserver running remit's module.

Matrix clients speak the client-server API from their own loopback addresses (127.0.0.10 is in
mainland China, .20 Hong Kong, .50 the US), so Synapse records where each one is. A room is the
meeting; its creator, in the US, is the host.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from standardwebhooks import Webhook
from synapse_server import Matrix, SynapseServer, ensure_synapse

from fuzzing import authorize
from remit.api import Enforcement, Node, create_app, create_user
from remit.cli import cli
from remit.connectors import load_connectors, load_endpoints
from remit.connectors.synapse._connector import SynapseConnector
from remit.connectors.synapse._signature import SignatureError, secret_key, verify
from remit.enforcement._memory import MemoryEnforcementStore
from remit.errors import InvalidConfiguration
from remit.location import Locator, StaticSource
from remit.store import MemoryStore, open_enforcement_store
from remit_server import IN_SCOPE, RemitServer, free_port

HONG_KONG, US = "127.0.0.20", "127.0.0.50"
AUTHORITY = "Ministry of Public Security"
PLATFORM = "matrix"


def real_synapse(test: Any) -> Any:
    """A test against a real homeserver. The first one to run may install Synapse (a minute or
    two on a fresh machine), so these get 600 s rather than the suite's 300."""
    return pytest.mark.synapse(pytest.mark.timeout(600)(test))


def _name(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}"


def live_in_remit(remit: RemitServer, room: str) -> set[str]:
    """Who remit's live roster has in ``room``, read from its database."""
    store = open_enforcement_store(remit.db)
    try:
        sessions = store.live_sessions(resource_type="meeting", resource_ids=[room])
        return {s.participant for s in sessions}
    finally:
        store.close()


def kicked(host: Matrix, room: str, user: str) -> dict[str, Any] | None:
    """``user``'s membership content in ``room`` once they are out of it, else None."""
    content = host.member(room, user)
    return content if content.get("membership") == "leave" else None


class Stack:
    """remit and a homeserver wired together: the platform ``matrix`` uses the synapse
    connector, and the homeserver's module has its token and webhook secret."""

    def __init__(self, tmp: Path, on_unreachable: str = "allow") -> None:
        ensure_synapse()
        (tmp / "remit").mkdir(parents=True, exist_ok=True)
        self.remit = RemitServer(tmp / "remit")
        port = free_port()
        self.remit.add_platform(PLATFORM, "synapse", {"url": f"http://127.0.0.1:{port}"})
        self.synapse = SynapseServer(
            tmp / "synapse",
            self.remit.base,
            self.remit.tokens[PLATFORM],
            self.remit.shown["secret"],
            on_unreachable=on_unreachable,
            port=port,
        )
        self.clients: list[Matrix] = []

    def user(self, role: str, address: str) -> Matrix:
        client = self.synapse.register(_name(role), address)
        self.clients.append(client)
        return client

    def meeting(self, *addresses: str) -> tuple[Matrix, str, list[Matrix]]:
        """A room hosted from the US, with one member joined from each of ``addresses``."""
        host = self.user("host", US)
        room = host.create_room()
        members = [self.user("member", address) for address in addresses]
        for member in members:
            joined = member.join(room)
            assert joined.status_code == 200, joined.text
        return host, room, members

    def wait(self, what: str, check: Any, timeout: float = 60.0) -> Any:
        try:
            return self.remit.wait_for(what, check, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- synapse log ---\n{self.synapse.log()}") from None

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.synapse.stop()
        self.remit.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("synapse"))
    try:
        running.remit.start()
        running.synapse.start()
        yield running
    finally:
        running.close()


# Joins --------------------------------------------------------------------------------------


@real_synapse
def test_a_participant_inside_the_scope_is_refused_at_join_with_remits_notice(
    stack: Stack,
) -> None:
    host = stack.user("host", US)
    room = host.create_room()
    order = stack.remit.enforce(room, host.user_id)
    mainland = stack.user("mainland", US)
    # Seen in the US first: the join must be decided on the address it comes from.
    assert mainland.http.get("/account/whoami").status_code == 200
    in_china = mainland.from_address(IN_SCOPE)
    stack.clients.append(in_china)
    refused = in_china.join(room)
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["errcode"] == "M_FORBIDDEN"
    assert AUTHORITY in problem["error"]
    assert "China (mainland)" in problem["error"]
    assert problem["org.remit.notice"]["order_id"] == order
    assert problem["org.remit.notice"]["detail"] == problem["error"]
    never = host.http.get(f"/rooms/{quote(room)}/state/m.room.member/{quote(mainland.user_id)}")
    assert never.status_code == 404, never.text
    refusals = stack.remit.commands(PLATFORM, order_id=order)
    assert [c["type"] for c in refusals] == ["participant.refused"]

    for address in (HONG_KONG, US):
        outside = stack.user("outside", address)
        assert outside.join(room).status_code == 200
        assert host.member(room, outside.user_id)["membership"] == "join"
    assert mainland.user_id not in live_in_remit(stack.remit, room)


@real_synapse
def test_a_join_synapse_refuses_after_remits_check_leaves_no_one_on_the_roster(
    stack: Stack,
) -> None:
    host = stack.user("host", US)
    room = host.create_room(preset="private_chat")  # invite only
    uninvited = stack.user("uninvited", HONG_KONG)
    refused = uninvited.join(room)
    assert refused.status_code == 403, refused.text  # by Synapse: remit had let them through
    assert "remit" not in refused.text
    assert uninvited.user_id in live_in_remit(stack.remit, room)
    stack.wait(
        "the failed join taken off the roster",
        lambda: uninvited.user_id not in live_in_remit(stack.remit, room),
    )


# Removals -----------------------------------------------------------------------------------


@real_synapse
def test_an_order_taking_effect_removes_only_the_participant_inside_its_scope(
    stack: Stack,
) -> None:
    host, room, (mainland, hong_kong, us) = stack.meeting(IN_SCOPE, HONG_KONG, US)
    assert live_in_remit(stack.remit, room) == {
        host.user_id,
        mainland.user_id,
        hong_kong.user_id,
        us.user_id,
    }
    order = stack.remit.enforce(room, host.user_id)

    removal = stack.wait("the kick", lambda: kicked(host, room, mainland.user_id))
    assert AUTHORITY in removal["reason"]
    assert "removed" in removal["reason"]
    assert removal["org.remit.notice"]["order_id"] == order
    # The person removed is told why: their own /sync shows the kick and its reason.
    timeline = mainland.left_rooms()[room]["timeline"]["events"]
    kick = [e for e in timeline if e["type"] == "m.room.member"][-1]
    assert kick["state_key"] == mainland.user_id
    assert kick["sender"] == host.user_id
    assert kick["content"]["reason"] == removal["reason"]

    for member in (hong_kong, us):
        assert host.member(room, member.user_id)["membership"] == "join"
    removals = [c for c in stack.remit.commands(PLATFORM, order_id=order) if c["session_id"]]
    assert [(c["type"], c["status"]) for c in removals] == [("participant.remove", "delivered")]
    stack.wait(
        "the roster without the person removed",
        lambda: live_in_remit(stack.remit, room) == {host.user_id, hong_kong.user_id, us.user_id},
    )
    assert mainland.join(room).status_code == 403  # and they cannot come back


@real_synapse
def test_a_forged_command_is_refused_and_changes_nothing(stack: Stack) -> None:
    host, room, (mainland,) = stack.meeting(IN_SCOPE)
    command = {
        "type": "participant.remove",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"resource": {"id": room}, "participant": {"id": mainland.user_id}},
    }
    forged = Webhook("whsec_" + "Zm9yZ2Vk" * 4).sign("forged", datetime.now(UTC), "x")
    answer = httpx.post(
        f"{stack.synapse.base}/_synapse/client/remit/commands",
        json=command,
        headers={
            "webhook-id": "forged",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": forged,
        },
    )
    assert answer.status_code == 401, answer.text
    assert host.member(room, mainland.user_id)["membership"] == "join"


# Restarts -----------------------------------------------------------------------------------


@real_synapse
def test_a_synapse_restart_loses_neither_a_removal_nor_a_leave(stack: Stack) -> None:
    host, room, (mainland, hong_kong) = stack.meeting(IN_SCOPE, HONG_KONG)
    stack.synapse.stop()
    order = stack.remit.enforce(room, host.user_id)  # Synapse is down: delivery fails, retried
    stack.wait(
        "a failed delivery",
        lambda: any(
            c["attempts"] >= 1 and c["status"] == "pending"
            for c in stack.remit.commands(PLATFORM, order_id=order)
            if c["type"] == "participant.remove"
        ),
    )
    stack.synapse.start()
    removal = stack.wait("the kick", lambda: kicked(host, room, mainland.user_id))
    assert AUTHORITY in removal["reason"]
    assert host.member(room, hong_kong.user_id)["membership"] == "join"

    hong_kong.leave(room)  # after the restart: still reported
    stack.wait("the leave", lambda: hong_kong.user_id not in live_in_remit(stack.remit, room))
    assert live_in_remit(stack.remit, room) == {host.user_id}


@real_synapse
def test_a_remit_restart_loses_neither_a_removal_nor_a_leave(stack: Stack) -> None:
    host, room, (mainland, hong_kong, us) = stack.meeting(IN_SCOPE, HONG_KONG, US)
    stack.remit.stop()
    hong_kong.leave(room)  # remit is down: the report waits in Synapse and is retried
    stack.remit.start()
    order = stack.remit.enforce(room, host.user_id)
    removal = stack.wait("the kick", lambda: kicked(host, room, mainland.user_id))
    assert removal["org.remit.notice"]["order_id"] == order
    assert host.member(room, us.user_id)["membership"] == "join"
    stack.wait(
        "the leave reported late",
        lambda: live_in_remit(stack.remit, room) == {host.user_id, us.user_id},
    )


# remit unreachable --------------------------------------------------------------------------


@real_synapse
def test_when_remit_is_unreachable_the_operators_policy_decides_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    stack = Stack(tmp_path)  # remit is not started yet
    try:
        stack.synapse.start()
        host = stack.user("host", US)
        room = host.create_room()
        mainland = stack.user("mainland", IN_SCOPE)
        assert mainland.join(room).status_code == 200  # on_unreachable: allow (the default)
        assert "no answer for " + mainland.user_id in stack.synapse.log()

        stack.remit.start()  # the join is reported once remit is back, and an order reaches it
        stack.wait("the late join", lambda: mainland.user_id in live_in_remit(stack.remit, room))
        stack.remit.enforce(room, host.user_id)
        removal = stack.wait("the kick", lambda: kicked(host, room, mainland.user_id))
        assert AUTHORITY in removal["reason"]

        # A remit that takes connections and never answers: the module's own deadline passes.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            stack.synapse.restart(on_unreachable="deny", remit_url=url, timeout=1)
            us = stack.user("us", US)
            other = host.create_room()
            started = time.monotonic()
            refused = us.join(other)
            assert time.monotonic() - started < 5
        assert refused.status_code == 403, refused.text
        assert refused.json()["errcode"] == "M_FORBIDDEN"
        assert "could not check this join" in refused.json()["error"]
    finally:
        stack.close()


@real_synapse
def test_synapse_refuses_to_start_with_a_bad_module_config(tmp_path: Path) -> None:
    ensure_synapse()
    server = SynapseServer(
        tmp_path, "http://127.0.0.1:9", "t", "whsec_QUJD", on_unreachable="maybe"
    )
    try:
        with pytest.raises(AssertionError, match="on_unreachable must be allow or deny"):
            server.start()
    finally:
        server.stop()


# The remit side, without a homeserver ---------------------------------------------------------


def test_the_connector_points_at_the_modules_resource_and_makes_a_secret() -> None:
    settings, shown = SynapseConnector().configure({"url": "https://matrix.example/"})
    assert settings["url"] == "https://matrix.example/_synapse/client/remit/commands"
    assert settings["secret"] == shown["secret"]
    assert secret_key(shown["secret"])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://matrix.example"}, "url"),
        ({"url": "https://matrix.example", "secret": "nope"}, "secret"),
        ({"url": "https://matrix.example", "secret": "whsec_%%%"}, "secret"),
        ({"url": "https://matrix.example", "room": "x"}, "room"),
    ],
)
def test_the_connector_refuses_settings_it_cannot_use(options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidConfiguration) as refused:
        SynapseConnector().configure(options)
    assert refused.value.field == field


def test_platform_add_with_a_bad_url_exits_2_naming_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", db]).exit_code == 0
    args = ["platform", "add", "m", "--connector", "synapse", "--setting", "url=matrix", "--db", db]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "url" in result.output
    assert "Traceback" not in result.output


def test_the_modules_signature_check_accepts_standard_webhooks_and_nothing_else() -> None:
    secret = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHM="
    key, sent, body = secret_key(secret), datetime.now(UTC), '{"type":"host.notice"}'
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", sent, body),
    }
    assert verify(key, headers, body.encode(), time.time()) == "msg_1"
    with pytest.raises(SignatureError, match="no signature"):
        verify(key, headers, body.encode() + b" ", time.time())
    with pytest.raises(SignatureError, match="too far"):
        verify(key, headers, body.encode(), time.time() + 600)
    with pytest.raises(SignatureError, match="missing"):
        verify(key, {**headers, "webhook-signature": ""}, body.encode(), time.time())
    rotated = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]}
    assert verify(key, rotated, body.encode(), time.time()) == "msg_1"


# The module's two operations keep their contract: no 5xx whatever the body ------------------

_store = MemoryStore()
_node = Node(
    _store,
    Locator(ip_sources=[StaticSource({IN_SCOPE: "CN"})]),
    enforcement=Enforcement(MemoryEnforcementStore(), load_connectors()),
)
_TOKEN = create_user(_store, "fuzzer", ["platform"], now=datetime.now(UTC))
_node.resync()
_app = create_app(_node, endpoints=[e for e in load_endpoints() if "/synapse/" in e.path])
_schema = schemathesis.openapi.from_asgi("/openapi.json", _app).include(path_regex="/synapse/")
authorize(_schema, _TOKEN)


@_schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_modules_operations_keep_their_contract(case: schemathesis.Case) -> None:
    # Schema-valid addresses such as "x" are still refused, with a 422 naming the field.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
