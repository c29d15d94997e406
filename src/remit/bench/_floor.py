"""The floor for ``remit bench admissions``: a bare Starlette endpoint returning the same JSON.

Run as ``python -m remit.bench._floor PORT``; it answers every ``POST /v1/admissions`` with a
fixed admission answer, so the difference from remit is what remit's own work costs.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = (
    b'{"decision":"allow","orders":[],"location":{"country":"US","subdivision":null,'
    b'"source":"iptocc"},"skipped":[]}'
)


async def admissions(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/v1/admissions", admissions, methods=["POST"])])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
