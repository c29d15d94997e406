"""A LiveKit platform's settings, checked once when the operator registers the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from remit.errors import InvalidConfiguration

REQUIRED = ("url", "api_key", "api_secret")
OPTIONAL = ("client_url", "token_ttl_seconds", "reconcile_seconds")
DEFAULT_TTL = 600
DEFAULT_RECONCILE = 60  # seconds between reconciliations of the roster with LiveKit
MAX_RECONCILE = 86_400
MIN_SECRET = 32  # LiveKit refuses shorter secrets too: HS256 needs a key of 256 bits


@dataclass(frozen=True)
class LiveKitSettings:
    """Where the LiveKit server is, and the key pair remit shares with it."""

    url: str  # the server's HTTP(S) URL, for RoomService
    api_key: str
    api_secret: str
    client_url: str  # what participants' apps connect to (ws:// or wss://)
    token_ttl: timedelta
    reconcile_seconds: int = DEFAULT_RECONCILE  # 0: never reconcile the roster

    @classmethod
    def of(cls, settings: dict[str, str]) -> LiveKitSettings:
        """The settings as stored by :func:`configure` (they were checked then)."""
        return cls(
            url=settings["url"],
            api_key=settings["api_key"],
            api_secret=settings["api_secret"],
            client_url=settings.get("client_url") or _ws(settings["url"]),
            token_ttl=timedelta(seconds=int(settings.get("token_ttl_seconds", DEFAULT_TTL))),
            reconcile_seconds=int(settings.get("reconcile_seconds", DEFAULT_RECONCILE)),
        )


def _ws(url: str) -> str:
    return "ws" + url.removeprefix("http") if url.startswith("http") else url


def _http(url: str) -> str:
    return "http" + url.removeprefix("ws") if url.startswith("ws") else url


def configure(options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The settings to store from the operator's ``--setting`` options; nothing is shown once
    (the key pair is LiveKit's, from its ``config.yaml``)."""
    known = (*REQUIRED, *OPTIONAL)
    for name in sorted(options):
        if name not in known:
            raise InvalidConfiguration(
                f"{name}: not a setting of the livekit connector ({', '.join(known)})",
                field=name,
            )
    for name in REQUIRED:
        if not options.get(name, "").strip():
            raise InvalidConfiguration(f"{name}: the livekit connector needs it", field=name)
    stored = {name: options[name].strip() for name in REQUIRED}
    if not stored["url"].startswith(("http://", "https://", "ws://", "wss://")):
        raise InvalidConfiguration(
            f"url: {stored['url']!r} is not the LiveKit server's http(s) URL", field="url"
        )
    stored["url"] = _http(stored["url"])  # RoomService is plain HTTP on the same address
    if len(stored["api_secret"]) < MIN_SECRET:
        raise InvalidConfiguration(
            f"api_secret: LiveKit secrets are at least {MIN_SECRET} characters", field="api_secret"
        )
    client = options.get("client_url", "").strip()
    if client:
        if not client.startswith(("ws://", "wss://", "http://", "https://")):
            raise InvalidConfiguration(
                f"client_url: {client!r} is not a ws(s) or http(s) URL", field="client_url"
            )
        stored["client_url"] = client
    ttl = options.get("token_ttl_seconds", "").strip()
    if ttl:
        if not ttl.isdigit() or not 60 <= int(ttl) <= 86_400:
            raise InvalidConfiguration(
                "token_ttl_seconds: a whole number of seconds from 60 to 86400",
                field="token_ttl_seconds",
            )
        stored["token_ttl_seconds"] = ttl
    reconcile = options.get("reconcile_seconds", "").strip()
    if reconcile:
        if not reconcile.isdigit() or int(reconcile) > MAX_RECONCILE:
            raise InvalidConfiguration(
                f"reconcile_seconds: a whole number of seconds from 0 (never) to {MAX_RECONCILE}",
                field="reconcile_seconds",
            )
        stored["reconcile_seconds"] = str(int(reconcile))
    return stored, {}
