"""Every connector is a Connector, and every one checks its settings the one shared way."""

from __future__ import annotations

import pluggy
import pytest

from remit.connectors import (
    Connector,
    Setting,
    checked_settings,
    hookimpl,
    load_connectors,
    plugin_manager,
)
from remit.connectors._hooks import PROJECT, Hooks
from remit.errors import InvalidConfiguration

SETTINGS = (
    Setting("url", needs="a URL, such as https://x.example/", check=lambda v: v.rstrip("/")),
    Setting("secret", make=lambda: "made", show_made=True),
    Setting("token_secret", make=lambda: "kept"),
    Setting("api_secret"),
)


def test_settings_are_stored_checked_and_made_when_absent() -> None:
    stored, shown = checked_settings("pigeon", {"url": " https://x.example/ "}, SETTINGS)
    assert stored == {"url": "https://x.example", "secret": "made", "token_secret": "kept"}
    assert shown == {"secret": "made"}
    given = {"url": "https://x.example", "secret": "mine", "api_secret": "a"}
    stored, shown = checked_settings("pigeon", given, SETTINGS)
    assert stored == {"url": "https://x.example", "secret": "mine", "token_secret": "kept",
                      "api_secret": "a"}  # fmt: skip
    assert shown == {}


def test_a_blank_setting_is_an_absent_one() -> None:
    stored, shown = checked_settings("pigeon", {"url": "https://x", "secret": " "}, SETTINGS)
    # made, so shown: a secret nobody saw would be lost
    assert stored["secret"] == shown["secret"] == "made"
    with pytest.raises(InvalidConfiguration, match="url: the pigeon connector needs a URL"):
        checked_settings("pigeon", {"url": "  "}, SETTINGS)


def test_each_mistake_is_one_message_naming_the_setting() -> None:
    with pytest.raises(InvalidConfiguration) as unknown:
        checked_settings("pigeon", {"url": "https://x", "colour": "blue"}, SETTINGS)
    assert unknown.value.field == "colour"
    assert unknown.value.message == (
        "colour: not a setting of the pigeon connector (url, secret, token_secret, api_secret)"
    )

    def no_ftp(value: str) -> str:
        raise ValueError(f"{value!r} is not an http(s) URL")

    with pytest.raises(InvalidConfiguration) as refused:
        checked_settings("pigeon", {"url": "ftp://x"}, [Setting("url", needs="it", check=no_ftp)])
    assert (refused.value.field, refused.value.message) == (
        "url",
        "url: 'ftp://x' is not an http(s) URL",
    )


@pytest.mark.parametrize("name", sorted(load_connectors()))
def test_every_built_in_connector_refuses_an_unknown_setting_alike(name: str) -> None:
    connector = load_connectors()[name]
    assert isinstance(connector, Connector)
    with pytest.raises(InvalidConfiguration) as refused:
        connector.configure({"colour": "blue"})
    assert refused.value.field == "colour"
    assert refused.value.message.startswith(f"colour: not a setting of the {name} connector (")


def test_a_connector_takes_its_options_as_they_are_unless_it_checks_them() -> None:
    class Pigeon(Connector):
        name = "pigeon"

    assert Pigeon().configure({"loft": "north"}) == ({"loft": "north"}, {})
    Pigeon().close()  # holds nothing
    with pytest.raises(NotImplementedError):
        Pigeon().deliver(None, None)  # type: ignore[arg-type]


class _Duck:
    name = "duck"

    def deliver(self, platform: object, command: object) -> None:
        pass


class _DuckPlugin:
    @hookimpl
    def remit_connectors(self) -> list[object]:
        return [_Duck()]


def test_a_plugins_connector_must_be_a_connector() -> None:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Hooks)
    manager.register(_DuckPlugin())
    with pytest.raises(InvalidConfiguration, match=r"is not a named remit\.connectors\.Connector"):
        load_connectors(manager)
    assert "webhook" in load_connectors(plugin_manager())
