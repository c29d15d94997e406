"""The layers of docs/design.md stay visible: inner packages never import outer ones; cores stay
pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "remit"

# Inner to outer, as docs/design.md draws them. A package may import itself and anything before it.
LAYERS = [
    "errors",
    "jurisdictions",
    "location",
    "policy",
    "orders",
    "enforcement",
    "transparency",
    "store",
    "api",
    "console",
    "connectors",
    "demo",
    "bench",
    "cli",
]
# Modules that must do no I/O: no files, sockets, databases, clocks or randomness.
PURE = ["policy", "transparency/merkle.py", "transparency/tree.py"]
IMPURE_MODULES = {
    "socket",
    "sqlite3",
    "sqlalchemy",
    "httpx",
    "urllib",
    "time",
    "random",
    "os",
    "io",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "remit" and len(parts) > 1 else None


def test_every_package_has_a_place_in_the_layers() -> None:
    packages = {
        p.stem if p.is_file() else p.name for p in SRC.iterdir() if not p.name.startswith("_")
    }
    packages -= {"py"}  # py.typed
    assert packages <= set(LAYERS), f"place these in LAYERS: {sorted(packages - set(LAYERS))}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_inner_layers_never_import_outer_ones(path: Path) -> None:
    own = path.relative_to(SRC).parts[0].removesuffix(".py")
    if own not in LAYERS:
        return
    for module in _imports(path):
        layer = _layer(module)
        if layer is not None and layer in LAYERS:
            assert LAYERS.index(layer) <= LAYERS.index(own), f"{own} imports outer layer {module}"


@pytest.mark.parametrize("core", PURE)
def test_pure_cores_do_no_io(core: str) -> None:
    target = SRC / core
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    if not files or not files[0].exists():
        pytest.skip(f"{core} is not written yet")
    for path in files:
        leaked = {m.split(".")[0] for m in _imports(path)} & IMPURE_MODULES
        assert not leaked, f"{path.relative_to(SRC)} imports {sorted(leaked)}"
