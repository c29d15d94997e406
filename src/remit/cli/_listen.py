"""The listening socket of ``remit serve``: taken before anything starts, announced once served.

remit binds its address itself, first, so that a port another process holds is one line and
exit 2 before a database is migrated or a thread is started; uvicorn then serves on that socket,
and "listening" is printed only once uvicorn has started serving on it.

uvicorn's own proxy handling is off: by default it believes ``X-Forwarded-For`` from any client
at 127.0.0.1 and rewrites the request's peer with it, which would let anyone on the machine pick
the address the sign-in throttle counts. remit's ``--trusted-proxy`` is the one owner of that
question (the console's throttle, the logs and the admission path read the real peer), and no
``Server`` header names what answers.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from remit.errors import InvalidConfiguration


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` (0: any free port), or
    ``InvalidConfiguration`` naming ``--port`` (taken) or ``--host`` (not an address here)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidConfiguration(
            f"host: cannot listen on {host!r}: {exc}", field="host"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE or isinstance(exc, PermissionError):
            taken = exc.errno == errno.EADDRINUSE
            why = "is in use by another process" if taken else "needs privileges"
            raise InvalidConfiguration(
                f"port: {host}:{port} {why}; choose another with --port", field="port"
            ) from None
        raise InvalidConfiguration(
            f"host: cannot listen on {host}:{port}: {exc.strerror or exc}", field="host"
        ) from None
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL the socket is listening on (its real port when asked for port 0)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_listening: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:  # the app's startup went well and the socket is being served
            self._on_listening()


def serve(
    app: Any, sock: socket.socket, *, access_log: bool, on_listening: Callable[[], None]
) -> None:
    """Serve ``app`` on ``sock`` until a signal stops it; ``on_listening`` once it serves."""
    config = uvicorn.Config(
        app,
        access_log=access_log,
        log_level="warning",
        proxy_headers=False,  # remit's --trusted-proxy decides what X-Forwarded-For is worth
        forwarded_allow_ips=[],
        server_header=False,
    )
    _Server(config, on_listening).run(sockets=[sock])
