"""Conversions between the API's Structs and the domain's dataclasses."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from remit import orders
from remit.api import _schemas as s
from remit.errors import InvalidInput
from remit.location import Location
from remit.orders import Checklist, Order
from remit.policy import Decision, Resource, ResourceTypes, Target


def checklist_in(value: s.ChecklistIn | None) -> Checklist | None:
    """The domain checklist of a request body, if it has one."""
    if value is None:
        return None
    return Checklist(**{f: getattr(value, f) for f in value.__struct_fields__})


def order_in(
    body: s.OrderIn,
    *,
    order_id: str,
    actor: str,
    resource_types: ResourceTypes | None = None,
) -> tuple[dict[str, object], bytes | None]:
    """The keyword arguments for :func:`remit.orders.record`, and the document's bytes.

    Each target must name one of ``resource_types`` (by default meeting, recording and channel)
    or ``host``."""
    resource_types = resource_types or ResourceTypes()
    document = None
    content = None
    if body.document is not None:
        content = body.document.content
        document = orders.Document(
            sha256=hashlib.sha256(content).hexdigest(),
            media_type=body.document.media_type,
            size=len(content),
            filename=body.document.filename,
        )
    kwargs: dict[str, object] = {
        "id": order_id,
        "type": orders.OrderType(body.type),
        "authority": orders.Authority(
            body.authority.name,
            orders.AuthorityKind(body.authority.kind),
            body.authority.jurisdiction,
        ),
        "legal_basis": body.legal_basis,
        "case_id": body.case_id,
        "received_at": body.received_at,
        "request": orders.Request(
            body.request.text,
            _actions(body.request),
            tuple(body.request.scope),
        ),
        "targets": [_target(n, t, resource_types) for n, t in enumerate(body.targets)],
        "actor": actor,
        "effective_from": body.effective_from,
        "effective_until": body.effective_until,
        "document": document,
    }
    return kwargs, content


def _actions(request: s.RequestIn) -> tuple[orders.RequestedAction, ...]:
    """The actions asked: ``actions``, or the one ``action`` older clients send (not both)."""
    if (request.action is None) == (request.actions is None):
        raise InvalidInput(
            "request.actions: give the actions asked as a list (or one as request.action)",
            field="request.actions",
        )
    asked = [request.action] if request.action is not None else request.actions or []
    if len(set(asked)) != len(asked):
        raise InvalidInput("request.actions: an action is named twice", field="request.actions")
    return tuple(orders.RequestedAction(a) for a in asked)


def _target(n: int, target: s.TargetIn, resource_types: ResourceTypes) -> Target:
    try:
        # an account as a target is refused first
        found = Target(target.type, target.id, target.platform)
        resource_types.check_target(found.type)
    except InvalidInput as exc:
        field = f"targets[{n}].{(exc.field or 'type').rsplit('.', 1)[-1]}"
        raise type(exc)(exc.message.replace(exc.field or "", field, 1), field=field) from exc
    return found


def resource_in(resource: s.ResourceIn, resource_types: ResourceTypes) -> Resource:
    """The resource a join names, which must be of a declared type."""
    found = Resource(resource.type, resource.id, resource.host)
    resource_types.check_resource(found.type)
    return found


def order_out(order: Order) -> s.OrderOut:
    """The API's view of an order."""
    doc = order.document
    return s.OrderOut(
        id=order.id,
        type=order.type.value,
        status=order.status.value,
        version=order.version,
        authority=s.AuthorityOut(
            order.authority.name, order.authority.kind.value, order.authority.jurisdiction
        ),
        legal_basis=order.legal_basis,
        case_id=order.case_id,
        received_at=order.received_at,
        request=s.RequestOut(
            order.request.text,
            [action.value for action in order.request.actions],
            list(order.request.scope),
        ),
        targets=[s.TargetOut(t.type, t.id, t.platform) for t in order.targets],
        recorded_by=order.recorded_by,
        effective_from=order.effective_from,
        effective_until=order.effective_until,
        document=None
        if doc is None
        else s.DocumentOut(doc.sha256, doc.media_type, doc.size, doc.filename),
        scope=None if order.scope is None else list(order.scope),
        approved_by=order.approved_by,
        transitions=[
            s.TransitionOut(
                sequence=t.sequence,
                action=t.action,
                from_status=None if t.from_status is None else t.from_status.value,
                to_status=t.to_status.value,
                actor=t.actor,
                at=t.at,
                reason=t.reason,
                checklist=None if t.checklist is None else s.ChecklistOut(**asdict(t.checklist)),
                scope=None if t.scope is None else list(t.scope),
            )
            for t in order.transitions
        ],
    )


def location_out(loc: Location) -> s.LocationOut:
    """The API's view of a location, with every IP source's answer as evidence."""
    evidence = [s.AnswerOut(a.source, a.country, a.subdivision, a.data_date) for a in loc.evidence]
    return s.LocationOut(
        loc.country, loc.subdivision, loc.source, evidence, loc.dispute, loc.embedded
    )


def decision_out(decision: Decision) -> s.AdmissionOut:
    """The API's view of a decision."""
    loc = decision.location
    return s.AdmissionOut(
        decision=decision.outcome,
        orders=list(decision.orders),
        location=location_out(loc),
        skipped=[s.SkippedOut(x.order, x.reason) for x in decision.skipped],
    )
