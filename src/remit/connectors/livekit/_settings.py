"""A LiveKit platform's settings, checked once when the operator registers the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from remit._urls import has_credentials, shown_url
from remit.connectors._settings import Setting, checked_settings, whole_number

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


def _no_credentials(value: str) -> str:
    if has_credentials(value):
        raise ValueError(
            f"{shown_url(value)!r} has a user name or password in it (user:password@), which "
            "remit refuses: a URL is shown in errors and logs, and its secrets would be too"
        )
    return value


def _server_url(value: str) -> str:
    if not value.startswith(("http://", "https://", "ws://", "wss://")):
        raise ValueError(f"{shown_url(value)!r} is not the LiveKit server's http(s) URL")
    return _http(_no_credentials(value))  # RoomService is plain HTTP on the same address


def _api_secret(value: str) -> str:
    if len(value) < MIN_SECRET:
        raise ValueError(f"LiveKit secrets are at least {MIN_SECRET} characters")
    return value


def _client_url(value: str) -> str:
    if not value.startswith(("ws://", "wss://", "http://", "https://")):
        raise ValueError(f"{shown_url(value)!r} is not a ws(s) or http(s) URL")
    return _no_credentials(value)


SETTINGS = (
    Setting("url", needs="it", check=_server_url),
    Setting("api_key", needs="it"),
    Setting("api_secret", needs="it", check=_api_secret),
    Setting("client_url", check=_client_url),
    Setting("token_ttl_seconds", check=whole_number(60, 86_400, what="a whole number of seconds")),
    Setting(
        "reconcile_seconds",
        check=whole_number(0, MAX_RECONCILE, what="a whole number of seconds (0: never)"),
    ),
)


def configure(options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The settings to store from the operator's ``--setting`` options; nothing is shown once
    (the key pair is LiveKit's, from its ``config.yaml``)."""
    return checked_settings("livekit", options, SETTINGS)
