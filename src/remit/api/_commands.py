"""The outbox over HTTP: every command remit sent or will send, with its delivery status."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit._checks import whole_number_text
from remit._urls import redact_urls
from remit.api._auth import PLATFORM, READ
from remit.api._endpoint import Call, Endpoint, enforcer_of, json_response
from remit.enforcement import Command, CommandStatus
from remit.errors import InvalidInput


class CommandOut(msgspec.Struct, frozen=True):
    key: str
    platform: str
    type: str
    order_id: str
    session_id: str | None
    status: str
    attempts: int
    created_at: Any
    deadline: Any
    delivered_at: Any
    last_error: str | None


class CommandListOut(msgspec.Struct, frozen=True):
    commands: list[CommandOut]


async def list_commands(call: Call) -> Response:
    query = call.request.query_params
    status = query.get("status")
    if status is not None and status not in {s.value for s in CommandStatus}:
        raise InvalidInput(f"status: {status!r} is not a command status", field="status")
    limit_text = query.get("limit", "100")
    limit = whole_number_text(limit_text, "limit", 1, 1000)
    # A platform sees its own commands only: filtered in the query, so its page is full.
    mine = call.user is not None and call.user.roles == PLATFORM
    found = await run_in_threadpool(
        lambda: enforcer_of(call.node).store.list_commands(
            status=None if status is None else CommandStatus(status),
            order_id=query.get("order_id"),
            platform=call.actor if mine else None,
            limit=limit,
        )
    )
    return json_response(CommandListOut([_command_out(c) for c in found]))


def _command_out(c: Command) -> CommandOut:
    return CommandOut(
        c.key,
        c.platform,
        c.type,
        c.order_id,
        c.session_id,
        c.status.value,
        c.attempts,
        c.created_at,
        c.deadline,
        c.delivered_at,
        None if c.last_error is None else redact_urls(c.last_error),  # recorded before too
    )


COMMAND_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", "/v1/commands", list_commands, "Commands in the outbox, with delivery status",
        READ | PLATFORM, response=CommandListOut,
        query=(
            ("status", "string", "Only commands in this status: pending, delivered, failed"),
            ("order_id", "string", "Only commands caused by this order"),
            ("limit", "integer", "At most this many (1-1000, default 100)"),
        ),
    ),
)  # fmt: skip
