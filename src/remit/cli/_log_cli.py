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
from remit.errors import Conflict, InvalidConfiguration, VerificationError
from remit.store import Store, log_store_for
from remit.transparency import NoteVerifier, TransparencyLog
from remit.transparency.audit import AuditState, audit_log
from remit.transparency.keyfile import (
    DEFAULT_KEY_PATH,
    DEFAULT_ORIGIN,
    create_key_file,
    read_key_file,
    target_secret_file,
)

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
    return TransparencyLog(
        log_store_for(store), signer, origin=log_origin, secret=target_secret_file(log_key, signer)
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
    help="Replace an existing key file (old checkpoints then "
    "verify only with the old verifier key).",
)
def keys_init(path: str, origin: str, force: bool) -> None:
    """Create the log's Ed25519 signing key (file mode 0600) and print its verifier key.

    The key is named after the origin. Publish the verifier key (the last line printed) so that
    anyone can check the log's checkpoints with remit log verify.
    """
    signer = create_key_file(path, origin, force=force)
    click.echo(f"created the log key {path} (keep it secret); verifier key:", err=True)
    click.echo(signer.verifier_key())


@keys.command("public")
@key_path_option("--path", "path")
def keys_public(path: str) -> None:
    """Print the verifier key of the log's signing key (C2SP note verifier key form)."""
    click.echo(read_key_file(path).verifier_key())


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
    help="The log's verifier key (name+keyid+base64), as remit keys public prints it.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True),
    help="A file holding the verifier key instead.",
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
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
def log_verify(
    url: str,
    verifier_key: str | None,
    key_file: str | None,
    origin: str | None,
    full: bool,
    state_path: str | None,
    timeout: float,
) -> None:
    """Verify the log at URL: signature, consistency with the last checkpoint seen, entries.

    Checks the checkpoint's signature with the verifier key, then that the log extends the last
    checkpoint this command saw for URL (remembered in the state file), and with --full that
    every entry hashes to the checkpoint's root. Exit 0 when all holds; 1 with one line saying
    what failed; 2 for bad usage.
    """
    if (verifier_key is None) == (key_file is None):
        raise click.UsageError("give the verifier key with exactly one of --key and --key-file")
    vkey = verifier_key if verifier_key is not None else Path(str(key_file)).read_text().strip()
    verifier = NoteVerifier.parse(vkey)  # a bad key is bad usage: exit 2
    path = Path(state_path) if state_path else _default_state()
    logs = _load_states(path)
    key = url.rstrip("/")
    state = AuditState.from_json(logs[key]) if key in logs else None
    source = HttpLogSource(url, timeout)
    try:
        result = audit_log(source, verifier, state=state, full=full, origin=origin)
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


__all__ = ["key_path_option", "keys", "log_group", "log_options", "open_log"]
