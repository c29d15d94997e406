"""Generate the CLI reference (docs/cli.md) from the commands' own ``--help``.

Run with ``python -m remit.cli._docs > docs/cli.md`` (``make docs``). A test fails when the
committed reference differs from what this prints. ``python -m remit.cli._docs --api FILE``
rewrites the table of allowed values in docs/api.md instead (see :mod:`remit.cli._allowed`).
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from remit.cli import HELP_OPTIONS, cli


def _walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def reference() -> str:
    """The whole CLI reference as Markdown."""
    parts = [
        "# CLI reference",
        "",
        "Generated from `remit … --help` by `make docs`; a test fails when it is out of date.",
        "",
    ]
    for path, command in _walk(cli, ["remit"]):
        with click.Context(
            command,
            info_name=" ".join(path),
            terminal_width=88,
            max_content_width=88,
            help_option_names=HELP_OPTIONS,
        ) as ctx:
            text = command.get_help(ctx)
        parts += [f"## `{' '.join(path)}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from remit.cli._allowed import with_allowed_values

    if sys.argv[1:2] == ["--api"]:
        guide = Path(sys.argv[2])
        guide.write_text(with_allowed_values(guide.read_text("utf-8")), "utf-8")
    else:
        print(reference(), end="")
