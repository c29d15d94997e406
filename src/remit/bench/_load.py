"""Load generators for HTTP benchmarks: wrk when installed, else a small asyncio one.

Both keep ``connections`` keep-alive connections busy for ``seconds`` with POST requests taken in
turn from ``bodies``, and report requests per second and the 99th percentile latency.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests_per_s: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


def run_load(
    port: int,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> LoadResult:
    """Load ``http://127.0.0.1:port{path}`` with wrk if it is installed, else with asyncio."""
    if shutil.which("wrk"):
        return _wrk(port, path, bodies, headers, seconds, connections)
    return asyncio.run(_asyncio_load(port, path, bodies, headers, seconds, connections))


def _wrk(
    port: int,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> LoadResult:
    lines = ["local bodies = {"]
    lines += [f"  {json.dumps(b.decode())}," for b in bodies]
    lines += ["}", "local i = 0", 'wrk.method = "POST"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines += [
        "request = function()",
        "  i = i % #bodies + 1",
        "  return wrk.format(nil, nil, nil, bodies[i])",
        "end",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bodies.lua"
        script.write_text("\n".join(lines))
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        command += ["-s", str(script), f"http://127.0.0.1:{port}{path}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out))
    p99 = _ms(_find(r"\s99%\s+(\S+)", out))
    total = int(_find(r"(\d+) requests in", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(rps, p99, total, int(non_2xx.group(1)) if non_2xx else 0, "wrk")


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"could not read wrk's output: {text[-500:]}")
    return match.group(1)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    """wrk's latency (``456.00us``, ``1.23ms``, ``1.01s``) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise RuntimeError(f"could not read wrk's latency {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


async def _asyncio_load(
    port: int,
    path: str,
    bodies: list[bytes],
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> LoadResult:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(requests[i % len(requests)])
                i += 1
                status_line = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not status_line.startswith(b"HTTP/1.1 2"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n * 7) for n in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    return LoadResult(len(latencies) / elapsed, p99, len(latencies), errors, "built-in asyncio")
