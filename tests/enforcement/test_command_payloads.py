"""Commands are typed: each type's payload is one definition, and the wire format stays put.

Platforms already parse these payloads, so the field names and their order here are pinned as
they were sent before the definitions existed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import msgspec
import pytest
from enforcement_builders import APPEAL_URL, HONG_KONG, NOW, SHANGHAI, in_force, session

from remit.enforcement import (
    PAYLOADS,
    Command,
    CommandType,
    Delivery,
    HostNoticeData,
    ReadmitData,
    RefusedData,
    RemoveData,
    command_data,
    decode_webhook,
    payload,
    plan,
    readmission,
    refusal,
)
from remit.errors import DeliveryError
from remit.orders import to_active

DELIVERY = Delivery(NOW, timedelta(minutes=15), APPEAL_URL)
NOTICE_FIELDS = [
    "kind", "language", "direction", "title", "body", "order_id", "appeal_url", "meeting_id",
]  # fmt: skip


def _commands() -> list[Command]:
    order = in_force()
    sessions = [session("s1"), session("s2", SHANGHAI, language="zh-CN"), session("s3", HONG_KONG)]
    planned = plan(order, to_active(order), sessions, DELIVERY)
    notice = {"title": "Unavailable", "detail": "Refused.", "language": "en", "direction": "ltr"}
    refused = refusal(order, session("s9"), "CN", notice, NOW)
    readmitted = readmission(planned[0], DELIVERY)
    assert readmitted is not None
    return [*planned, refused, readmitted]


def test_every_command_type_has_one_payload() -> None:
    assert set(PAYLOADS) == set(CommandType)
    assert {c.type for c in _commands()} == set(CommandType)


def test_the_wire_format_is_the_one_platforms_parse() -> None:
    by_type = {c.type: c.data for c in reversed(_commands())}  # the first of each type
    remove = by_type[CommandType.REMOVE]
    assert list(remove) == ["session_id", "resource", "participant", "order_id", "notice", "place"]
    assert remove["resource"] == {"type": "meeting", "id": "june4-a", "host": "host-us-1"}
    assert list(remove["resource"]) == ["type", "id", "host"]
    assert remove["participant"] == {"id": "p-s1"}
    assert (remove["order_id"], remove["place"]) == ("ord-1", "CN-BJ")
    assert list(remove["notice"]) == NOTICE_FIELDS
    assert remove["notice"]["kind"] == "removed"
    assert remove["notice"]["meeting_id"] is None
    host = by_type[CommandType.HOST_NOTICE]
    assert list(host) == ["resource", "host", "order_id", "counts", "notice"]
    assert host["host"] == {"id": "host-us-1"}
    assert host["counts"] == {"CN": 2}
    assert list(host["notice"]) == NOTICE_FIELDS
    assert host["notice"]["meeting_id"] == "june4-a"
    readmit = by_type[CommandType.READMIT]
    assert readmit == {
        "session_id": "s1",
        "resource": remove["resource"],
        "participant": {"id": "p-s1"},
        "order_id": "ord-1",
    }
    assert list(readmit) == ["session_id", "resource", "participant", "order_id"]
    refused = by_type[CommandType.REFUSED]
    assert list(refused) == ["resource", "participant", "order_id", "place", "notice"]
    assert list(refused["notice"]) == ["title", "detail", "language", "direction"]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: str(c.type))
def test_a_commands_data_decodes_once_as_its_payload(command: Command) -> None:
    decoded = payload(command)
    assert isinstance(decoded, PAYLOADS[command.type])
    assert json.dumps(command_data(decoded)) == json.dumps(command.data)


def test_the_payloads_carry_what_the_commands_say() -> None:
    commands = {c.type: payload(c) for c in reversed(_commands())}
    remove, host = commands[CommandType.REMOVE], commands[CommandType.HOST_NOTICE]
    assert isinstance(remove, RemoveData)
    assert (remove.resource.id, remove.participant.id) == ("june4-a", "p-s1")
    assert "Ministry of Public Security" in remove.notice.body
    assert isinstance(host, HostNoticeData)
    assert host.counts == {"CN": 2}
    assert isinstance(commands[CommandType.READMIT], ReadmitData)
    assert isinstance(commands[CommandType.REFUSED], RefusedData)


def test_data_that_is_not_its_types_payload_cannot_be_delivered() -> None:
    removal = _commands()[0]
    torn = replace(removal, data={k: v for k, v in removal.data.items() if k != "participant"})
    with pytest.raises(DeliveryError, match="participant"):
        payload(torn)
    with pytest.raises(DeliveryError, match="not a command type"):
        payload(replace(removal, type="account.suspend"))  # type: ignore[arg-type]


def test_a_platform_decodes_a_webhook_with_the_same_definitions() -> None:
    removal = _commands()[0]
    body = json.dumps(
        {"type": removal.type, "timestamp": NOW.isoformat(), "data": removal.data},
        ensure_ascii=False,
    )  # as the webhook connector sends it
    webhook = decode_webhook(body.encode())
    assert webhook.type is CommandType.REMOVE
    assert webhook.timestamp == NOW
    assert webhook.data == payload(removal)
    with pytest.raises(msgspec.ValidationError):
        decode_webhook(
            b'{"type": "account.suspend", "timestamp": "2020-06-04T12:00:00Z", "data": {}}'
        )
