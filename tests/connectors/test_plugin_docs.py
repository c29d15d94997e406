"""docs/plugins.md describes every hook and every part of the connector interface (as Datasette's
tests/test_docs.py checks its plugin hooks), and its examples import names that exist."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from remit.connectors import Connector
from remit.connectors._hooks import Hooks

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HOOKS = sorted(name for name in vars(Hooks) if name.startswith("remit_"))
#: What a connector is: its name, and every method a subclass may override.
INTERFACE = sorted(name for name in vars(Connector) if not name.startswith("_"))


def _guide() -> str:
    return GUIDE.read_text("utf-8")


def test_there_are_hooks_and_an_interface_to_document() -> None:
    assert HOOKS == ["remit_connectors", "remit_endpoints", "remit_tasks"]
    assert INTERFACE == ["close", "configure", "deliver", "name"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    assert f"### `{hook}`" in _guide(), f"docs/plugins.md has no section on the hook {hook}"


@pytest.mark.parametrize("member", INTERFACE)
def test_every_part_of_the_connector_interface_is_documented(member: str) -> None:
    assert f"### `Connector.{member}`" in _guide(), f"docs/plugins.md lacks Connector.{member}"


def test_the_guides_examples_import_what_remit_has() -> None:
    blocks = re.findall(r"```python\n(.*?)```", _guide(), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("remit"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                    assert alias.name in module.__all__, f"{node.module}.{alias.name} is private"
