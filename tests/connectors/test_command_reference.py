"""What platforms are told about the commands is what remit sends: written from one definition."""

from __future__ import annotations

from pathlib import Path

from remit.connectors.synapse import _paths as synapse
from remit.connectors.webhook._reference import between_markers, reference
from remit.enforcement import PAYLOADS, CommandType

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "connectors" / "webhook.md"


def test_the_webhook_guides_reference_of_the_commands_is_current() -> None:
    assert between_markers(GUIDE.read_text("utf-8")) == reference(), (
        "docs/connectors/webhook.md is out of date: run `make docs`"
    )


def test_the_reference_names_every_command_and_every_field() -> None:
    written = reference()
    for kind, data in PAYLOADS.items():
        assert f"### `{kind}`" in written
        for field in data.__struct_fields__:
            assert f"| `{field}` |" in written, f"{kind}: {field}"


def test_the_synapse_module_carries_every_command_remit_sends_it() -> None:
    # The module runs inside Synapse's process and cannot import remit.enforcement: it spells the
    # types out, and they must be remit's.
    sent = set(CommandType) - {CommandType.REFUSED}  # a refusal is a record, never sent
    assert {synapse.REMOVE, *synapse.ACKNOWLEDGED} == sent
    assert synapse.REMOVE == CommandType.REMOVE
