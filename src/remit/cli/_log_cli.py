"""``remit keys`` and ``remit log verify``, and the log options ``remit serve`` takes."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from remit._files import write_private
from remit.cli._log_report import compare_report, published_report
from remit.errors import Conflict, InvalidConfiguration, VerificationError
from remit.store import Store, log_store_for
from remit.transparency import NoteVerifier, TransparencyLog
from remit.transparency.audit import AuditState, audit_log
from remit.transparency.keyfile import (
    DEFAULT_KEY_PATH,
    DEFAULT_ORIGIN,
    accepted_verifiers,
    create_key_file,
    keep_previous,
    previous_key_path,
    read_key_file,
    rotate_key_file,
    target_key_path,
    target_secret_file,
)
from remit.transparency.recount import published_period

F = TypeVar("F", bound=Callable[..., Any])


def key_path_option(name: str, dest: str) -> Callable[[F], F]:
    return click.option(
        name,
        dest,
        envvar="REMIT_LOG_KEY",
        show_envvar=True,
        default=DEFAULT_KEY_PATH,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The transparency log's signing key file (remit keys init creates it).",
    )


def _origin_option(name: str, dest: str) -> Callable[[F], F]:
    return click.option(
        name,
        dest,
        envvar="REMIT_LOG_ORIGIN",
        show_envvar=True,
        default=DEFAULT_ORIGIN,
        show_default=True,
        help="The log's name, the first line of its checkpoints: your host and a path.",
    )


def log_options(f: F) -> F:
    """``--log-key PATH`` / ``REMIT_LOG_KEY`` and ``--log-origin`` / ``REMIT_LOG_ORIGIN``."""
    return key_path_option("--log-key", "log_key")(_origin_option("--log-origin", "log_origin")(f))


def open_log(store: Store, log_key: str, log_origin: str) -> TransparencyLog:
    """The node's transparency log beside ``store``, not opened yet: the node opens it (rebuilds
    its tree) and catches it up with every order once it serves its decision index, and a first
    use opens it before. Creates the key file when it is missing, and says so in one line."""
    if Path(log_key).exists():
        signer = read_key_file(log_key)
    else:
        try:
            signer = create_key_file(log_key, log_origin)
        except Conflict:  # a node starting alongside made it first
            return open_log(store, log_key, log_origin)
        click.echo(
            f"created the log key {log_key} (keep it secret); verifier key: "
            f"{signer.verifier_key()}",
            err=True,
        )
    # Not opened here: the node opens it once its index is loaded (the log's catch-up never holds
    # up admissions), and anything else opens it on first use.
    return TransparencyLog(
        log_store_for(store),
        signer,
        origin=log_origin,
        secret=target_secret_file(log_key, signer),
        verifiers=accepted_verifiers(log_key, signer),
    )


# remit keys -----------------------------------------------------------------------------------


@click.group()
def keys() -> None:
    """Manage the transparency log's signing key."""


@keys.command("init")
@key_path_option("--path", "path")
@_origin_option("--origin", "origin")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing key file (its verifier key is kept beside it, as remit keys "
    "rotate keeps it; old checkpoints verify only with that old key).",
)
def keys_init(path: str, origin: str, force: bool) -> None:
    """Create the log's Ed25519 signing key (file mode 0600) and print its verifier key.

    The key is named after the origin. Publish the verifier key (the last line printed) so that
    anyone can check the log's checkpoints with remit log verify.
    """
    if force and Path(path).exists():
        old = read_key_file(path)
        target_secret_file(path, old)  # the targets keep their hashes
        keep_previous(path, old)
    signer = create_key_file(path, origin, force=force)
    click.echo(f"created the log key {path} (keep it secret); verifier key:", err=True)
    click.echo(signer.verifier_key())


@keys.command("rotate")
@key_path_option("--path", "path")
def keys_rotate(path: str) -> None:
    """Replace the log's signing key with a new one, keeping the old verifier key.

    The new key has the old one's name. The old verifier key is added to PATH.previous (mode
    0600), so that checkpoints signed before still verify: the node checks its last stored
    checkpoint with every key there, and remit keys public --all prints them all for
    auditors. The target-hash key (PATH.targets) is not changed: every target keeps its hash.
    Stop every node first, copy the new files to each, then start them; publish the new verifier
    key (the last line printed).
    """
    old, new = rotate_key_file(path)
    click.echo(
        f"rotated the log key {path}; the old verifier key {old.verifier_key()} is kept in "
        f"{previous_key_path(path)}, the target-hash key {target_key_path(path)} is unchanged; "
        "new verifier key:",
        err=True,
    )
    click.echo(new.verifier_key())


@keys.command("public")
@key_path_option("--path", "path")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Also the earlier keys' verifier keys (remit keys rotate), one a line, newest first.",
)
def keys_public(path: str, every: bool) -> None:
    """Print the verifier key of the log's signing key (C2SP note verifier key form)."""
    signer = read_key_file(path)
    for key in accepted_verifiers(path, signer) if every else [signer.verifier_key()]:
        click.echo(key)


# remit log verify -----------------------------------------------------------------------------


def _default_state() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "remit" / "log-verify.json"


class HttpLogSource:
    """The public log endpoints of a remit server, read with httpx."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, int] | None = None) -> httpx.Response:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise VerificationError(f"could not reach {self.url}{path}: {exc}") from exc
        if response.status_code != 200:
            detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
            with contextlib.suppress(ValueError):
                detail = str(response.json().get("detail", detail))
            raise VerificationError(f"{path} answered {response.status_code}: {detail}")
        return response

    def _json(self, path: str, params: dict[str, int]) -> Any:
        try:
            return self._get(path, params).json()
        except ValueError as exc:
            raise VerificationError(f"{path} did not answer JSON") from exc

    @staticmethod
    def _bytes(value: Any, what: str) -> bytes:
        try:
            return base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError(f"{what} is not base64") from exc

    def checkpoint(self) -> str:
        return self._get("/v1/log/checkpoint").text

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        body = self._json("/v1/log/proof/consistency", {"first": first, "second": second})
        try:
            return [self._bytes(h, "a consistency proof hash") for h in body["proof"]]
        except (KeyError, TypeError) as exc:
            raise VerificationError("the consistency proof is malformed") from exc

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        body = self._json("/v1/log/entries", {"start": start, "end": end})
        try:
            return [
                (int(e["index"]), self._bytes(e["data"], f"entry {e['index']}"))
                for e in body["entries"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError("the entries answer is malformed") from exc


def _load_states(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        saved = json.loads(path.read_text("utf-8"))
        logs = saved["logs"]
        if not isinstance(logs, dict):
            raise TypeError("logs")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidConfiguration(f"the state file {path} is unreadable", field="state") from exc
    return logs


def _save_states(path: Path, logs: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps({"version": 1, "logs": logs}, indent=2) + "\n")


@click.group("log")
def log_group() -> None:
    """Check a remit transparency log from outside."""


@log_group.command("verify")
@click.option("--url", required=True, help="The remit server, e.g. https://remit.example.")
@click.option(
    "--key",
    "verifier_key",
    envvar="REMIT_LOG_VERIFIER_KEY",
    show_envvar=True,
    multiple=True,
    help="The log's verifier key (name+keyid+base64), as remit keys public prints it; again "
    "for each earlier key a checkpoint may be signed with (remit keys rotate).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True),
    help="A file holding the verifier key instead, or several, one a line (remit keys public "
    "--all).",
)
@click.option("--origin", help="Require this origin (default: the one seen before, if any).")
@click.option("--full", is_flag=True, help="Also fetch every entry, re-hash it and check the root.")
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="Where the last checkpoint seen is remembered "
    "[default: ~/.local/state/remit/log-verify.json].",
)
@click.option(
    "--report",
    is_flag=True,
    help="With --full: rebuild the transparency report from the verified entries alone and "
    "compare it with the published one.",
)
@click.option(
    "--report-url",
    help="Where the published report is, as JSON [default: URL/v1/reports/transparency].",
)
@click.option(
    "--report-file",
    type=click.Path(dir_okay=False, exists=True),
    help="A published report saved as JSON, instead of fetching it.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
def log_verify(
    url: str,
    verifier_key: tuple[str, ...],
    key_file: str | None,
    origin: str | None,
    full: bool,
    state_path: str | None,
    report: bool,
    report_url: str | None,
    report_file: str | None,
    timeout: float,
) -> None:
    """Verify the log at URL: signature, consistency with the last checkpoint seen, entries.

    Checks the checkpoint's signature with the verifier key, then that the log extends the last
    checkpoint this command saw for URL (remembered in the state file), and with --full that
    every entry hashes to the checkpoint's root.

    With --full --report it also rebuilds the transparency report (every number, "affected
    outside the scope" included) from the verified entries alone, for the published report's
    period and time, and prints each number on which the published report differs.

    Exit 0 when all holds; 1 with what failed (or each number that differs); 2 for bad usage.
    """
    if (not verifier_key) == (key_file is None):
        raise click.UsageError("give the verifier key with exactly one of --key and --key-file")
    if report_url is not None and report_file is not None:
        raise click.UsageError(
            "give the published report with at most one of --report-url and --report-file"
        )
    report = report or report_url is not None or report_file is not None
    if report and not full:
        raise click.UsageError("--report needs --full: the report is rebuilt from every entry")
    if key_file is not None:
        given = [line.strip() for line in Path(str(key_file)).read_text().splitlines()]
    else:
        given = list(verifier_key or ())
    verifier = [NoteVerifier.parse(k) for k in given if k]  # a bad key is bad usage: exit 2
    if not verifier:
        raise click.UsageError("--key-file: holds no verifier key")
    path = Path(state_path) if state_path else _default_state()
    logs = _load_states(path)
    key = url.rstrip("/")
    state = AuditState.from_json(logs[key]) if key in logs else None
    source = HttpLogSource(url, timeout)
    try:
        # The published report first: the log read after it holds everything the report counted.
        published = published_report(url, report_url, report_file, timeout) if report else None
        if published is not None:
            published_period(published)  # not a report: bad input, before any fetching
        result = audit_log(
            source, verifier, state=state, full=full, origin=origin, keep_entries=report
        )
    except VerificationError as exc:
        click.echo(f"FAILED: {exc.message}", err=True)
        sys.exit(1)
    finally:
        source.close()
    logs[key] = result.state.to_json()
    _save_states(path, logs)
    checkpoint = result.checkpoint
    root = base64.b64encode(checkpoint.root_hash).decode("ascii")
    seen = "first checkpoint seen" if state is None else f"extends the {state.size} seen before"
    rehashed = "" if result.entries_checked is None else f", {result.entries_checked} re-hashed"
    click.echo(f"OK {checkpoint.origin} size {checkpoint.size} root {root} ({seen}{rehashed})")
    if published is not None:
        compare_report(published, result.entries or ())


__all__ = ["key_path_option", "keys", "log_group", "log_options", "open_log"]
