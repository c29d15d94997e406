"""A fuzzing target for the hot path's body parser: arbitrary bytes, JSON-ish documents and
near-valid joins, in any chunking, with any content type and declared length, fed to the raw
ASGI admission path (:class:`remit.api._admissions.RemitApp`). Every answer is a 200 decision or a
4xx problem document: never an exception, never a 5xx.

Hypothesis drives it here (a few hundred inputs, a few seconds). The same target runs under a
coverage-guided fuzzer (atheris, libFuzzer) as ``python tests/api/test_api_admissions_fuzz.py
[corpus…]`` once atheris is installed; without it, that command replays the files given.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remit.api import Node, create_app, create_user
from remit.location import Locator, StaticSource
from remit.store import MemoryStore

_store = MemoryStore()
_node = Node(_store, Locator(ip_sources=[StaticSource({"127.0.0.10": "CN"})]))
_TOKEN = create_user(_store, "meet", ["platform"], now=datetime.now(UTC))
_node.resync()
_app = create_app(_node)

VALID = {
    "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
    "participant": {"id": "p-1", "ip": "127.0.0.10", "phone": "+14155550100"},
}


def call(
    body: bytes, chunks: list[int], content_type: bytes, length: bytes | None
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One admission through the raw ASGI app: ``body`` sent in pieces cut at ``chunks``."""
    headers = [(b"authorization", f"Bearer {_TOKEN}".encode()), (b"content-type", content_type)]
    if length is not None:
        headers.append((b"content-length", length))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/admissions", "raw_path": b"/v1/admissions",
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    cuts = sorted({c % (len(body) + 1) for c in chunks} | {0, len(body)})
    pieces = [body[a:b] for a, b in itertools.pairwise(cuts)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(_app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    answer = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start.get("headers", [])), answer


def check(status: int, headers: dict[bytes, bytes], answer: bytes) -> None:
    """A decision, or a problem document naming what was wrong; nothing else."""
    if status == 200:
        assert headers[b"content-type"] == b"application/json"
        assert json.loads(answer)["decision"] in {"allow", "deny"}
        return
    assert 400 <= status < 500, (status, answer)
    assert headers[b"content-type"].startswith(b"application/problem+json")
    problem = json.loads(answer)
    assert problem["status"] == status
    assert problem["detail"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _near_valid(draw: st.DrawFn) -> bytes:
    """A valid join with one part replaced, dropped or added: past msgspec's first checks."""
    body: dict[str, Any] = json.loads(json.dumps(VALID))
    part = draw(st.sampled_from(["resource", "participant"]))
    key = draw(st.sampled_from([*body[part], "extra"]))
    if draw(st.booleans()):
        body[part].pop(key, None)
    else:
        body[part][key] = draw(_json)
    return json.dumps(body).encode()


_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda v: json.dumps(v).encode()),
    _near_valid(),
    st.just(json.dumps(VALID).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
_types = st.sampled_from(
    [b"application/json", b"application/json; charset=utf-8", b"APPLICATION/JSON", b"text/plain",
     b"", b"application/jsonx", b"\xff\xfe"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    body=_bodies,
    chunks=st.lists(st.integers(min_value=0, max_value=400), max_size=4),
    content_type=_types,
    length=st.none() | st.sampled_from([b"0", b"5", b"99999999", b"-1", b"x", b"\xff"]),
)
def test_any_body_gets_a_decision_or_a_problem_never_a_5xx(
    body: bytes, chunks: list[int], content_type: bytes, length: bytes | None
) -> None:
    check(*call(body, chunks, content_type, length))


def test_the_valid_join_is_decided_whatever_its_chunking() -> None:
    body = json.dumps(VALID).encode()
    for cuts in ([], [1], [5, 17, 40]):
        status, _, answer = call(body, cuts, b"application/json", str(len(body)).encode())
        assert status == 200, answer


def fuzz_one_input(data: bytes) -> None:
    """The target of a coverage-guided fuzzer: the bytes as a whole body."""
    check(*call(data, [], b"application/json", None))


if __name__ == "__main__":
    try:
        atheris = importlib.import_module("atheris")  # not locked: installed by whoever fuzzes
    except ImportError:  # no fuzzer installed: replay the corpus files given
        for name in sys.argv[1:]:
            fuzz_one_input(Path(name).read_bytes())
    else:
        atheris.Setup(sys.argv, fuzz_one_input)
        atheris.Fuzz()
