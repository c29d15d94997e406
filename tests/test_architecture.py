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


# Import cycles. Every import statement counts: at module level, under ``if TYPE_CHECKING:``
# (such an import hides a cycle from the interpreter, not from the reader: a model module both
# sides import is the way out) and inside functions (a deferred import still ties the two
# modules together). A submodule's implicit import of its own package does not count, but
# ``from remit.store import X`` of a name the package's __init__ defines does.


def _modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (a package directory) by its dotted name."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``name`` (at ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            submodules = {f"{base}.{a.name}" for a in node.names} & modules.keys()
            found |= submodules
            if len(submodules) < len(node.names):  # a name the module itself defines
                found.add(base)
    return found & modules.keys() - {name}


def import_cycles(root: Path) -> list[list[str]]:
    """Each set of modules under ``root`` that import one another in a circle, sorted."""
    modules = _modules(root)
    graph = {name: _imported(name, path, modules) for name, path in modules.items()}
    # Tarjan's strongly connected components, without recursion.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return sorted(cycles)


def test_no_module_of_remit_imports_itself_back_through_others() -> None:
    cycles = import_cycles(SRC)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_check_sees_cycles_hidden_under_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from pkg.report import build\nfrom pkg._model import Row\n"
    )
    (package / "report.py").write_text("from pkg._html import page\n\ndef build(): ...\n")
    (package / "_html.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.report import Row\n"
    )
    (package / "_model.py").write_text("from pkg import build\n")  # a name of the package's
    (package / "leaf.py").write_text("from pkg import _model\nfrom . import report\n")
    assert import_cycles(package) == [["pkg", "pkg._model"], ["pkg._html", "pkg.report"]]


LONG_MODULE = 400


def test_a_long_module_says_at_its_top_why_it_is_long() -> None:
    # Past ~400 lines a module is a place to get lost in; one that stays long says why in its
    # docstring ("Why one module…"), so the next engineer knows it was chosen, not grown.
    unexplained = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines <= LONG_MODULE:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if "Why one" not in docstring:
            unexplained.append(f"{path.relative_to(SRC)} ({lines} lines)")
    assert not unexplained, f"modules over {LONG_MODULE} lines without a reason: {unexplained}"
