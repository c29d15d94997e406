"""The lock files: every dependency pinned with hashes, and the two files in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text("utf-8")
    return {canonicalize_name(n): v for n, v in PIN.findall(text)}


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    found = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return {canonicalize_name(Requirement(r).name) for r in found}


def test_every_requirement_line_is_pinned_with_hashes() -> None:
    for name in ("run.txt", "dev.txt"):
        text = (ROOT / "requirements" / name).read_text("utf-8")
        entries = [e for e in re.split(r"\n(?=\S)", text) if e and not e.startswith("#")]
        assert entries, name
        for entry in entries:
            assert PIN.match(entry), f"{name}: not pinned exactly: {entry.splitlines()[0]}"
            assert "--hash=sha256:" in entry, f"{name}: no hash: {entry.splitlines()[0]}"


def test_every_declared_dependency_is_locked() -> None:
    assert _declared() <= set(_pins("run.txt")), "run `make lock`"
    assert _declared("dev") <= set(_pins("dev.txt")), "run `make lock`"
    assert {"pip", "setuptools"} <= set(_pins("dev.txt")) & set(_pins("run.txt"))


def test_run_lock_has_the_versions_of_the_dev_lock() -> None:
    run, dev = _pins("run.txt"), _pins("dev.txt")
    assert {n: v for n, v in run.items() if dev.get(n) != v} == {}
