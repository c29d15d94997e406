"""The mumble connector's settings, and remit-mumble's own pieces that need no Murmur: its ini
file, the addresses Murmur reports, and the signatures on remit's commands."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from standardwebhooks import Webhook

from remit.cli import cli
from remit.connectors import load_connectors
from remit.connectors.mumble import BRIDGE, MumbleConnector
from remit.connectors.mumble import bridge as remit_mumble
from remit.connectors.webhook import new_secret
from remit.errors import InvalidConfiguration

URL = "http://mumble.example.org:7890/remit/commands"


def test_the_mumble_connector_is_built_in() -> None:
    assert isinstance(load_connectors()["mumble"], MumbleConnector)


def test_the_bridge_ships_inside_the_package_and_needs_only_the_standard_library_and_ice() -> None:
    source = BRIDGE.read_text("utf-8")
    assert 'if __name__ == "__main__":' in source
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and " __future__ " not in line
    }
    assert "remit" not in imported
    assert imported <= set(__import__("sys").stdlib_module_names)


def test_a_new_secret_is_made_and_shown_once() -> None:
    settings, shown = MumbleConnector().configure({"url": URL})
    assert settings["secret"].startswith("whsec_")
    assert shown == {"secret": settings["secret"]}


@pytest.mark.parametrize(
    ("options", "field"),
    [({}, "url"), ({"url": "mumble.example.org"}, "url"), ({"url": URL, "secret": "x"}, "secret"),
     ({"url": URL, "channel": "1"}, "channel")],
)  # fmt: skip
def test_bad_settings_are_refused_naming_the_setting(options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidConfiguration) as refused:
        MumbleConnector().configure(options)
    assert refused.value.field == field


def test_the_cli_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", db]).exit_code == 0
    args = ["platform", "add", "voice", "--connector", "mumble", "--db", db]
    result = CliRunner().invoke(cli, [*args, "--setting", "url=ftp://example.org"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def _ini(tmp_path: Path, text: str) -> str:
    path = tmp_path / "remit-mumble.ini"
    path.write_text(text)
    return str(path)


GOOD = f"[remit]\nurl = http://127.0.0.1:8080\ntoken = remit_x\nsecret = {new_secret()}\n"
GOOD += "[murmur]\nname = mumble.example.org\n"


def test_the_bridges_ini_is_read_with_its_defaults(tmp_path: Path) -> None:
    config = remit_mumble.Config(_ini(tmp_path, GOOD))
    assert (config.refused, config.lobby, config.policy) == ("move", 0, "allow")
    assert config.ice == "tcp -h 127.0.0.1 -p 6502"
    assert config.listen == ("127.0.0.1", 7890)


@pytest.mark.parametrize(
    ("extra", "named"),
    [("[murmur]\nrefused = ban\n", "[murmur] refused"), ("[bridge]\nport = 1\n", "[bridge] port"),
     ("[remit]\nfailure_policy = maybe\n", "[remit] failure_policy"),
     ("[murmur]\nlobby = root\n", "[murmur] lobby")],
)  # fmt: skip
def test_a_bad_ini_stops_the_bridge_with_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, named: str
) -> None:
    sections: dict[str, str] = {}
    for block in (GOOD + extra).split("[")[1:]:
        name, _, body = block.partition("]\n")
        sections[name] = sections.get(name, "") + body
    text = "".join(f"[{name}]\n{body}" for name, body in sections.items())
    assert remit_mumble.main([_ini(tmp_path, text)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"remit-mumble: {named}")


def test_a_missing_ini_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert remit_mumble.main([str(tmp_path / "nowhere.ini")]) == 2
    assert "nowhere.ini: cannot be read" in capsys.readouterr().err


def test_murmurs_addresses_are_read_as_remit_reads_addresses() -> None:
    mapped = (0,) * 10 + (255, 255, 127, 0, 0, 10)
    assert remit_mumble.address_of(mapped) == "127.0.0.10"
    assert remit_mumble.address_of(tuple(bytes.fromhex("20010da8" + "00" * 11 + "01"))) == (
        "2001:da8:0:0:0:0:0:1"
    )
    assert remit_mumble.address_of((1, 2, 3)) is None


def test_only_commands_signed_with_remits_secret_and_current_are_believed() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    now = datetime.now(UTC)
    body = b'{"type":"participant.remove"}'

    def headers(signer: str, when: datetime) -> dict[str, str]:
        return {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": Webhook(signer).sign("msg_1", when, body.decode()),
        }

    stamp = now.timestamp()
    assert remit_mumble.signed(key, headers(secret, now), body, stamp)
    assert not remit_mumble.signed(key, headers(new_secret(), now), body, stamp)
    assert not remit_mumble.signed(key, headers(secret, now), body + b" ", stamp)
    assert not remit_mumble.signed(key, headers(secret, now), body, stamp + 301)
    assert not remit_mumble.signed(key, {}, body, stamp)
