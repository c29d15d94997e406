"""The log's key file: one Ed25519 signer key string (C2SP signed-note form), mode 0600.

The file holds ``PRIVATE+KEY+name+keyid+base64`` and a newline. The secret of keyed hashes of
targets is a key of its own in a file beside it (:func:`target_secret_file`), kept when the signing
key changes; a deployment made before that file existed gets it written once, derived from the
signing key as before (:func:`target_secret`), so its hashes stay. Every node of one deployment
must use the same files. Errors never repeat a private key.

:func:`rotate_key_file` replaces the signing key with a new one of the same name and keeps the
old one's verifier key in ``…key.previous`` (:func:`previous_key_path`, one verifier key a line,
oldest first): checkpoints signed before still verify (:func:`accepted_verifiers`), and the
target-hash key is left as it is.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from remit._files import write_private
from remit.errors import Conflict, InvalidConfiguration, InvalidInput
from remit.transparency.note import NoteVerifier, Signer

__all__ = [
    "DEFAULT_KEY_PATH",
    "DEFAULT_ORIGIN",
    "accepted_verifiers",
    "create_key_file",
    "previous_key_path",
    "read_key_file",
    "read_previous_verifiers",
    "rotate_key_file",
    "target_key_path",
    "target_secret",
    "target_secret_file",
]

#: A file in the working folder, like the SQLite database.
DEFAULT_KEY_PATH = "remit-log.key"
#: The origin line of checkpoints until the operator sets their own (their host and a path).
DEFAULT_ORIGIN = "remit.example/log"


def create_key_file(path: str | Path, name: str, *, force: bool = False) -> Signer:
    """Write a new signer key named ``name`` to ``path`` (mode 0600) and return it.

    The file appears whole or not at all (written aside, then linked into place), so that nodes
    starting together never read half a key. ``Conflict`` when the file exists and ``force`` is
    false; ``InvalidInput`` for a key name with spaces or ``+``.
    """
    signer = Signer.generate(name)
    target = Path(path)
    try:
        write_private(target, signer.private_key() + "\n", exclusive=not force)
    except FileExistsError as exc:
        raise Conflict(
            f"{target} exists: a log key is never overwritten unless you say --force", field="path"
        ) from exc
    except OSError as exc:
        raise InvalidConfiguration(
            f"cannot create the log key {target}: {exc.strerror}", field="path"
        ) from exc
    return signer


def read_key_file(path: str | Path) -> Signer:
    """Read the signer key at ``path``; ``InvalidConfiguration`` when missing or unreadable."""
    target = Path(path)
    try:
        text = target.read_text("ascii").strip()
    except FileNotFoundError as exc:
        raise InvalidConfiguration(
            f"no log key at {target}: create one with `remit keys init`", field="path"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(f"cannot read the log key {target}", field="path") from exc
    try:
        return Signer.from_private_key(text)
    except InvalidInput as exc:
        raise InvalidConfiguration(
            f"{target} is not a log key (PRIVATE+KEY+name+keyid+base64)", field="path"
        ) from exc


def previous_key_path(log_key: str | Path) -> Path:
    """Where the verifier keys of the log's earlier signing keys live: ``…key.previous``."""
    path = Path(log_key)
    return path.with_name(f"{path.name}.previous")


def read_previous_verifiers(log_key: str | Path) -> list[str]:
    """The verifier keys of the earlier signing keys, oldest first (none when no file)."""
    path = previous_key_path(log_key)
    try:
        lines = path.read_text("ascii").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(
            f"cannot read the earlier verifier keys {path}", field="path"
        ) from exc
    keys = [line.strip() for line in lines if line.strip()]
    for key in keys:
        try:
            NoteVerifier.parse(key)
        except InvalidInput as exc:
            raise InvalidConfiguration(
                f"{path} holds a line that is not a verifier key (name+keyid+base64)", field="path"
            ) from exc
    return keys


def accepted_verifiers(log_key: str | Path, signer: Signer) -> list[str]:
    """The verifier keys a checkpoint of this log may be signed with: the signing key's, then
    every earlier one's, newest first."""
    return [signer.verifier_key(), *reversed(read_previous_verifiers(log_key))]


def keep_previous(log_key: str | Path, old: Signer) -> None:
    """Add ``old``'s verifier key to the earlier ones (mode 0600, whole or not at all)."""
    known = read_previous_verifiers(log_key)
    if old.verifier_key() not in known:
        known.append(old.verifier_key())
    try:
        write_private(previous_key_path(log_key), "".join(f"{k}\n" for k in known))
    except OSError as exc:
        raise InvalidConfiguration(
            f"cannot write the earlier verifier keys {previous_key_path(log_key)}: {exc.strerror}",
            field="path",
        ) from exc


def rotate_key_file(path: str | Path) -> tuple[Signer, Signer]:
    """Replace the signing key at ``path`` with a new one of the same name; returns (old, new).

    First the target-hash key is made sure of (written from the old key when a deployment never
    had the file, so that no target's hash changes), then the old verifier key is kept in
    :func:`previous_key_path`, then the new key replaces the old one (whole or not at all).
    """
    old = read_key_file(path)
    target_secret_file(path, old)
    keep_previous(path, old)
    new = Signer.generate(old.name)
    try:
        write_private(Path(path), new.private_key() + "\n")
    except OSError as exc:
        raise InvalidConfiguration(
            f"cannot write the new log key {path}: {exc.strerror}", field="path"
        ) from exc
    return old, new


def target_key_path(log_key: str | Path) -> Path:
    """Where the target-hash key of the log key ``log_key`` lives: beside it, ``…key.targets``."""
    path = Path(log_key)
    return path.with_name(f"{path.name}.targets")


def target_secret_file(log_key: str | Path, signer: Signer) -> bytes:
    """The secret of the keyed hashes of targets: a key of its own, in the file beside the
    signing key (:func:`target_key_path`, 64 hex digits, mode 0600), which stays when the signing
    key is rotated, so that every target keeps its hash. When the file is missing it is written
    once: from the signing key the way it was derived before (:func:`target_secret`), so that a
    deployment's hashes stay as they were (a new deployment's too: its first signing key is as
    secret). From then on the file, not the signing key, is the secret. Nodes starting together
    write it once."""
    path = target_key_path(log_key)
    try:
        text = path.read_text("ascii").strip()
    except FileNotFoundError:
        secret = target_secret(signer)
        try:
            write_private(path, secret.hex() + "\n", exclusive=True)
        except FileExistsError:
            return target_secret_file(log_key, signer)  # another node wrote it first
        except OSError as exc:
            raise InvalidConfiguration(
                f"cannot create the target-hash key {path}: {exc.strerror}", field="path"
            ) from exc
        return secret
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(f"cannot read the target-hash key {path}", field="path") from exc
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise InvalidConfiguration(f"{path} is not a target-hash key (64 hex digits)", field="path")
    return secret


def target_secret(signer: Signer) -> bytes:
    """The secret of the keyed hashes of targets, derived from the signing key (never shown)."""
    return hmac.new(
        signer.private_key().encode("ascii"), b"remit transparency log: target hashes", "sha256"
    ).digest()
