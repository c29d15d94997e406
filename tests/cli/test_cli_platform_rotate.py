"""``remit platform rotate``: a new token and a new webhook secret, the old ones honoured for the
grace period, so that a platform switching over never rejects a delivery; against a real
``remit serve`` and a platform endpoint that checks every signature."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from remit.api import hash_token
from remit.cli import cli
from remit.store import open_store
from remit_server import IN_SCOPE, OUTSIDE, RemitServer
from secrets_helpers import platform_settings
from webhook_receiver import Receiver


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def shown(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert run("db", "upgrade", "--db", url).exit_code == 0
    return url


def _holder(db: str, token: str) -> str | None:
    with open_store(db) as store:
        found = store.user_for_token(hash_token(token))
    return None if found is None else found.name


def _settings(db: str, name: str) -> dict[str, str]:
    return platform_settings(db, name)


def test_rotate_shows_a_new_token_and_secret_and_keeps_the_old_ones_a_day(db: str) -> None:
    first = shown(
        run("platform", "add", "meet", "--webhook-url", "http://127.0.0.1:9/x", "--db", db)
    )
    rotated = shown(run("platform", "rotate", "meet", "--db", db))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != first["secret"]
    assert rotated["token"] != first["token"]
    ends = datetime.fromisoformat(rotated["old token and secret work until"])
    assert abs(ends - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    settings = _settings(db, "meet")
    assert settings["secret"] == rotated["secret"]
    assert settings["previous_secret"] == first["secret"]
    assert settings["url"] == "http://127.0.0.1:9/x"
    assert _holder(db, first["token"]) == "meet"  # in its grace period
    assert _holder(db, rotated["token"]) == "meet"


def test_no_grace_ends_the_old_token_and_secret_at_once(db: str) -> None:
    first = shown(
        run("platform", "add", "meet", "--webhook-url", "http://127.0.0.1:9/x", "--db", db)
    )
    rotated = shown(run("platform", "rotate", "meet", "--grace-hours", "0", "--db", db))
    assert _holder(db, first["token"]) is None
    assert _holder(db, rotated["token"]) == "meet"
    assert set(_settings(db, "meet")) == {"url", "secret"}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["nobody"], "no platform nobody"),
        (["meet", "--grace-hours", "-1"], "--grace-hours"),
        (["meet", "--grace-hours", "a day"], "--grace-hours"),
        ([], "NAME"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_changes_nothing(
    db: str, args: list[str], named: str
) -> None:
    first = shown(
        run("platform", "add", "meet", "--webhook-url", "http://127.0.0.1:9/x", "--db", db)
    )
    result = run("platform", "rotate", *args, "--db", db)
    assert result.exit_code == 2, result.output
    assert named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _settings(db, "meet")["secret"] == first["secret"]
    assert _holder(db, first["token"]) == "meet"


def test_a_platform_whose_user_was_removed_is_refused_before_anything_changes(db: str) -> None:
    first = shown(
        run("platform", "add", "meet", "--webhook-url", "http://127.0.0.1:9/x", "--db", db)
    )
    assert run("user", "remove", "meet", "--db", db).exit_code == 0
    result = run("platform", "rotate", "meet", "--db", db)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "Error: platform meet: its user was removed (remit user remove)"
    assert result.stdout == ""
    assert _settings(db, "meet")["secret"] == first["secret"]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[RemitServer, Receiver]]:
    platform = Receiver("")  # the platform's endpoint, verifying with the secret it holds now
    server = RemitServer(tmp_path)
    try:
        server.add_platform("meet", "webhook", {"url": platform.url})
        platform.secret = server.shown["secret"]
        server.start()
        server.enforce("june4-a", "host-us-1")  # mainland China, in force
        yield server, platform
    finally:
        server.stop()
        platform.close()


def _moved_in(server: RemitServer, token: str, person: str) -> None:
    """``person`` joins from Hong Kong, then moves into mainland China: remit removes them."""
    headers = {"Authorization": f"Bearer {token}"}
    join: dict[str, Any] = {
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "participant": {"id": person, "ip": OUTSIDE[0]},
    }
    with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
        joined = client.post("/v1/sessions", json=join)
        assert joined.status_code == 201, joined.text
        moved = client.patch(f"/v1/sessions/{joined.json()['id']}", json={"ip": IN_SCOPE})
        assert moved.status_code == 200, moved.text


def _removed(platform: Receiver, person: str, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while person not in (r["participant"]["id"] for r in platform.of_type("participant.remove")):
        assert time.monotonic() < deadline, f"{person} was never removed: {platform.events}"
        time.sleep(0.05)


def _signatures(platform: Receiver) -> int:
    """How many signatures the last delivery carried."""
    return len(platform.deliveries[-1][1]["webhook-signature"].split(" "))


def test_a_platform_switching_secrets_mid_grace_receives_every_removal(
    live: tuple[RemitServer, Receiver],
) -> None:
    server, platform = live
    old_token = server.tokens["meet"]
    _moved_in(server, old_token, "before")
    _removed(platform, "before")
    rotated = shown(run("platform", "rotate", "meet", "--db", server.db))
    # Still on the old secret and the old token: nothing in flight is rejected.
    _moved_in(server, old_token, "during")
    _removed(platform, "during")
    # remit's nodes sign with both secrets within a few seconds; then the platform switches.
    time.sleep(6)
    _moved_in(server, old_token, "both")
    _removed(platform, "both")
    assert _signatures(platform) == 2
    platform.secret = rotated["secret"]
    _moved_in(server, rotated["token"], "after")
    _removed(platform, "after")
    assert platform.bad_signatures == 0
