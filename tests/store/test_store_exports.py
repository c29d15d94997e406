"""The store's public surface is pinned, and both stores carry every method of the interface."""

from __future__ import annotations

import inspect

import pytest

import remit.store
from remit.store import MemoryStore, SqlStore, Store

PUBLIC = {
    "DEFAULT_URL", "AuditEntry", "ConsoleSession", "ConsoleStore", "MemoryConsoleStore",
    "MemoryStore", "SqlConsoleStore", "console_store_for", "OrderChanges", "Role",
    "SqlEnforcementStore",
    "SqlLogStore", "SqlStore", "Store", "User", "enforcement_store_for", "log_store_for",
    "open_enforcement_store", "open_log_store", "open_store", "upgrade",
    # Platforms' settings sealed at rest (issue 16): the key, where it is, its rotation.
    "ENV_KEY", "KEY_FILE", "Sealer", "open_sealer", "rotate_key", "secrets_key_path",
    # The roster's writer in a process of its own (issue 14).
    "RosterProcess",
}  # fmt: skip


def test_the_store_exports_exactly_the_public_names() -> None:
    assert set(remit.store.__all__) == PUBLIC
    assert len(remit.store.__all__) == len(PUBLIC)
    for name in remit.store.__all__:
        assert getattr(remit.store, name) is not None, name


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize("implementation", [MemoryStore, SqlStore])
def test_a_store_has_every_method_of_the_interface_with_its_signature(
    implementation: type,
) -> None:
    wanted, found = _methods(Store), _methods(implementation)
    assert set(wanted) <= set(found)
    for name, signature in wanted.items():
        assert found[name].parameters.keys() == signature.parameters.keys(), name
