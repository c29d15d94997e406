"""What the public log says: one canonical JSON object per entry, with no personal data.

Every entry is a JSON object with sorted keys, no spaces, UTF-8, carrying ``kind`` and the schema
version ``v``. The kinds:

``order.received``
    a demand as received: its public fields (type, authority name/kind/jurisdiction, legal
    basis, case id, dates, the action and scope asked for, the document's SHA-256) and its
    targets as keyed hashes only (HMAC-SHA256 under the log's secret), never raw ids.
``order.transition``
    one later step of an order: action, from, to, time, the actor's *role* (never a name), the
    scope and checklist when the step set them. Reasons and justifications are not logged: they
    may name people. Activation, expiry and lifting are transitions (``activate``, ``expire``,
    ``lift``).
``enforcement.counts``
    for one order and one day, how many participants were refused or removed, per country.
``appeal.outcome``
    an appeal filed, upheld or reversed, with the scope it concerns.

Keys (not part of the entry) make appends idempotent: ``order/<id>/<sequence>``,
``enforcement/<order>/<day>``, ``appeal/<order>/<appeal or digest>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from remit import jurisdictions
from remit.errors import InvalidInput, VerificationError
from remit.orders import SYSTEM, Order, Transition
from remit.policy import ANY_PLATFORM, Target
from remit.transparency._logstore import LogRecord

__all__ = [
    "APPEAL_OUTCOME",
    "APPEAL_OUTCOMES",
    "ENFORCEMENT_COUNTS",
    "KINDS",
    "ORDER_RECEIVED",
    "ORDER_TRANSITION",
    "SCHEMA_VERSION",
    "appeal_record",
    "canonical_json",
    "enforcement_record",
    "order_key",
    "order_records",
    "parse_entry",
    "target_hash",
]

SCHEMA_VERSION = 1
ORDER_RECEIVED = "order.received"
ORDER_TRANSITION = "order.transition"
ENFORCEMENT_COUNTS = "enforcement.counts"
APPEAL_OUTCOME = "appeal.outcome"
KINDS = frozenset({ORDER_RECEIVED, ORDER_TRANSITION, ENFORCEMENT_COUNTS, APPEAL_OUTCOME})
APPEAL_OUTCOMES = frozenset({"filed", "upheld", "reversed"})

#: The role an action needs, logged instead of the person who took it.
_ROLE_OF_ACTION = {
    "record": "intake",
    "review": "reviewer",
    "approve": "reviewer",
    "reject": "reviewer",
    "clarify": "reviewer",
    "lift": "reviewer",
    "answer": "staff",  # intake or reviewer
}
_COUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_MAX_COUNT = 10**12


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8, no NaN."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a log entry must be plain JSON: {exc}", field="entry") from exc
    return text.encode("utf-8")


def parse_entry(data: bytes) -> dict[str, Any]:
    """Read an entry; ``VerificationError`` unless it is canonical JSON of a known kind."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError("the entry is not UTF-8 JSON", field="entry") from exc
    if not isinstance(value, dict):
        raise VerificationError("the entry is not a JSON object", field="entry")
    if canonical_json(value) != data:
        raise VerificationError("the entry is not canonical JSON", field="entry")
    if value.get("kind") not in KINDS or value.get("v") != SCHEMA_VERSION:
        raise VerificationError(
            f"unknown entry kind {value.get('kind')!r} or version {value.get('v')!r}",
            field="entry",
        )
    return value


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def target_hash(secret: bytes, target: Target) -> str:
    """The keyed hash of a target (HMAC-SHA256 of ``type`` NL ``id``), hex: no raw ids."""
    message = f"{target.type}\n{target.id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def order_key(order_id: str, sequence: int) -> str:
    """The idempotency key of an order's transition ``sequence``."""
    return f"order/{order_id}/{sequence}"


def _received(order: Order, first: Transition, secret: bytes) -> dict[str, Any]:
    document = order.document
    return {
        "kind": ORDER_RECEIVED,
        "v": SCHEMA_VERSION,
        "order": order.id,
        "seq": first.sequence,
        "at": _time(first.at),
        "type": order.type.value,
        "authority": {
            "name": order.authority.name,
            "kind": order.authority.kind.value,
            "jurisdiction": order.authority.jurisdiction,
        },
        "legal_basis": order.legal_basis,
        "case_id": order.case_id,
        "received_at": _time(order.received_at),
        "effective_from": _time(order.effective_from),
        "effective_until": _time(order.effective_until),
        "request": {
            "actions": [action.value for action in order.request.actions],
            "scope": list(order.request.scope),
        },
        "targets": [_target(secret, t) for t in order.targets],
        "document_sha256": None if document is None else document.sha256,
    }


def _target(secret: bytes, target: Target) -> dict[str, str]:
    """A target as the log holds it: its type and keyed hash, and the platform it is on when it
    names one (a target on every platform, as every target was before, has no ``platform``)."""
    entry = {"type": target.type, "hmac": target_hash(secret, target)}
    if target.platform != ANY_PLATFORM:
        entry["platform"] = target.platform
    return entry


def _transition(order: Order, step: Transition) -> dict[str, Any]:
    role = "system" if step.actor == SYSTEM else _ROLE_OF_ACTION.get(step.action, "staff")
    entry: dict[str, Any] = {
        "kind": ORDER_TRANSITION,
        "v": SCHEMA_VERSION,
        "order": order.id,
        "seq": step.sequence,
        "action": step.action,
        "from": None if step.from_status is None else step.from_status.value,
        "to": step.to_status.value,
        "at": _time(step.at),
        "actor_role": role,
        "scope": None if step.scope is None else list(step.scope),
        "checklist": None,
    }
    if step.checklist is not None:
        c = step.checklist
        entry["checklist"] = {
            "authority_competent": c.authority_competent,
            "gag_order_without_end_date": c.gag_order_without_end_date,
            "legal_basis_stated": c.legal_basis_stated,
            "overbroad": c.overbroad,
            "targets_inside_jurisdiction": c.targets_inside_jurisdiction,
            "written_and_signed": c.written_and_signed,
        }
    if step.action == "approve":
        # Four eyes, shown without naming anyone: was the approver someone else?
        entry["second_person"] = step.actor != order.recorded_by
    return entry


def order_records(order: Order, secret: bytes, *, after: int = 0) -> list[LogRecord]:
    """The entries for ``order``'s transitions numbered above ``after``, oldest first."""
    records = []
    for step in order.transitions:
        if step.sequence <= after:
            continue
        if step.sequence == 1:
            entry, kind = _received(order, step, secret), ORDER_RECEIVED
        else:
            entry, kind = _transition(order, step), ORDER_TRANSITION
        records.append(LogRecord(order_key(order.id, step.sequence), kind, canonical_json(entry)))
    return records


def _order_id(order_id: str) -> str:
    if not isinstance(order_id, str) or not order_id or len(order_id) > 200:
        raise InvalidInput("order_id: must be a non-empty id", field="order_id")
    return order_id


def _scope(scope: Iterable[str], field: str) -> list[str]:
    codes = sorted({jurisdictions.get(code, field=field).code for code in scope})
    if not codes:
        raise InvalidInput(f"{field}: name at least one place", field=field)
    return codes


def enforcement_record(
    order_id: str, day: date, counts_by_country: Mapping[str, Mapping[str, int]]
) -> LogRecord:
    """The entry for one order's enforcement on one day: counts per country, no one named.

    ``counts_by_country`` maps a country or subdivision code to counts by name (``refused``,
    ``removed``, …: lower-case words) of whole numbers. One entry per order and day: a second
    append for the same day is the same key, and is ignored.
    """
    _order_id(order_id)
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput("day: must be a date", field="day")
    counts: dict[str, dict[str, int]] = {}
    for code, by_name in counts_by_country.items():
        place = jurisdictions.get(code, field="counts_by_country")
        if place.kind == "group":
            raise InvalidInput(
                f"counts_by_country: {place.code} is a group, not a place",
                field="counts_by_country",
            )
        row: dict[str, int] = {}
        for name, count in by_name.items():
            if not isinstance(name, str) or not _COUNT_NAME.fullmatch(name):
                raise InvalidInput(
                    f"counts_by_country: {name!r} is not a count name (lower-case word)",
                    field="counts_by_country",
                )
            if isinstance(count, bool) or not isinstance(count, int):
                raise InvalidInput(
                    f"counts_by_country: {place.code}.{name} must be a whole number",
                    field="counts_by_country",
                )
            if not 0 <= count <= _MAX_COUNT:
                raise InvalidInput(
                    f"counts_by_country: {place.code}.{name} is out of range",
                    field="counts_by_country",
                )
            row[name] = count
        counts[place.code] = row
    entry = {
        "kind": ENFORCEMENT_COUNTS,
        "v": SCHEMA_VERSION,
        "order": order_id,
        "day": day.isoformat(),
        "counts": counts,
    }
    key = f"enforcement/{order_id}/{day.isoformat()}"
    return LogRecord(key, ENFORCEMENT_COUNTS, canonical_json(entry))


def appeal_record(
    order_id: str,
    outcome: str,
    scope: Iterable[str],
    *,
    at: datetime,
    appeal_id: str | None = None,
) -> LogRecord:
    """The entry for an appeal ``filed``, ``upheld`` or ``reversed``: no appellant named.

    ``scope`` is the jurisdiction codes the appeal concerns. Idempotent per ``appeal_id`` and
    outcome when given, else per identical entry.
    """
    _order_id(order_id)
    if outcome not in APPEAL_OUTCOMES:
        known = ", ".join(sorted(APPEAL_OUTCOMES))
        raise InvalidInput(f"outcome: must be one of {known}", field="outcome")
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise InvalidInput("at: must be a date and time with a time zone", field="at")
    entry = {
        "kind": APPEAL_OUTCOME,
        "v": SCHEMA_VERSION,
        "order": order_id,
        "outcome": outcome,
        "scope": _scope(scope, "scope"),
        "at": _time(at),
    }
    data = canonical_json(entry)
    if appeal_id is not None:
        if not isinstance(appeal_id, str) or not appeal_id or len(appeal_id) > 100:
            raise InvalidInput("appeal_id: must be a short non-empty id", field="appeal_id")
        key = f"appeal/{order_id}/{appeal_id}/{outcome}"
    else:
        key = f"appeal/{order_id}/{hashlib.sha256(data).hexdigest()[:32]}"
    return LogRecord(key, APPEAL_OUTCOME, data)
