"""The ``remit`` command line. Every error remit raises on purpose ends as one line and exit 2."""

from __future__ import annotations

from typing import Any

import click

from remit.cli._bench import bench
from remit.cli._demo import demo
from remit.cli._locate import locate
from remit.cli._log_cli import keys, log_group
from remit.cli._platform import platform
from remit.cli._purge import purge
from remit.cli._report_cli import bench_log, export, report
from remit.cli._secrets import secrets_group
from remit.cli._serve import db, serve
from remit.cli._users import user
from remit.errors import RemitError

__all__ = ["HELP_OPTIONS", "cli", "main"]


class _InputError(click.ClickException):
    """A remit error shown as one line, with the exit code of a usage error."""

    exit_code = 2


class _Group(click.Group):
    """The root group: remit's errors and click's usage errors both end as one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # an option of remit itself, before any command
            raise _one_line(exc, info_name or "remit") from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RemitError as exc:
            raise _InputError(exc.message) from exc
        except click.UsageError as exc:  # click would print the usage too, over several lines
            raise _one_line(exc, ctx.command_path) from exc


def _one_line(exc: click.UsageError, command_path: str) -> _InputError:
    where = exc.ctx.command_path if exc.ctx is not None else command_path
    problem = " ".join(exc.format_message().split())
    return _InputError(f"{where}: {problem} (see {where} --help)")


HELP_OPTIONS = ["-h", "--help"]


@click.group(cls=_Group, context_settings={"help_option_names": HELP_OPTIONS})
@click.version_option(package_name="remit", prog_name="remit")
def cli() -> None:
    """remit keeps every government demand inside the borders of the government that made it.

    It decides, for each participant and each meeting, whether a government order applies where
    the participant is, and refuses or removes only those inside the order's scope.
    """


for command in (bench, db, demo, locate, platform, purge, secrets_group, serve, user):
    cli.add_command(command)
for command in (export, keys, log_group, report):  # transparency
    cli.add_command(command)
bench.add_command(bench_log)


def main() -> None:
    """Entry point of the ``remit`` console script."""
    cli(prog_name="remit")
