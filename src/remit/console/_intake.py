"""The intake form: a demand as a person types it, turned into the API's ``OrderIn``.

Inputs are named after the API's fields (``authority.jurisdiction``, ``request.scope``), so an
error msgspec or the order lifecycle reports names the input to show it beside. The order is
then recorded by :func:`remit.api.record_order`, exactly as ``POST /v1/orders`` records it.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

import msgspec
from starlette.datastructures import UploadFile

from remit.api import OrderIn
from remit.errors import InvalidInput

_OFFSET = re.compile(r"^[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]$")

#: The inputs of the form, as (name, what a person types) for keeping their input on errors.
TEXT_FIELDS = (
    "type",
    "authority.name",
    "authority.kind",
    "authority.jurisdiction",
    "legal_basis",
    "case_id",
    "received_at",
    "utc_offset",
    "request.text",
    "request.actions",
    "request.scope",
    "targets",
    "targets.platform",
    "effective_from",
    "effective_until",
)


def _when(form: dict[str, Any], name: str, offset: str, *, required: bool) -> datetime | None:
    text = str(form.get(name, "")).strip()
    if not text:
        if required:
            raise InvalidInput(f"{name}: required", field=name)
        return None
    try:
        value = datetime.fromisoformat(text + offset)
    except ValueError as exc:
        raise InvalidInput(f"{name}: not a date and time ({text!r})", field=name) from exc
    if value.utcoffset() is None:
        raise InvalidInput(f"{name}: give a time zone offset", field="utc_offset")
    return value


#: The intake form's checkbox of each action asked is named ``request.actions.ACTION``.
ACTIONS_PREFIX = "request.actions."


def _targets(text: str, platform: str) -> list[dict[str, str]]:
    """The targets of the form, one per line, on ``platform`` (``*``: every platform)."""
    found = []
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        kind, _, ident = line.strip().partition(" ")
        if not ident.strip():
            raise InvalidInput(
                f"targets: line {n + 1} must read TYPE ID, for example 'meeting june4-a'",
                field="targets",
            )
        found.append({"type": kind, "id": ident.strip(), "platform": platform})
    return found


#: The hidden inputs that carry a document through a refused form, so it is not chosen again.
KEPT = ("document.kept", "document.kept_type", "document.kept_name")


async def document_of(form: dict[str, Any]) -> dict[str, Any] | None:
    """The document uploaded with the form, else the one a refused form kept; None if neither.
    ``InvalidInput`` for an empty file."""
    upload = form.get("document")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read()
        if not content:
            raise InvalidInput("document: the file is empty", field="document")
        media_type = (upload.content_type or "application/octet-stream").split(";")[0].strip()
        return {"content": content, "media_type": media_type, "filename": upload.filename[-255:]}
    kept = str(form.get("document.kept", ""))
    if not kept:
        return None
    try:
        content = base64.b64decode(kept, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("document: the kept document is damaged; choose it again",
                           field="document") from exc  # fmt: skip
    return {
        "content": content,
        "media_type": str(form.get("document.kept_type", "")) or "application/octet-stream",
        "filename": str(form.get("document.kept_name", ""))[-255:] or None,
    }


def actions_of(form: dict[str, Any]) -> list[str]:
    """The actions asked, as ticked (``request.actions.ACTION``), in the order they are listed;
    a form that sends one ``request.action`` (as the intake form did) asks that one."""
    ticked = [
        name.removeprefix(ACTIONS_PREFIX)
        for name, value in form.items()
        if name.startswith(ACTIONS_PREFIX) and value
    ]
    single = str(form.get("request.action", "")).strip()
    return ticked if ticked or not single else [single]


def kept_inputs(document: dict[str, Any] | None) -> dict[str, str]:
    """The hidden inputs that keep ``document`` in a form shown again."""
    if document is None:
        return {}
    return {
        "document.kept": base64.b64encode(document["content"]).decode("ascii"),
        "document.kept_type": str(document["media_type"]),
        "document.kept_name": str(document.get("filename") or ""),
        "size": str(len(document["content"])),
    }


async def order_from_form(form: dict[str, Any], document: dict[str, Any] | None) -> OrderIn:
    """The API's ``OrderIn`` from the intake form and its ``document`` (:func:`document_of`),
    validated the way the API validates it."""
    offset = str(form.get("utc_offset", "")).strip() or "+00:00"
    if not _OFFSET.match(offset):
        raise InvalidInput("utc_offset: write it as +08:00 or -05:00", field="utc_offset")
    scope = [c.strip() for c in str(form.get("request.scope", "")).split(",") if c.strip()]
    data: dict[str, Any] = {
        "type": form.get("type", ""),
        "authority": {
            "name": str(form.get("authority.name", "")).strip(),
            "kind": form.get("authority.kind", ""),
            "jurisdiction": str(form.get("authority.jurisdiction", "")).strip(),
        },
        "legal_basis": str(form.get("legal_basis", "")),
        "received_at": _when(form, "received_at", offset, required=True),
        "request": {
            "text": str(form.get("request.text", "")),
            "actions": actions_of(form),
            "scope": scope,
        },
        "targets": _targets(
            str(form.get("targets", "")), str(form.get("targets.platform", "")).strip() or "*"
        ),
    }
    case_id = str(form.get("case_id", "")).strip()
    if case_id:
        data["case_id"] = case_id
    for name in ("effective_from", "effective_until"):
        when = _when(form, name, offset, required=False)
        if when is not None:
            data[name] = when
    if document is not None:
        data["document"] = document
    return msgspec.convert(data, OrderIn)


def input_field(field: str | None) -> str:
    """The form input an API field belongs to: ``targets[0].id`` is in ``targets``."""
    if not field:
        return ""
    base = field.split("[", 1)[0]
    if base == "targets" and field.endswith(".platform"):
        return "targets.platform"
    if base.startswith("document"):
        return "document"
    return base if base in TEXT_FIELDS else field
