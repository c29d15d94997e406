"""The webhook guide's reference of the commands, written from their definitions.

``docs/connectors/webhook.md`` holds, between two markers, the Markdown :func:`reference`
writes from :data:`remit.enforcement.PAYLOADS`: every command type, what the platform should do,
and every field of its data, with the objects they contain. ``make docs`` rewrites it
(``python -m remit.connectors.webhook._reference docs/connectors/webhook.md``) and a test fails
when it is stale, so the guide says what remit sends.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi

from remit.enforcement import PAYLOADS

BEGIN = "<!-- commands: written by `make docs` from remit.enforcement.PAYLOADS; do not edit -->"
END = "<!-- end of commands -->"


def _described(kind: mi.Type) -> tuple[mi.Type, str]:
    if isinstance(kind, mi.Metadata):
        description = (kind.extra_json_schema or {}).get("description", "")
        return kind.type, str(description)
    return kind, ""


def _json_type(kind: mi.Type) -> str:
    kind, _ = _described(kind)
    if isinstance(kind, mi.UnionType):
        return " or ".join(_json_type(t) for t in kind.types)
    if isinstance(kind, mi.StrType):
        return "string"
    if isinstance(kind, mi.IntType):
        return "integer"
    if isinstance(kind, mi.NoneType):
        return "null"
    if isinstance(kind, mi.LiteralType):
        return ", ".join(f'`"{value}"`' for value in kind.values)
    if isinstance(kind, mi.DictType):
        return f"object of {_json_type(kind.value_type)}s"
    if isinstance(kind, mi.StructType):
        return f"object ({_object_name(kind.cls)})"
    raise TypeError(f"no JSON name for {kind!r}")  # a new kind of field: name it here


def _object_name(cls: type[Any]) -> str:
    return f"[{cls.__name__}](#{cls.__name__.lower()})"


def _summary(cls: type[Any]) -> str:
    return " ".join(inspect.cleandoc(cls.__doc__ or "").split())


def _fields(cls: type[msgspec.Struct]) -> list[str]:
    rows = ["| field | JSON | what it is |", "|---|---|---|"]
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    for field in info.fields:
        kind, description = _described(field.type)
        if not description and isinstance(kind, mi.StructType):
            description = _summary(kind.cls)
        optional = "" if field.required else " (may be absent)"
        rows.append(f"| `{field.name}` | {_json_type(field.type)} | {description}{optional} |")
    return rows


def _objects() -> list[type[msgspec.Struct]]:
    """The objects inside the payloads, each once, in the order they first appear."""
    found: list[type[msgspec.Struct]] = []

    def walk(kind: mi.Type) -> None:
        kind, _ = _described(kind)
        if isinstance(kind, mi.UnionType):
            for each in kind.types:
                walk(each)
        elif isinstance(kind, mi.StructType):
            if kind.cls not in found:
                found.append(kind.cls)
            for field in kind.fields:
                walk(field.type)

    for payload in PAYLOADS.values():
        info = mi.type_info(payload)
        assert isinstance(info, mi.StructType)
        for field in info.fields:
            walk(field.type)
    return found


def reference() -> str:
    """The Markdown between the guide's markers (without them)."""
    lines = ["| type | the platform should | data |", "|---|---|---|"]
    for kind, payload in PAYLOADS.items():
        names = ", ".join(f"`{f}`" for f in payload.__struct_fields__)
        lines.append(f"| [`{kind}`](#{kind.replace('.', '')}) | {_summary(payload)} | {names} |")
    for kind, payload in PAYLOADS.items():
        lines += ["", f"### `{kind}`", "", _summary(payload), "", *_fields(payload)]
    lines += ["", "### The objects in the data"]
    for cls in _objects():
        lines += ["", f"#### {cls.__name__}", "", _summary(cls), "", *_fields(cls)]
    return "\n".join(lines) + "\n"


def between_markers(text: str) -> str:
    """What the guide holds between its markers now."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n") + "\n"


def rewrite(path: Path) -> None:
    """Write :func:`reference` between the markers of the guide at ``path``."""
    text = path.read_text("utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(f"{text[:start]}\n{reference()}{text[end:]}", "utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))
