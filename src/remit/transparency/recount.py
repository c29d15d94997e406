"""Recounting the transparency report from the public log alone, as ``remit log verify --full
--report`` does: anyone holding the verified entries can rebuild every number the operator
publishes, and see whether the published report says the same.

:func:`orders_from_entries` rebuilds each order from its ``order.received`` and
``order.transition`` entries: what the report needs of it (authority, legal basis, case id, the
request's actions and scope, the number of targets, every step with its time, the scope enforced)
is all in the log; what the log leaves out (names, reasons, the demand's text, raw target ids) is
not counted by the report either. :func:`recount` builds the report from those orders and the
log's enforcement-count and appeal entries for the published report's own period and generation
time, and :func:`differences` names every number on which the two disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from remit.errors import InvalidInput, VerificationError
from remit.orders import (
    Authority,
    AuthorityKind,
    Order,
    OrderType,
    Request,
    RequestedAction,
    Status,
    Transition,
)
from remit.policy import ANY_PLATFORM, Target
from remit.transparency import entries as log_entries
from remit.transparency.report import TransparencyReport, build_report, to_json

__all__ = ["differences", "orders_from_entries", "published_period", "recount"]


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _maybe_moment(value: Any) -> datetime | None:
    return None if value is None else _moment(value)


def _received(entry: Mapping[str, Any]) -> Order:
    authority = entry["authority"]
    request = entry["request"]
    targets = tuple(
        Target(str(t["type"]), str(t["hmac"]), str(t.get("platform", ANY_PLATFORM)))
        for t in entry["targets"]
    )
    at = _moment(entry["at"])
    first = Transition(int(entry["seq"]), "record", None, Status.RECEIVED, "intake", at, "")
    return Order(
        id=str(entry["order"]),
        type=OrderType(entry["type"]),
        authority=Authority(
            str(authority["name"]),
            AuthorityKind(authority["kind"]),
            str(authority["jurisdiction"]),
        ),
        legal_basis=str(entry["legal_basis"]),
        case_id=None if entry["case_id"] is None else str(entry["case_id"]),
        received_at=_moment(entry["received_at"]),
        request=Request(
            "",
            tuple(RequestedAction(a) for a in request["actions"]),
            tuple(str(code) for code in request["scope"]),
        ),
        targets=targets,
        recorded_by="",
        status=Status.RECEIVED,
        version=1,
        effective_from=_maybe_moment(entry["effective_from"]),
        effective_until=_maybe_moment(entry["effective_until"]),
        transitions=(first,),
    )


def _step(order: Order, entry: Mapping[str, Any]) -> Order:
    sequence = int(entry["seq"])
    if sequence != len(order.transitions) + 1:
        raise ValueError(f"step {sequence} of {order.id} follows step {len(order.transitions)}")
    scope = None if entry["scope"] is None else tuple(str(code) for code in entry["scope"])
    to = Status(entry["to"])
    step = Transition(
        sequence,
        str(entry["action"]),
        None if entry["from"] is None else Status(entry["from"]),
        to,
        str(entry["actor_role"]),
        _moment(entry["at"]),
        "",
        scope=scope,
    )
    return replace(
        order,
        status=to,
        version=order.version + 1,
        transitions=(*order.transitions, step),
        scope=order.scope if scope is None else scope,
    )


def orders_from_entries(
    entries: Iterable[bytes], *, until: datetime | None = None
) -> tuple[list[Order], list[bytes]]:
    """The orders the log's entries describe, and its enforcement-count and appeal entries.

    With ``until``, only what the log held at that time: steps taken after it, and counts of days
    not closed by then, are left out. ``VerificationError`` naming the entry for one that does not
    parse, or that contradicts the entries before it.
    """
    found: dict[str, Order] = {}
    others: list[bytes] = []
    for index, data in enumerate(entries):
        entry = log_entries.parse_entry(data)
        kind = entry["kind"]
        try:
            if kind in (log_entries.ENFORCEMENT_COUNTS, log_entries.APPEAL_OUTCOME):
                if until is None or _early_enough(entry, until):
                    others.append(data)
                continue
            if until is not None and _moment(entry["at"]) > until:
                continue
            order_id = str(entry["order"])
            if kind == log_entries.ORDER_RECEIVED:
                if order_id in found:
                    raise ValueError(f"{order_id} is received twice")
                found[order_id] = _received(entry)
            elif order_id not in found:
                raise ValueError(f"a step of {order_id}, never received")
            else:
                found[order_id] = _step(found[order_id], entry)
        except (KeyError, TypeError, ValueError, InvalidInput) as exc:
            text = exc.message if isinstance(exc, InvalidInput) else str(exc)
            raise VerificationError(f"entry {index}: {text}", field="entries") from exc
    return list(found.values()), others


def _early_enough(entry: Mapping[str, Any], until: datetime) -> bool:
    if entry["kind"] == log_entries.APPEAL_OUTCOME:
        return _moment(entry["at"]) <= until
    return date.fromisoformat(str(entry["day"])) < until.astimezone(UTC).date()


def published_period(published: Any) -> tuple[date, date, datetime]:
    """The period and generation time of a published report (its JSON, parsed);
    ``InvalidInput`` naming the field when it is not a transparency report."""
    if not isinstance(published, dict):
        raise InvalidInput("the published report is not a JSON object", field="report")
    try:
        start = date.fromisoformat(str(published["period_start"]))
        end = date.fromisoformat(str(published["period_end"]))
        generated = _moment(published["generated_at"])
    except KeyError as exc:
        raise InvalidInput(
            f"the published report has no {exc.args[0]}: is it the JSON report?", field="report"
        ) from exc
    except ValueError as exc:
        raise InvalidInput(f"the published report's period: {exc}", field="report") from exc
    return start, end, generated


def recount(entries: Iterable[bytes], published: Any) -> TransparencyReport:
    """The report for the published report's period and generation time, from ``entries``."""
    start, end, generated = published_period(published)
    found, others = orders_from_entries(entries, until=generated)
    return build_report(found, others, start=start, end=end, generated_at=generated)


def _keyed(path: str, items: list[Any]) -> dict[str, Any]:
    """A list of rows or demands as a mapping by what names each, so that a missing row reads
    as one missing row, not as every later row shifted."""
    keyed: dict[str, Any] = {}
    for n, item in enumerate(items):
        if isinstance(item, dict) and "order" in item and path == "demands":
            keyed[str(item["order"])] = item
        elif isinstance(item, dict) and "territory_code" in item and path == "rows":
            keyed[f"{item['territory_code']}/{item.get('requester_kind')}"] = item
        else:
            keyed[str(n)] = item
    return keyed


def _compare(path: str, published: Any, rebuilt: Any, out: list[str]) -> None:
    if isinstance(published, dict) and isinstance(rebuilt, dict):
        for key in sorted(set(published) | set(rebuilt), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in published:
                out.append(
                    f"{where}: missing from the published report, the log gives "
                    f"{_show(rebuilt[key])}"
                )
            elif key not in rebuilt:
                out.append(f"{where}: published {_show(published[key])}, the log has none")
            else:
                _compare(where, published[key], rebuilt[key], out)
        return
    if path in ("rows", "demands") and isinstance(published, list) and isinstance(rebuilt, list):
        _compare(path, _keyed(path, published), _keyed(path, rebuilt), out)
        return
    if published != rebuilt:
        out.append(f"{path}: published {_show(published)}, the log gives {_show(rebuilt)}")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(published: Any, rebuilt: TransparencyReport) -> list[str]:
    """Every value on which the published report (its JSON, parsed) and the one rebuilt from
    the log disagree, one line each (none: they agree)."""
    out: list[str] = []
    _compare("", published, json.loads(to_json(rebuilt)), out)
    return out
