"""The target-hash key is a key of its own beside the signing key: a new signing key leaves
every target's hash as it was, and a deployment made before the file existed keeps its hashes
(issue 15, item 5)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from remit.errors import InvalidConfiguration
from remit.policy import Target
from remit.transparency.entries import target_hash
from remit.transparency.keyfile import (
    create_key_file,
    target_key_path,
    target_secret,
    target_secret_file,
)

MEETING = Target("meeting", "june4-a")


def test_an_existing_deployment_keeps_its_hashes_and_a_new_signing_key_changes_none(
    tmp_path: Path,
) -> None:
    key = tmp_path / "remit-log.key"
    old = create_key_file(key, "remit.example/log")
    before = target_hash(target_secret(old), MEETING)  # as hashes were made before the file

    secret = target_secret_file(key, old)
    assert target_hash(secret, MEETING) == before
    assert stat.S_IMODE(target_key_path(key).stat().st_mode) == 0o600

    new = create_key_file(key, "remit.example/log", force=True)  # the signing key rotated
    assert target_secret(new) != target_secret(old)
    assert target_hash(target_secret_file(key, new), MEETING) == before


def test_a_damaged_target_key_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "remit-log.key"
    signer = create_key_file(key, "remit.example/log")
    target_key_path(key).write_text("not hex\n")
    with pytest.raises(InvalidConfiguration, match="target-hash key"):
        target_secret_file(key, signer)
