"""A load generator for the live roster: joins, leaves and moves on keep-alive connections.

Each connection joins new participants (``POST /v1/sessions``), and leaves (``DELETE``) or moves
(``PATCH``) sessions it was told were joined, in the proportions asked, and remembers what each
answer acknowledged: the joins answered 201 and the leaves answered with the session left. The
benchmark then checks the database holds every one of them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class MixedResult:
    """What one run did and was told."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    #: Session ids answered 201 (on the roster), and those whose leave was answered ``left``.
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    refused: int = 0
    moves: int = 0
    #: Answers with a status the request should never get.
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else float("nan")


def pattern(joins: float, leaves: float, moves: float, length: int = 400) -> list[str]:
    """A repeating sequence of ``join``, ``leave`` and ``move`` in the proportions given."""
    total = joins + leaves + moves
    out: list[str] = []
    counts = {"join": 0.0, "leave": 0.0, "move": 0.0}
    shares = {"join": joins / total, "leave": leaves / total, "move": moves / total}
    for n in range(1, length + 1):
        # The kind furthest behind its share goes next: an even spread, the same every run.
        kind = max(shares, key=lambda k: shares[k] * n - counts[k])
        counts[kind] += 1
        out.append(kind)
    return out


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, bytes]:
    """Send one request; its status, Location header and body."""
    writer.write(request)
    status_line = await reader.readline()
    length, location = 0, b""
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name = line[:16].lower()
        if name.startswith(b"content-length:"):
            length = int(line[15:])
        elif name.startswith(b"location:"):
            location = line[9:].strip()
    body = await reader.readexactly(length)
    return int(status_line[9:12] or 0), location, body


def _request(method: str, path: str, head: str, body: bytes = b"") -> bytes:
    length = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
    line = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}{length}\r\n"
    return line.encode() + body


async def run_mixed(
    port: int,
    token: str,
    joins: list[tuple[bytes, bytes]],
    move_ips: list[str],
    kinds: list[str],
    seconds: float,
    connections: int,
) -> MixedResult:
    """Load ``remit serve`` on ``port`` with the mix ``kinds`` for ``seconds``.

    ``joins`` are (start, end) of join bodies: a participant id goes between them, new for
    every join. ``move_ips`` are the addresses moves go to.
    """
    head = f"Authorization: Bearer {token}\r\n"
    result = MixedResult(seconds)
    deadline = time.perf_counter() + seconds

    async def worker(number: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        live: list[str] = []
        n = number * 7
        try:
            while time.perf_counter() < deadline:
                n += 1
                kind = kinds[n % len(kinds)]
                if kind != "join" and not live:
                    kind = "join"
                if kind == "join":
                    start, end = joins[n % len(joins)]
                    body = start + f"c{number}-{n}".encode() + end
                    request = _request("POST", "/v1/sessions", head, body)
                elif kind == "leave":
                    request = _request("DELETE", f"/v1/sessions/{live.pop()}", head)
                else:
                    ip = move_ips[n % len(move_ips)]
                    body = f'{{"ip":"{ip}"}}'.encode()
                    request = _request("PATCH", f"/v1/sessions/{live[-1]}", head, body)
                started = time.perf_counter()
                status, location, answer = await _exchange(reader, writer, request)
                result.latencies.append(time.perf_counter() - started)
                if kind == "join" and status == 201:
                    sid = location.rsplit(b"/", 1)[-1].decode()
                    live.append(sid)
                    result.joined.append(sid)
                elif kind == "join" and status == 451:
                    result.refused += 1
                elif kind == "leave" and status == 200 and b'"status":"left"' in answer:
                    result.left.append(request.split(b" ", 2)[1].rsplit(b"/", 1)[-1].decode())
                elif kind == "move" and status == 200:
                    result.moves += 1
                else:
                    result.errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    result.seconds = time.perf_counter() - started
    return result
