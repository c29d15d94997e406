"""An order's original document as a download: never a page on remit's origin.

A demand's document is whatever the authority sent (an HTML page, an SVG, a PDF), recorded as
received. Served inline, an ``text/html`` or ``image/svg+xml`` document's script would run on
remit's origin with the reader's session. So it is always an attachment, with ``nosniff`` and a
policy that lets nothing load or run (``default-src 'none'; sandbox``), and never cached; the
console's link and the API's operation answer alike.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from remit.orders import Document

__all__ = ["DOCUMENT_HEADERS", "document_response"]

#: Headers of every document download, whatever its media type.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _plain(name: str) -> str:
    """The file name in printable ASCII, with no quote, backslash or path separator."""
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\/' else "_" for c in name)


def document_response(order_id: str, document: Document, content: bytes) -> Response:
    """``content``, the original document of order ``order_id``, as a download named after
    the file it was received as (``<order id>.bin`` when it had no name)."""
    name = (document.filename or f"{order_id}.bin").replace("/", "_").replace("\\", "_")
    headers = {
        **DOCUMENT_HEADERS,
        "X-Content-SHA256": document.sha256,
        "Content-Disposition": (
            f"attachment; filename=\"{_plain(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
    }
    return Response(content, 200, headers=headers, media_type=document.media_type)
