"""The commands' payloads: what each :class:`~remit.enforcement.CommandType` carries, typed.

One definition per type, as a msgspec Struct, from which everything else follows: the builders
in :mod:`~remit.enforcement._activation` make the payloads (and nothing else makes commands),
:func:`payload` decodes a command's data once for a connector, :func:`decode_webhook` decodes a
webhook as a platform receives it, and the webhook guide's reference of the commands is written
from these definitions (``docs/connectors/webhook.md``; a test keeps the two in step).

The wire format is the platforms': a command's data is the JSON object of its payload, its
fields in the order they are declared here. Adding a field is a change platforms can ignore (so
does :func:`payload`: a field it does not know is left out); renaming or removing one breaks
them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from remit.enforcement._model import Command, CommandType
from remit.errors import DeliveryError


class ResourceRef(msgspec.Struct, frozen=True):
    """The resource, as the platform named it when the participant joined."""

    type: Annotated[str, Meta(description="the kind of resource, such as `meeting`")]
    id: Annotated[str, Meta(description="the platform's id of the resource")]
    host: Annotated[str | None, Meta(description="the account hosting it, if any")]


class PersonRef(msgspec.Struct, frozen=True):
    """A person, as the platform named them."""

    id: Annotated[str, Meta(description="the platform's id of the person")]


class NoticeData(msgspec.Struct, frozen=True):
    """A notice for one person, in their language, for the platform to show them as it is."""

    kind: Annotated[
        Literal["removed", "refused", "host"], Meta(description="who it is for, and why")
    ]
    language: Annotated[str, Meta(description="its BCP 47 language tag")]
    direction: Annotated[
        Literal["ltr", "rtl"], Meta(description="the text direction of its language")
    ]
    title: Annotated[str, Meta(description="one line, plain text")]
    body: Annotated[
        str,
        Meta(
            description="plain text: what happened, on whose demand and under which law, "
            "what was asked beside what was done, and how to appeal"
        ),
    ]
    order_id: Annotated[str, Meta(description="the order it is about")]
    appeal_url: Annotated[str, Meta(description="where to appeal")]
    meeting_id: Annotated[
        str | None, Meta(description="the meeting a host's notice is about; null otherwise")
    ]


class RefusalNotice(msgspec.Struct, frozen=True):
    """The notice a refused participant was shown in the 451 answer to their join."""

    title: Annotated[str, Meta(description="one line, plain text")]
    detail: Annotated[str, Meta(description="plain text")]
    language: Annotated[str, Meta(description="its BCP 47 language tag")]
    direction: Annotated[Literal["ltr", "rtl"], Meta(description="the text direction")]


_SESSION = Meta(description="remit's id of the participant's session (from `POST /v1/sessions`)")
_ORDER = Meta(description="the order that caused it")
_PLACE = Meta(
    description="where the participant is, inside the order's scope (a country or subdivision code)"
)


class RemoveData(msgspec.Struct, frozen=True):
    """Remove that participant from that resource, and show them the notice. Answer 2xx once they
    are out (or were gone already)."""

    session_id: Annotated[str, _SESSION]
    resource: ResourceRef
    participant: PersonRef
    order_id: Annotated[str, _ORDER]
    notice: NoticeData
    place: Annotated[str, _PLACE]


class HostNoticeData(msgspec.Struct, frozen=True):
    """Show the host the notice: how many were removed from their meeting, where, and that their
    account is untouched. One per affected meeting with a host."""

    resource: ResourceRef
    host: PersonRef
    order_id: Annotated[str, _ORDER]
    counts: Annotated[dict[str, int], Meta(description="participants removed, by country code")]
    notice: NoticeData


class ReadmitData(msgspec.Struct, frozen=True):
    """Let that participant into that resource again: an appeal released them from the order.
    One per session the order removed them from."""

    session_id: Annotated[str, Meta(description="the session they were removed from")]
    resource: ResourceRef
    participant: PersonRef
    order_id: Annotated[str, _ORDER]


class RefusedData(msgspec.Struct, frozen=True):
    """Never sent: the record of a join remit refused (its notice went out in the 451 answer),
    listed by `GET /v1/commands` as delivered. One per participant, resource, order and day."""

    resource: ResourceRef
    participant: PersonRef
    order_id: Annotated[str, _ORDER]
    place: Annotated[str, _PLACE]
    notice: RefusalNotice


Payload = RemoveData | HostNoticeData | ReadmitData | RefusedData

#: Each command type's payload.
PAYLOADS: dict[CommandType, type[Payload]] = {
    CommandType.REMOVE: RemoveData,
    CommandType.HOST_NOTICE: HostNoticeData,
    CommandType.READMIT: ReadmitData,
    CommandType.REFUSED: RefusedData,
}


def command_data(payload: msgspec.Struct) -> dict[str, Any]:
    """A payload (or a part of one) as a command's data: the JSON object the platform receives."""
    data: dict[str, Any] = msgspec.to_builtins(payload)
    return data


def payload(command: Command) -> Payload:
    """A command's data decoded as its type's payload, checked. A command whose data does not
    match its type (no remit makes one) is a :class:`~remit.errors.DeliveryError`: no connector
    can carry it."""
    kind = PAYLOADS.get(command.type)
    if kind is None:
        raise DeliveryError(f"command {command.key}: {command.type!r} is not a command type")
    try:
        return msgspec.convert(command.data, kind)
    except msgspec.ValidationError as exc:
        raise DeliveryError(f"command {command.key}: {command.type} data: {exc}") from exc


class Webhook(msgspec.Struct, frozen=True):
    """A command as a platform receives it: the body of a webhook, decoded."""

    type: CommandType
    timestamp: datetime
    data: Payload


class _Envelope(msgspec.Struct, frozen=True):
    type: CommandType
    timestamp: datetime
    data: msgspec.Raw


def decode_webhook(body: bytes) -> Webhook:
    """A webhook's body (``{"type", "timestamp", "data"}``) decoded, its data as its type's
    payload; ``msgspec.ValidationError`` or ``msgspec.DecodeError`` when it is not one."""
    envelope = msgspec.json.decode(body, type=_Envelope)
    data = msgspec.json.decode(envelope.data, type=PAYLOADS[envelope.type])
    return Webhook(envelope.type, envelope.timestamp, data)
