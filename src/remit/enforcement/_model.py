"""Live enforcement's values: platforms, sessions on the roster, and commands in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from remit.location import Location
from remit.policy import Resource


@dataclass(frozen=True, slots=True)
class Platform:
    """A platform remit sends commands to: its name, its connector and the connector's settings.

    ``connector`` names the plugin that delivers its commands (``webhook`` is built in);
    ``settings`` holds what that connector needs (for webhooks: ``url`` and ``secret``).
    """

    name: str
    connector: str
    settings: dict[str, str]
    created_at: datetime


class SessionStatus(StrEnum):
    """Where a participant's session is."""

    LIVE = "live"
    REMOVED = "removed"  # remit has ordered the removal; the command says whether it is done
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class Session:
    """One participant in one live resource, as the platform reported it.

    ``participant`` is the platform's id for the person; it and ``language`` are personal data
    and stay in the private store (never in the public log). The address or number a participant
    joined from is not here: it placed them (``location``, with every source's answer) and was
    dropped (docs/privacy.md).
    """

    id: str
    platform: str
    resource: Resource
    participant: str
    location: Location
    joined_at: datetime
    status: SessionStatus = SessionStatus.LIVE
    language: str | None = None
    ended_at: datetime | None = None


class CommandType(StrEnum):
    """What a command asks of a platform (or records): the ``type`` of its webhook. Each has a
    payload of its own, defined in :mod:`remit.enforcement._commands`."""

    REMOVE = "participant.remove"
    HOST_NOTICE = "host.notice"
    READMIT = "participant.readmit"
    REFUSED = "participant.refused"  # a record of a refused join: never sent


class CommandStatus(StrEnum):
    """Delivery state of a command in the outbox."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # not delivered before its deadline: reported, never dropped


@dataclass(frozen=True, slots=True)
class Command:
    """One thing a platform must do or be told, delivered at least once.

    ``key`` is the idempotency key: one command per key, ever (``remove/ORDER/SESSION``,
    ``host/ORDER/PLATFORM/TYPE/RESOURCE``, ``readmit/ORDER/SESSION``). The platform sees it as the
    ``webhook-id`` and may use it to ignore a repeat.
    """

    key: str
    platform: str
    type: CommandType
    #: The payload as the platform receives it (JSON): see :func:`~remit.enforcement.payload`.
    data: dict[str, Any]
    order_id: str
    session_id: str | None
    status: CommandStatus
    created_at: datetime
    next_attempt_at: datetime
    deadline: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt of the command ``key``, as the outbox records it.

    ``delivered``; ``pending`` until ``next_attempt_at`` (a retry); or ``failed`` for good.
    ``error`` says why an attempt did not deliver.
    """

    key: str
    status: CommandStatus
    at: datetime
    next_attempt_at: datetime | None = None
    error: str | None = None
