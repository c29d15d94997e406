"""The prosody connector's settings, as ``remit platform add`` checks them (no Prosody needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli
from remit.connectors import load_connectors
from remit.connectors.prosody import MODULE, ProsodyConnector
from remit.errors import InvalidConfiguration

URL = "https://conference.example.org:5281/remit/commands"


def test_the_prosody_connector_is_built_in() -> None:
    assert isinstance(load_connectors()["prosody"], ProsodyConnector)


def test_the_lua_module_ships_inside_the_package() -> None:
    source = MODULE.read_text("utf-8")
    assert 'module:hook("muc-occupant-pre-join"' in source
    assert '["POST /commands"]' in source


def test_a_new_secret_is_made_and_shown_once() -> None:
    settings, shown = ProsodyConnector().configure({"url": URL})
    assert settings["url"] == URL
    assert settings["secret"].startswith("whsec_")
    assert shown == {"secret": settings["secret"]}


def test_a_given_secret_is_kept_and_not_shown() -> None:
    settings, shown = ProsodyConnector().configure({"url": URL, "secret": "whsec_c2VjcmV0"})
    assert settings == {"url": URL, "secret": "whsec_c2VjcmV0"}
    assert shown == {}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "url"),
        ({"url": "conference.example.org/remit"}, "url"),
        ({"url": URL, "secret": "hunter2"}, "secret"),
        ({"url": URL, "room": "x"}, "room"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidConfiguration) as refused:
        ProsodyConnector().configure(options)
    assert refused.value.field == field


def test_the_cli_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", db]).exit_code == 0
    args = ["platform", "add", "xmpp", "--connector", "prosody", "--db", db]
    result = CliRunner().invoke(cli, [*args, "--setting", "url=ftp://example.org"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "url" in result.output
