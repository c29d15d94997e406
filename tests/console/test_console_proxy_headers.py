"""One owner for proxy headers: a real ``remit serve`` believes ``X-Forwarded-For`` only from the
proxies ``--trusted-proxy`` names. uvicorn's own handling (which believes any client at
127.0.0.1) is off, so rotating the header does not escape the sign-in throttle per address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from console_helpers import csrf_of

from remit_server import RemitServer

LIMIT = 3  # failed sign-ins from one address before it waits


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RemitServer]:
    remit = RemitServer(tmp_path)
    yield remit
    remit.stop()


def _failed_signins(base: str, tries: int) -> list[int]:
    """``tries`` failed sign-ins, each with another name and another ``X-Forwarded-For``: the
    status of each."""
    statuses = []
    with httpx.Client(base_url=base, timeout=30) as browser:
        for n in range(tries):
            forged = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            page = browser.get("/signin", headers=forged)
            answer = browser.post(
                "/signin",
                headers=forged,
                data={"csrf": csrf_of(page.text), "name": f"guess{n}", "password": "wrong"},
            )
            statuses.append(answer.status_code)
    return statuses


def test_a_rotated_forwarded_for_from_an_untrusted_peer_is_still_throttled(
    server: RemitServer,
) -> None:
    server.start(REMIT_CONSOLE_SIGNIN_ADDRESS_FAILURES=str(LIMIT))
    statuses = _failed_signins(server.base, LIMIT + 2)
    assert statuses == [401] * LIMIT + [429, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_counted(
    server: RemitServer,
) -> None:
    server.start(
        REMIT_CONSOLE_SIGNIN_ADDRESS_FAILURES=str(LIMIT), REMIT_TRUSTED_PROXIES="127.0.0.1"
    )
    # remit's own setting believes the proxy at 127.0.0.1: each forwarded address is a new one.
    assert _failed_signins(server.base, LIMIT + 2) == [401] * (LIMIT + 2)


def test_no_server_header_names_what_answers(server: RemitServer) -> None:
    server.start()
    answer = httpx.get(f"{server.base}/healthz", timeout=30)
    assert answer.status_code == 200
    assert "server" not in answer.headers
