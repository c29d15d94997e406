"""The operator's declared resource types: checked when declared, and where each type enters."""

from __future__ import annotations

import pytest

from remit.errors import InvalidConfiguration, InvalidInput
from remit.policy import DEFAULT_RESOURCE_TYPES, ResourceTypes


def test_the_default_is_meetings_recordings_and_channels() -> None:
    assert DEFAULT_RESOURCE_TYPES == ("meeting", "recording", "channel")
    assert ResourceTypes().names == DEFAULT_RESOURCE_TYPES


def test_a_list_is_parsed_in_the_operators_order() -> None:
    types = ResourceTypes.parse(" room, stream ,channel,")
    assert types.names == ("room", "stream", "channel")
    assert "stream" in types
    assert "meeting" not in types


@pytest.mark.parametrize(
    "text", ["", ",", "Meeting", "room,room", "host", "account", "user", "a b"]
)
def test_a_bad_declaration_is_a_configuration_error_naming_the_setting(text: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        ResourceTypes.parse(text)
    assert caught.value.field == "resource-types"
    assert caught.value.message.startswith("resource-types: ")


def test_an_undeclared_resource_is_refused_naming_the_field_and_the_known_types() -> None:
    types = ResourceTypes(("meeting", "channel"))
    assert types.check_resource("channel") == "channel"
    with pytest.raises(InvalidInput) as caught:
        types.check_resource("recording")
    assert caught.value.field == "resource.type"
    assert "meeting, channel" in caught.value.message
    with pytest.raises(InvalidInput):
        types.check_resource("host")  # a target, never a resource


def test_a_target_may_be_a_declared_type_or_host() -> None:
    types = ResourceTypes(("meeting",))
    assert types.check_target("host") == "host"
    assert types.check_target("meeting") == "meeting"
    with pytest.raises(InvalidInput) as caught:
        types.check_target("meetng", "targets[0].type")
    assert caught.value.field == "targets[0].type"
    assert "'meetng'" in caught.value.message
