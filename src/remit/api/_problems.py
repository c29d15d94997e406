"""Errors as RFC 9457 ``application/problem+json``, each naming the field when there is one.

Every class of :mod:`remit.errors` maps explicitly to one problem kind (:data:`ERROR_KINDS`):
4xx when the caller can fix it, 5xx when remit or something it depends on failed, so a corrupt
location database or a log that does not verify never reads as bad input. msgspec's validation
errors become 400/422 with the JSON path of the field; anything unexpected is still a problem
document (500), never an HTML page. A 5xx names no field: no input of the caller's was at fault.
"""

from __future__ import annotations

import logging
import re

import msgspec
from starlette.responses import Response

from remit.api._schemas import Problem
from remit.errors import (
    Conflict,
    DeliveryError,
    FourEyesViolation,
    InvalidAddress,
    InvalidConfiguration,
    InvalidInput,
    InvalidOrder,
    InvalidPhoneNumber,
    InvalidScope,
    LocationDataError,
    NotFound,
    RemitError,
    StoreError,
    UnknownJurisdiction,
    VerificationError,
)

log = logging.getLogger("remit.api")

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
    if isinstance(exc, RemitError):
        kind = next(ERROR_KINDS[c] for c in type(exc).__mro__ if c in ERROR_KINDS)
        return kind, exc.message, exc.field if KINDS[kind][0] < 500 else None
    return "internal", "an unexpected error; it has been logged", None


#: The problem kind of each class of :mod:`remit.errors`, every one named (a test checks it), so
#: that a new class is placed on purpose. An error class defined elsewhere takes its nearest
#: named base's. docs/api.md explains each choice.
ERROR_KINDS: dict[type[RemitError], str] = {
    # The caller can fix these.
    InvalidInput: "invalid-field",
    UnknownJurisdiction: "invalid-field",
    InvalidAddress: "invalid-field",
    InvalidPhoneNumber: "invalid-field",
    InvalidScope: "invalid-field",
    InvalidOrder: "invalid-field",
    NotFound: "not-found",
    Conflict: "conflict",
    FourEyesViolation: "four-eyes",
    # Something remit depends on failed; the same call may work later.
    StoreError: "unavailable",
    LocationDataError: "unavailable",
    DeliveryError: "unavailable",  # a platform's server remit had to ask (a connector's)
    # remit's own fault: its settings, its data, or a bug.
    InvalidConfiguration: "internal",  # the operator's settings, never the caller's input
    VerificationError: "internal",  # remit's own log or data does not hold together
    RemitError: "internal",  # raised as itself only for remit's own faults
}


def from_error(exc: Exception, where: str) -> Response:
    """The problem response for any exception a handler of ``where`` (an operation) let escape.
    A 5xx is logged too: remit's own fault with its traceback, a dependency's in one line."""
    kind, detail, field = explain(exc)
    status = KINDS[kind][0]
    if status == 500:
        log.error("%s: %s", where, exc, exc_info=exc)
    elif status > 500:
        log.warning("%s: %s", where, exc)
    return problem(kind, detail, field)
