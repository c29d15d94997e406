"""A demand's original document is a download, never a page on remit's origin: an HTML or SVG
document the authority sent must not run its script with the reader's bearer or session."""

from __future__ import annotations

import base64

import pytest
from api_helpers import Api

HTML = b"<html><body><script>document.title = 'ran on remit'</script>letter</body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


def _record(api: Api, content: bytes, media_type: str, filename: str | None) -> str:
    document = {"content": base64.b64encode(content).decode(), "media_type": media_type}
    if filename is not None:
        document["filename"] = filename
    return api.record(document=document)


@pytest.mark.parametrize(("content", "media_type"), [(HTML, "text/html"), (SVG, "image/svg+xml")])
def test_an_active_document_is_served_as_an_inert_attachment(
    api: Api, content: bytes, media_type: str
) -> None:
    order_id = _record(api, content, media_type, "letter.html")
    answer = api.call("GET", f"/v1/orders/{order_id}/document", "reviewer")
    assert answer.status_code == 200
    assert answer.content == content  # as received
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["content-disposition"].startswith('attachment; filename="letter.html"')
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("filename", "plain"),
    [
        (None, "{id}.bin"),
        ('a"b\\c.pdf', "a_b_c.pdf"),
        ("../../etc/passwd", ".._.._etc_passwd"),
        ("公安部.pdf", "___.pdf"),
        ("x\r\nSet-Cookie: a=b.pdf", "x__Set-Cookie: a=b.pdf"),
    ],
)
def test_the_download_name_is_safe(api: Api, filename: str | None, plain: str) -> None:
    order_id = _record(api, b"%PDF-1.4", "application/pdf", filename)
    answer = api.call("GET", f"/v1/orders/{order_id}/document", "auditor")
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{plain.format(id=order_id)}"')
    assert "set-cookie" not in answer.headers
    assert "/" not in disposition.split("filename*=", 1)[1]
