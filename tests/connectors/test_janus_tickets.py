"""The janus connector's tokens, publisher ids and settings, without a Janus server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli
from remit.connectors.janus import JanusConnector, feed_id, read_token, token
from remit.connectors.janus._tickets import MAX_ID, feed_of, new_secret
from remit.errors import InvalidConfiguration

SECRET = new_secret()


def test_a_token_names_its_participant_and_host_for_its_room_only() -> None:
    issued = token(SECRET, "1234", "alice", "host-hk")
    assert issued == token(SECRET, "1234", "alice", "host-hk")  # recomputable: no table
    assert read_token(SECRET, "1234", issued) == ("alice", "host-hk")
    assert read_token(SECRET, "1235", issued) is None
    assert read_token(new_secret(), "1234", issued) is None
    assert read_token(SECRET, "1234", token(SECRET, "1234", "bob", None)) == ("bob", None)


@pytest.mark.parametrize("text", ["", "rt1.", "rt1.a.b", "rt1..", "x.y.z", "rt1.e30.AAAA"])
def test_anything_else_is_not_a_token(text: str) -> None:
    assert read_token(SECRET, "1234", text) is None


def test_a_forged_payload_does_not_verify() -> None:
    issued = token(SECRET, "1234", "alice", None)
    other = token(SECRET, "1234", "mallory", None)
    forged = f"rt1.{other.split('.')[1]}.{issued.split('.')[2]}"
    assert read_token(SECRET, "1234", forged) is None


def test_publisher_ids_are_stable_safe_for_javascript_and_apart() -> None:
    ids = {feed_id(SECRET, "1234", f"p{n}") for n in range(1000)}
    assert len(ids) == 1000
    assert all(1 <= i <= MAX_ID for i in ids)
    assert feed_of(SECRET, "1234", "p1") == feed_id(SECRET, "1234", "p1")
    assert feed_of(SECRET, "1234", "janus-feed-77") == 77
    assert feed_of(SECRET, "1234", "janus-feed-x") is None


def test_settings_are_checked_and_a_token_secret_made() -> None:
    settings, shown = JanusConnector().configure(
        {"url": "http://127.0.0.1:8088/janus/", "room_secret": "s"}
    )
    assert settings["url"] == "http://127.0.0.1:8088/janus"
    assert len(settings["token_secret"]) == 64
    assert shown == {}
    for options, field in (
        ({"room_secret": "s"}, "url"),
        ({"url": "ftp://x", "room_secret": "s"}, "url"),
        ({"url": "http://x/janus"}, "room_secret"),
        ({"url": "http://x/janus", "room_secret": "s", "colour": "red"}, "colour"),
    ):
        with pytest.raises(InvalidConfiguration) as caught:
            JanusConnector().configure(options)
        assert caught.value.field == field


def test_the_cli_refuses_a_platform_without_janus_url_in_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/remit.sqlite3"
    CliRunner().invoke(cli, ["db", "upgrade", "--db", db])
    result = CliRunner().invoke(
        cli, ["platform", "add", "meet", "--connector", "janus", "--db", db]
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "url" in result.output
