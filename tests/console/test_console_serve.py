"""``remit serve`` serves the console at / unless told not to; the API is there either way."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from remit_server import RemitServer


@pytest.mark.parametrize(("setting", "served"), [("true", True), ("false", False)])
def test_the_console_is_served_at_the_root_unless_switched_off(
    tmp_path: Path, setting: str, served: bool
) -> None:
    server = RemitServer(tmp_path)
    server.start(REMIT_CONSOLE=setting)
    try:
        page = httpx.get(f"{server.base}/", follow_redirects=True, timeout=10)
        health = httpx.get(f"{server.base}/healthz", timeout=10)
    finally:
        server.stop()
    assert health.status_code == 200
    if served:
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert 'type="password"' in page.text
    else:
        assert page.status_code == 404
        assert page.headers["content-type"] == "application/problem+json"
