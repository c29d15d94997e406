"""Errors as RFC 9457 ``application/problem+json``, each naming the field when there is one.

Every remit error maps to one status; msgspec's validation errors become 400/422 with the JSON path
of the field; anything unexpected is still a problem document (500), never an HTML page.
"""

from __future__ import annotations

import re

import msgspec
from starlette.responses import Response

from remit.api._schemas import Problem
from remit.errors import (
    Conflict,
    FourEyesViolation,
    InvalidInput,
    NotFound,
    RemitError,
    StoreError,
)

MEDIA_TYPE = "application/problem+json"

#: (status, type slug, title) for each kind of problem; docs/api.md lists them.
KINDS: dict[str, tuple[int, str]] = {
    "malformed": (400, "The request body is not valid JSON"),
    "invalid-field": (422, "A field has a value remit cannot use"),
    "unauthorized": (401, "A valid bearer token is required"),
    "forbidden": (403, "The token's roles do not allow this"),
    "four-eyes": (403, "A second person must approve"),
    "not-found": (404, "No such resource"),
    "not-allowed": (405, "The method is not allowed on this path"),
    "conflict": (409, "Not allowed in the current state, or someone else changed it first"),
    "too-large": (413, "The request body is larger than allowed"),
    "unsupported-media-type": (415, "The request body must be application/json"),
    "unavailable": (503, "A service remit depends on could not be reached"),
    # A refused join (RFC 7725). Its document is built by the enforcement layer's notices, with
    # the blocking authority and the notice in the person's language; listed here for OpenAPI.
    "unavailable-for-legal-reasons": (451, "Refused on a legal order in force where they are"),
    "internal": (500, "Internal error"),
}

_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]*)`")


class HTTPProblem(Exception):
    """Raised inside handlers to answer with a problem document."""

    def __init__(self, kind: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.field = field


def problem(kind: str, detail: str, field: str | None = None) -> Response:
    """A problem+json response of ``kind`` (a key of :data:`KINDS`)."""
    status, title = KINDS[kind]
    body = Problem(type=f"/problems/{kind}", title=title, status=status, detail=detail, field=field)
    headers = {"WWW-Authenticate": 'Bearer realm="remit"'} if status == 401 else None
    return Response(msgspec.json.encode(body), status, headers=headers, media_type=MEDIA_TYPE)


def explain(exc: Exception) -> tuple[str, str, str | None]:
    """The problem kind (a key of :data:`KINDS`), the detail and the field for any exception.

    The API answers with it as a problem document; the console shows the detail next to the field.
    """
    if isinstance(exc, HTTPProblem):
        return exc.kind, exc.detail, exc.field
    if isinstance(exc, msgspec.ValidationError):
        text = str(exc)
        match = _PATH.search(text)
        field = match.group(1) if match else None
        detail = text[: match.start()] if match else text
        named = _NAMED.match(detail)
        if named:  # msgspec reports these at the enclosing object: name the field itself
            field = f"{field}.{named.group(1)}" if field else named.group(1)
        return "invalid-field", f"{field}: {detail}" if field else detail, field
    if isinstance(exc, msgspec.DecodeError):
        return "malformed", f"the body is not valid JSON: {exc}", None
    for kind, error in _REMIT_KINDS:
        if isinstance(exc, error):
            return kind, exc.message, None if kind == "unavailable" else exc.field
    return "internal", "an unexpected error; it has been logged", None


_REMIT_KINDS: tuple[tuple[str, type[RemitError]], ...] = (
    ("four-eyes", FourEyesViolation),
    ("invalid-field", InvalidInput),
    ("not-found", NotFound),
    ("conflict", Conflict),
    ("unavailable", StoreError),
    ("invalid-field", RemitError),
)


def from_error(exc: Exception) -> Response:
    """The problem response for any exception a handler let escape."""
    return problem(*explain(exc))
