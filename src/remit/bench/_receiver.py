"""The platform for ``remit bench activation``: a bare Starlette endpoint that takes webhooks.

Run as ``python -m remit.bench._receiver PORT``. Every ``POST`` is read and answered ``204`` at
once, without checking its signature (a real platform verifies each one: the figure measures
remit's deliverer, not the platform); ``GET /count`` says how many it took.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

taken = 0


async def webhook(request: Request) -> Response:
    global taken
    await request.body()
    taken += 1
    return Response(status_code=204)


async def count(request: Request) -> Response:
    return PlainTextResponse(str(taken))


app = Starlette(
    routes=[
        Route("/count", count, methods=["GET"]),
        Route("/{path:path}", webhook, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
