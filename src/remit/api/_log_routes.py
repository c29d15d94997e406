"""The public transparency endpoints: the log, its proofs, and the transparency report.

No token: the log is public. It is the node's :class:`~remit.transparency.TransparencyLog`
(``Node(..., log=log)``); a node without one answers ``503``.
"""

from __future__ import annotations

import base64
import re
from datetime import date

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from remit.api._endpoint import JSON, Call, Endpoint, log_of
from remit.api._node import Node
from remit.errors import InvalidInput
from remit.transparency import MAX_ENTRIES_PER_CALL, TransparencyLog
from remit.transparency import entries as log_entries
from remit.transparency import report as reports

__all__ = [
    "LOG_ENDPOINTS",
    "ConsistencyProofOut",
    "InclusionProofOut",
    "LogEntriesOut",
    "LogEntryOut",
    "report_of",
    "transparency_log",
]

_WHOLE = re.compile(r"[0-9]{1,20}")
_REPORT_KINDS = (log_entries.ENFORCEMENT_COUNTS, log_entries.APPEAL_OUTCOME)


class LogEntryOut(msgspec.Struct):
    index: int
    data: str  # base64 of the entry's bytes (canonical JSON)


class LogEntriesOut(msgspec.Struct):
    entries: list[LogEntryOut]


class InclusionProofOut(msgspec.Struct):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(msgspec.Struct):
    first: int
    second: int
    proof: list[str]


def transparency_log(call: Call) -> TransparencyLog:
    """The log this node keeps (a 503 problem when none)."""
    return log_of(call.node)


def report_of(node: Node, start: date | None, end: date | None) -> reports.TransparencyReport:
    """The transparency report for a period, from the orders and the log: the API's and the
    console's."""
    orders = node.store.changes_since(0).orders
    entries = log_of(node).entries_of_kind(_REPORT_KINDS)
    return reports.build_report(orders, entries, start=start, end=end, generated_at=node.clock())


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _whole(call: Call, name: str, default: int | None = None) -> int:
    """The query parameter ``name``, a whole number; ``default`` when absent (None: required)."""
    text = call.request.query_params.get(name)
    if text is None:
        if default is None:
            raise InvalidInput(f"{name}: required", field=name)
        return default
    if not _WHOLE.fullmatch(text):
        raise InvalidInput(f"{name}: must be a whole number from 0", field=name)
    return int(text)


def _json(value: object) -> Response:
    return Response(msgspec.json.encode(value), 200, media_type=JSON)


async def log_checkpoint(call: Call) -> Response:
    log = transparency_log(call)
    note = await run_in_threadpool(log.checkpoint)
    return Response(note, 200, media_type="text/plain; charset=utf-8")


async def log_entries_route(call: Call) -> Response:
    log = transparency_log(call)
    start = _whole(call, "start", 0)
    end = _whole(call, "end", start + MAX_ENTRIES_PER_CALL)
    if end < start:
        raise InvalidInput(f"end: {end} is before start {start}", field="end")
    found = await run_in_threadpool(log.entries, start, end)
    return _json(LogEntriesOut([LogEntryOut(start + n, _b64(d)) for n, d in enumerate(found)]))


async def log_inclusion(call: Call) -> Response:
    log = transparency_log(call)
    index = _whole(call, "index")
    if "size" not in call.request.query_params:
        await run_in_threadpool(log.refresh)
    size = _whole(call, "size", log.size)
    proof = await run_in_threadpool(log.inclusion_proof, index, size)
    leaf = log.leaf_hash(index)
    return _json(InclusionProofOut(index, size, _b64(leaf), [_b64(h) for h in proof]))


async def log_consistency(call: Call) -> Response:
    log = transparency_log(call)
    first = _whole(call, "first")
    if "second" not in call.request.query_params:
        await run_in_threadpool(log.refresh)
    second = _whole(call, "second", log.size)
    proof = await run_in_threadpool(log.consistency_proof, first, second)
    return _json(ConsistencyProofOut(first, second, [_b64(h) for h in proof]))


def _day(call: Call, name: str) -> date | None:
    text = call.request.query_params.get(name)
    return None if text is None else reports.parse_day(text, name)


async def transparency_report(call: Call) -> Response:
    transparency_log(call)  # a 503 before anything else when there is none
    start, end = _day(call, "from"), _day(call, "to")
    format = call.request.query_params.get("format", "json")
    if format not in reports.FORMATS:
        raise InvalidInput(f"format: must be one of {', '.join(reports.FORMATS)}", field="format")
    node = call.node

    def build() -> str:
        return reports.render(report_of(node, start, end), format)

    text = await run_in_threadpool(build)
    media_type = reports.MEDIA_TYPES[format]
    return Response(text, 200, media_type=f"{media_type}; charset=utf-8")


_RANGE = "index"  # a query parameter that is a position or size in the log: 0 and up

LOG_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/log/checkpoint", log_checkpoint,
             "The log's latest signed checkpoint (C2SP tlog-checkpoint, signed note)", None,
             media_type="text/plain"),
    Endpoint("GET", "/v1/log/entries", log_entries_route,
             f"Entries from start to end - 1 (at most {MAX_ENTRIES_PER_CALL}), base64", None,
             response=LogEntriesOut,
             query=(
                 ("start", _RANGE, "First index (default 0)"),
                 ("end", _RANGE, f"Index after the last (default start + {MAX_ENTRIES_PER_CALL})"),
             )),
    Endpoint("GET", "/v1/log/proof/inclusion", log_inclusion,
             "Inclusion proof of entry index in the tree of size entries", None,
             response=InclusionProofOut,
             query=(
                 ("index", _RANGE, "The entry's index (required)"),
                 ("size", _RANGE, "The tree size, of a checkpoint (default: the log's size)"),
             )),
    Endpoint("GET", "/v1/log/proof/consistency", log_consistency,
             "Consistency proof from the tree of first entries to the tree of second", None,
             response=ConsistencyProofOut,
             query=(
                 ("first", _RANGE, "The older tree size, at least 1 (required)"),
                 ("second", _RANGE, "The newer tree size (default: the log's size)"),
             )),
    Endpoint("GET", "/v1/reports/transparency", transparency_report,
             "The transparency report for a period, as JSON, CSV or HTML", None,
             response=reports.TransparencyReport,
             other_media_types=("text/csv", "text/html"),
             query=(
                 ("from", "date", "First day of the period, YYYY-MM-DD (default: first demand)"),
                 ("to", "date", "Last day of the period, YYYY-MM-DD (default: today, UTC)"),
                 ("format", "enum:json|csv|html", "json (default), csv or html"),
             )),
)  # fmt: skip
