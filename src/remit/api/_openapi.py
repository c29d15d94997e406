"""The OpenAPI 3.1 document, built from the endpoint table and the msgspec Structs."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import msgspec.inspect as mi

from remit.api._endpoint import Endpoint
from remit.api._problems import KINDS, MEDIA_TYPE
from remit.api._schemas import Problem

REF = "#/components/schemas/{name}"


def _problem_response(description: str) -> dict[str, Any]:
    schema = {"$ref": REF.format(name="Problem")}
    return {"description": description, "content": {MEDIA_TYPE: {"schema": schema}}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": endpoint.handler.__name__ if hasattr(endpoint.handler, "__name__") else "",
        "summary": endpoint.summary,
        "responses": {},
    }
    op["operationId"] = (
        (endpoint.method.lower() + endpoint.path)
        .replace("/", "_")
        .replace("{", "")
        .replace("}", "")
    )
    params = []
    if "{id}" in endpoint.path:
        params.append({"name": "id", "in": "path", "required": True, "schema": {"type": "string"}})
    for name, kind, description in endpoint.query:
        schema: dict[str, Any] = {"type": kind}
        if kind == "integer":
            schema |= {"minimum": 1, "maximum": 1000}
        elif kind == "index":  # a position or size in the transparency log
            schema = {"type": "integer", "minimum": 0}
        elif kind == "date":
            schema = {"type": "string", "format": "date"}
        elif kind.startswith("enum:"):
            schema = {"type": "string", "enum": kind.removeprefix("enum:").split("|")}
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": schema,
            }
        )
    if params:
        op["parameters"] = params
    if endpoint.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(name=endpoint.body.__name__)}}
            },
        }
    responses = op["responses"]
    if endpoint.response is not None:
        schema = {"$ref": REF.format(name=endpoint.response.__name__)}
        responses[str(endpoint.status)] = {
            "description": "OK",
            "content": {endpoint.media_type: {"schema": schema}},
        }
    else:
        responses[str(endpoint.status)] = {
            "description": "OK",
            "content": {endpoint.media_type: {"schema": {"type": "string"}}},
        }
    for other in endpoint.other_media_types:
        responses[str(endpoint.status)]["content"][other] = {"schema": {"type": "string"}}
    problems = {"internal": "Internal error", "unavailable": KINDS["unavailable"][1]}
    if endpoint.roles is not None:
        problems |= {"unauthorized": "No valid token", "forbidden": "The token lacks the role"}
    if endpoint.body is not None:
        problems |= {
            "malformed": "Not JSON",
            "invalid-field": "A field is missing, unknown or has a value remit cannot use",
            "too-large": "Body over the limit",
            "unsupported-media-type": "Not application/json",
        }
    elif endpoint.query:
        problems |= {"invalid-field": "A query parameter has a value remit cannot use"}
    if "{id}" in endpoint.path:
        noun = "order" if endpoint.path.startswith("/v1/orders/") else "resource"
        problems |= {"not-found": f"No such {noun}"}
    if endpoint.audit and "{id}" in endpoint.path:
        problems |= {
            "conflict": "Not allowed in the order's state, or changed by someone else first",
            "four-eyes": "The recorder cannot approve",
        }
    for kind in endpoint.problems:
        problems.setdefault(kind, KINDS[kind][1])
    for kind, description in problems.items():
        code = str(KINDS[kind][0])
        if code not in responses:
            responses[code] = _problem_response(description)
    if endpoint.roles is not None:
        op["security"] = [{"bearer": []}]
        op["description"] = (
            "Roles: " + ", ".join(sorted(r.value for r in endpoint.roles)) + " (or admin)."
        )
    return op


def _classes(types: Iterable[Any]) -> dict[str, type]:
    """Every Struct and Enum class reachable from ``types``, by its schema component's name."""
    found: dict[str, type] = {}

    def walk(t: mi.Type) -> None:
        if isinstance(t, mi.StructType | mi.EnumType):
            if t.cls.__name__ in found:
                return
            found[t.cls.__name__] = t.cls
        for name in ("fields", "types"):
            for item in getattr(t, name, ()):
                walk(getattr(item, "type", item))
        for name in ("item_type", "key_type", "value_type"):
            if hasattr(t, name):
                walk(getattr(t, name))

    for t in mi.multi_type_info(list(types)):
        walk(t)
    return found


def _describe(components: dict[str, Any], types: Iterable[Any]) -> None:
    """Each component's description, from its class's docstring as :func:`inspect.cleandoc`
    cleans it: the same document whatever msgspec's own cleaning does in a given release."""
    classes = _classes(types)
    for name, schema in components.items():
        cls = classes.get(name)
        if cls is None:
            continue
        doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else ""
        if doc and doc != "An enumeration.":
            schema["description"] = doc
        else:
            schema.pop("description", None)


#: OpenAPI links (section 4.8.20): the id a creating operation answers with is the ``{id}`` of the
#: operations on what it created, so that a client (and schemathesis' stateful tests) can follow
#: one from the other: an order to its review and decisions, a session to its move and end, an
#: appeal to its decision. Only operations present in the document are linked.
LINKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/v1/orders"): (
        "get_v1_orders_id", "get_v1_orders_id_document", "get_v1_orders_id_impact",
        "post_v1_orders_id_review", "post_v1_orders_id_approve", "post_v1_orders_id_reject",
        "post_v1_orders_id_clarify", "post_v1_orders_id_answer", "post_v1_orders_id_lift",
    ),
    ("post", "/v1/sessions"): ("patch_v1_sessions_id", "delete_v1_sessions_id"),
    ("post", "/v1/appeals"): ("post_v1_appeals_id_decide",),
}  # fmt: skip


def _link(paths: dict[str, dict[str, Any]]) -> None:
    present = {op["operationId"] for ops in paths.values() for op in ops.values()}
    for (method, path), targets in LINKS.items():
        op = paths.get(path, {}).get(method)
        if op is None:
            continue
        created = next(c for c in op["responses"] if c.startswith("2"))
        links = {
            target: {"operationId": target, "parameters": {"id": "$response.body#/id"}}
            for target in targets
            if target in present
        }
        if links:
            op["responses"][created]["links"] = links


def openapi(endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The whole OpenAPI document."""
    types: list[Any] = [Problem]
    for e in endpoints:
        types += [t for t in (e.body, e.response) if t is not None]
    unique = list(dict.fromkeys(types))
    (_, components) = msgspec.json.schema_components(unique, ref_template=REF)
    _describe(components, unique)
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e)
    _link(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "remit",
            "version": "1",
            "description": "Keeps every government demand inside the borders of the government "
            "that made it. Errors are RFC 9457 problem documents naming the field.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
